"""The server-rendered status page (Jinja2, autoescaped; no JavaScript)."""

from __future__ import annotations

import hashlib
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, select_autoescape

from app.ids import to_global_id
from app.statuspage import rules
from app.statuspage.enums import ComponentStatus, MaintenanceStatus
from app.statuspage.snapshot import ComponentView, IncidentView, MaintenanceView, Snapshot
from app.statuspage.uptime import UptimeDay

TEMPLATES = Path(__file__).resolve().parent / "templates"
CSS = (TEMPLATES / "status.css").read_bytes()
CSS_VERSION = hashlib.blake2b(CSS, digest_size=6).hexdigest()
HISTORY = 10

_env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)
_template = _env.get_template("status.html")

STATUS_LABELS = {
    ComponentStatus.OPERATIONAL: "Operational",
    ComponentStatus.DEGRADED_PERFORMANCE: "Degraded performance",
    ComponentStatus.PARTIAL_OUTAGE: "Partial outage",
    ComponentStatus.MAJOR_OUTAGE: "Major outage",
    ComponentStatus.UNDER_MAINTENANCE: "Under maintenance",
}
_IMPACT_LABELS = {"NONE": "No impact", "MINOR": "Minor", "MAJOR": "Major", "CRITICAL": "Critical"}


class _Present:
    def __init__(self, s: Snapshot) -> None:
        self.s = s
        self.tz = ZoneInfo(s.page.time_zone)

    def when(self, value: datetime) -> dict[str, str]:
        local = value.astimezone(self.tz)
        return {"iso": value.isoformat(), "text": f"{local.day} {local:%b %Y, %H:%M} {local.tzname()}"}

    def names(self, ids: tuple[int, ...]) -> list[str]:
        by_id = self.s.components_by_id
        return [by_id[i].name for i in ids if i in by_id]

    def incident(self, i: IncidentView) -> dict[str, Any]:
        return {
            "anchor": f"incident-{to_global_id('PublicIncident', i.id)}",
            "title": i.title,
            "impact": _IMPACT_LABELS[i.impact.value],
            "level": i.impact.value.lower(),
            "components": self.names(i.component_ids),
            "updates": [
                {"label": u.status.value.title(), "message": u.message, "at": self.when(u.created_at)}
                for u in i.updates
            ],
        }

    def maintenance(self, m: MaintenanceView) -> dict[str, Any]:
        return {
            "anchor": f"maintenance-{to_global_id('Maintenance', m.id)}",
            "title": m.title,
            "status": m.status.value.replace("_", " ").title(),
            "start": self.when(m.scheduled_for),
            "end": self.when(m.ended_at or m.scheduled_until),
            "components": self.names(m.component_ids),
            "updates": [
                {"label": u.status.value.replace("_", " ").title(), "message": u.message, "at": self.when(u.created_at)}
                for u in m.updates
            ],
        }

    def day(self, d: UptimeDay) -> dict[str, str]:
        date = f"{d.day.day} {d.day:%b %Y}"
        if d.uptime is None:
            return {"css": "none", "title": f"{date}: no data"}
        parts = [f"{date}: {_percent(d.uptime * 100)} uptime"]
        for seconds, what in ((d.downtime, "major outage"), (d.degraded, "degraded"), (d.maintenance, "maintenance")):
            if seconds >= 60:
                parts.append(f"{_duration(seconds)} {what}")
        return {"css": (d.worst or ComponentStatus.OPERATIONAL).value.lower(), "title": " · ".join(parts)}

    def component(self, c: ComponentView) -> dict[str, Any]:
        percentage = c.uptime.percentage
        return {
            "name": c.name,
            "description": c.description,
            "status": STATUS_LABELS[c.status],
            "status_class": c.status.value.lower(),
            "uptime_text": "no data" if percentage is None else f"{_percent(percentage)} uptime",
            "days": [self.day(d) for d in c.uptime.days],
        }


def _percent(value: float) -> str:
    text = f"{value:.2f}"
    return "100%" if text == "100.00" else f"{text}%"


def _duration(seconds: float) -> str:
    minutes = round(seconds / 60)
    return f"{minutes} min" if minutes < 60 else f"{minutes // 60} h {minutes % 60} min"


def html(s: Snapshot) -> bytes:
    p = _Present(s)
    overall = s.overall
    level = overall.indicator.value.lower()
    if overall.description == rules.UNDER_MAINTENANCE:
        level = "maintenance"
    items = []
    for group, members in s.grouped():
        group_view = None
        if group is not None:
            group_view = {
                "name": group.name,
                "status": STATUS_LABELS[group.status],
                "status_class": group.status.value.lower(),
            }
        items.append((group_view, [p.component(c) for c in members]))
    completed = [m for m in s.maintenances if m.status is MaintenanceStatus.COMPLETED][:5]
    return _template.render(
        page=s.page,
        base_url=s.page.base_url,
        css_href=f"{s.page.url}/status.css?v={CSS_VERSION}",
        overall={"description": overall.description, "level": level},
        updated=p.when(s.updated_at),
        incidents=[p.incident(i) for i in s.unresolved_incidents],
        maintenance_sections=[
            ("Maintenance in progress", "active", [p.maintenance(m) for m in s.active_maintenances]),
            ("Scheduled maintenance", "upcoming", [p.maintenance(m) for m in s.upcoming_maintenances]),
        ],
        items=items,
        history=[p.incident(i) for i in s.latest_incidents if not i.unresolved][:HISTORY],
        completed=[p.maintenance(m) for m in completed],
    ).encode()
