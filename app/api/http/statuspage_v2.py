"""The Atlassian Statuspage public API v2 shapes, rendered from the public snapshot: the same
keys, nesting and enums (snake_case, lower case), so existing monitors and widgets work."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from app.ids import to_global_id
from app.statuspage.enums import MaintenanceStatus
from app.statuspage.snapshot import ComponentView, GroupView, IncidentView, MaintenanceView, Snapshot

Json = dict[str, Any]


class _Renderer:
    def __init__(self, snapshot: Snapshot) -> None:
        self.s = snapshot
        self.page_id = snapshot.page.id
        self.tz = ZoneInfo(snapshot.page.time_zone)
        self._components: dict[int, Json] = {}

    def ts(self, value: datetime | None) -> str | None:
        return None if value is None else value.astimezone(self.tz).isoformat(timespec="milliseconds")

    def page(self) -> Json:
        p = self.s.page
        return {
            "id": p.id,
            "name": p.name,
            "url": p.url,
            "time_zone": p.time_zone,
            "updated_at": self.ts(self.s.updated_at),
        }

    def status(self) -> Json:
        return {"indicator": self.s.overall.indicator.value.lower(), "description": self.s.overall.description}

    def component(self, c: ComponentView) -> Json:
        if c.id not in self._components:
            self._components[c.id] = {
                "id": to_global_id("StatusComponent", c.id),
                "name": c.name,
                "status": c.status.value.lower(),
                "created_at": self.ts(c.created_at),
                "updated_at": self.ts(c.updated_at),
                "position": c.position,
                "description": c.description or None,
                "showcase": True,
                "start_date": c.created_at.astimezone(self.tz).date().isoformat(),
                "group_id": to_global_id("ComponentGroup", c.group_id) if c.group_id is not None else None,
                "page_id": self.page_id,
                "group": False,
                "only_show_if_degraded": False,
            }
        return self._components[c.id]

    def group(self, g: GroupView) -> Json:
        return {
            "id": to_global_id("ComponentGroup", g.id),
            "name": g.name,
            "status": g.status.value.lower(),
            "created_at": self.ts(g.created_at),
            "updated_at": self.ts(g.updated_at),
            "position": g.position,
            "description": g.description or None,
            "showcase": False,
            "start_date": None,
            "group_id": None,
            "page_id": self.page_id,
            "group": True,
            "only_show_if_degraded": False,
            "components": [to_global_id("StatusComponent", i) for i in g.component_ids],
        }

    def components(self) -> list[Json]:
        result: list[Json] = []
        for group, members in self.s.grouped():
            if group is not None:
                result.append(self.group(group))
            result.extend(self.component(c) for c in members)
        return result

    def _linked(self, ids: tuple[int, ...]) -> list[Json]:
        by_id = self.s.components_by_id
        return [self.component(by_id[i]) for i in ids if i in by_id]

    def incident(self, i: IncidentView) -> Json:
        incident_id = to_global_id("PublicIncident", i.id)
        return {
            "id": incident_id,
            "name": i.title,
            "status": i.status.value.lower(),
            "created_at": self.ts(i.created_at),
            "updated_at": self.ts(i.updated_at),
            "monitoring_at": self.ts(i.monitoring_at),
            "resolved_at": self.ts(i.resolved_at),
            "impact": i.impact.value.lower(),
            "shortlink": f"{self.s.page.url}#incident-{incident_id}",
            "started_at": self.ts(i.created_at),
            "page_id": self.page_id,
            "incident_updates": [
                {
                    "id": to_global_id("StatusUpdate", u.id),
                    "status": u.status.value.lower(),
                    "body": u.message,
                    "incident_id": incident_id,
                    "created_at": self.ts(u.created_at),
                    "updated_at": self.ts(u.created_at),
                    "display_at": self.ts(u.created_at),
                    "affected_components": [
                        {
                            "code": to_global_id("StatusComponent", a.component_id),
                            "name": a.name,
                            "old_status": (a.old_status or a.new_status).value.lower(),
                            "new_status": a.new_status.value.lower(),
                        }
                        for a in u.affected
                    ]
                    or None,
                    "deliver_notifications": True,
                    "custom_tweet": None,
                    "tweet_id": None,
                }
                for u in i.updates
            ],
            "components": self._linked(i.component_ids),
        }

    def maintenance(self, m: MaintenanceView) -> Json:
        maintenance_id = to_global_id("Maintenance", m.id)
        return {
            "id": maintenance_id,
            "name": m.title,
            "status": _maintenance_status(m.status),
            "created_at": self.ts(m.created_at),
            "updated_at": self.ts(m.updated_at),
            "monitoring_at": None,
            "resolved_at": self.ts(m.ended_at),
            "impact": "maintenance",
            "shortlink": f"{self.s.page.url}#maintenance-{maintenance_id}",
            "started_at": self.ts(m.started_at or m.scheduled_for),
            "page_id": self.page_id,
            "incident_updates": [
                {
                    "id": to_global_id("MaintenanceUpdate", u.id),
                    "status": _maintenance_status(u.status),
                    "body": u.message,
                    "incident_id": maintenance_id,
                    "created_at": self.ts(u.created_at),
                    "updated_at": self.ts(u.created_at),
                    "display_at": self.ts(u.created_at),
                    "affected_components": None,
                    "deliver_notifications": True,
                    "custom_tweet": None,
                    "tweet_id": None,
                }
                for u in m.updates
            ],
            "components": self._linked(m.component_ids),
            "scheduled_for": self.ts(m.scheduled_for),
            "scheduled_until": self.ts(m.scheduled_until),
        }


def _maintenance_status(status: MaintenanceStatus) -> str:
    # Statuspage knows no "cancelled": one cancelled while running has ended, i.e. completed.
    return "completed" if status is MaintenanceStatus.CANCELLED else status.value.lower()


def summary(s: Snapshot) -> Json:
    r = _Renderer(s)
    ongoing = sorted((m for m in s.maintenances if m.upcoming or m.active), key=lambda m: m.scheduled_for)
    return {
        "page": r.page(),
        "components": r.components(),
        "incidents": [r.incident(i) for i in s.unresolved_incidents],
        "scheduled_maintenances": [r.maintenance(m) for m in ongoing],
        "status": r.status(),
    }


def status(s: Snapshot) -> Json:
    r = _Renderer(s)
    return {"page": r.page(), "status": r.status()}


def components(s: Snapshot) -> Json:
    r = _Renderer(s)
    return {"page": r.page(), "components": r.components()}


def incidents(s: Snapshot) -> Json:
    r = _Renderer(s)
    return {"page": r.page(), "incidents": [r.incident(i) for i in s.latest_incidents]}


def unresolved_incidents(s: Snapshot) -> Json:
    r = _Renderer(s)
    return {"page": r.page(), "incidents": [r.incident(i) for i in s.unresolved_incidents]}


def scheduled_maintenances(s: Snapshot) -> Json:
    r = _Renderer(s)
    return {"page": r.page(), "scheduled_maintenances": [r.maintenance(m) for m in s.latest_maintenances]}


def upcoming_maintenances(s: Snapshot) -> Json:
    r = _Renderer(s)
    return {"page": r.page(), "scheduled_maintenances": [r.maintenance(m) for m in s.upcoming_maintenances]}


def active_maintenances(s: Snapshot) -> Json:
    r = _Renderer(s)
    return {"page": r.page(), "scheduled_maintenances": [r.maintenance(m) for m in s.active_maintenances]}
