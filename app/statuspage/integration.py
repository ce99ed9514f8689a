"""How the public status page follows incidents (through `app.incidents.hooks`): an incident
on the page that is made private leaves it in the same commit, and comes back if made public
again (the snapshot only ever shows public incidents; this drops the cached one at once)."""

from __future__ import annotations

from app.incidents import hooks
from app.statuspage.cache import changed_in
from app.statuspage.models import PublicIncident


async def follow_privacy(change: hooks.PrivacyChange) -> None:
    """After-hook: an incident the page shows (or showed) changed privacy: the page changed."""
    published = PublicIncident.filter(incident_id=change.incident.id, published_at__isnull=False)
    if await published.using_db(change.outbox.connection).exists():
        await changed_in(change.outbox)


def install() -> None:
    """Register with the incident hooks (idempotent)."""
    hooks.register_after_privacy_change(follow_privacy)
