"""The Atom feed of public incident and maintenance updates, built with feedgen."""

from __future__ import annotations

from datetime import datetime

from feedgen.feed import FeedGenerator

from app.ids import to_global_id
from app.statuspage.snapshot import Snapshot

FEED_ENTRIES = 50


def atom(s: Snapshot) -> bytes:
    page = s.page
    entries: list[tuple[datetime, str, str, str, str]] = []  # (when, id, title, text, link)
    for incident in s.incidents:
        anchor = f"{page.url}#incident-{to_global_id('PublicIncident', incident.id)}"
        for u in incident.updates:
            label = u.status.value.replace("_", " ").title()
            entries.append(
                (u.created_at, to_global_id("StatusUpdate", u.id), f"{incident.title}: {label}", u.message, anchor)
            )
    for maintenance in s.maintenances:
        anchor = f"{page.url}#maintenance-{to_global_id('Maintenance', maintenance.id)}"
        for mu in maintenance.updates:
            label = mu.status.value.replace("_", " ").title()
            entries.append(
                (
                    mu.created_at,
                    to_global_id("MaintenanceUpdate", mu.id),
                    f"Maintenance: {maintenance.title}: {label}",
                    mu.message,
                    anchor,
                )
            )
    entries.sort(key=lambda e: e[0], reverse=True)
    entries = entries[:FEED_ENTRIES]

    feed = FeedGenerator()
    feed.id(page.url)
    feed.title(f"{page.name} status")
    feed.subtitle(f"Incident and maintenance updates from {page.name}")
    feed.link(href=page.url, rel="alternate", type="text/html")
    feed.link(href=f"{page.url}/feed.atom", rel="self", type="application/atom+xml")
    feed.author({"name": page.name})
    if page.logo_url:
        feed.logo(page.logo_url)
    feed.updated(entries[0][0] if entries else s.updated_at)
    for when, entry_id, title, text, link in entries:
        entry = feed.add_entry(order="append")
        entry.id(f"{page.url}#update-{entry_id}")
        entry.title(title)
        entry.updated(when)
        entry.published(when)
        entry.link(href=link, rel="alternate", type="text/html")
        entry.content(text, type="text")
    return feed.atom_str(pretty=True)
