"""How a PUBLIC status update changes the page, inside the update's transaction: the
components' statuses (resolving restores what the incident broke) and the incident's public
face (title, status, impact)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from app.errors import NotFound
from app.events import Outbox
from app.ids import to_global_id
from app.incidents.models import Incident
from app.statuspage import rules
from app.statuspage.enums import UNRESOLVED_STATUSES, Audience, ComponentStatus, Impact, PublicStatus
from app.statuspage.models import Component, ComponentStatusChange, PublicIncident


@dataclass(frozen=True)
class PublicRequest:
    """What a PUBLIC update asks of the page: component statuses, the incident's public status,
    title and impact (None: as they are)."""

    wanted: dict[int, ComponentStatus]
    status: PublicStatus | None
    title: str | None
    impact: Impact | None


@dataclass(frozen=True)
class Published:
    """What an update did to the page: the public status it records, the components it changed
    (with their previous status), the impacts as applied, whether the public title changed."""

    status: PublicStatus | None
    touched: list[tuple[Component, ComponentStatus]] = field(default_factory=list)
    impacts: list[dict[str, Any]] = field(default_factory=list)
    title_changed: bool = False

    def timeline_data(self, audience: Audience, public_title: str | None) -> dict[str, Any]:
        return {
            "audience": audience.value,
            "publicStatus": self.status.value if self.status else None,
            "componentImpacts": [
                {**i, "componentId": to_global_id("StatusComponent", i["componentId"])} for i in self.impacts
            ],
            **({"publicTitle": public_title} if self.title_changed else {}),
        }


async def go_public(outbox: Outbox, incident: Incident, request: PublicRequest, now: datetime) -> Published:
    """Apply a PUBLIC update: resolving restores what the incident broke, the components take
    their new statuses, and the incident's public face is brought up to date."""
    public = await PublicIncident.filter(incident_id=incident.id).using_db(outbox.connection).first()
    current = PublicStatus(public.status) if public is not None and public.status else None
    status = request.status or current or PublicStatus.INVESTIGATING
    wanted = dict(request.wanted)
    if status not in UNRESOLVED_STATUSES and (current is None or current in UNRESOLVED_STATUSES):
        for component_id in await _set_by(outbox, incident.id, exclude=wanted.keys()):
            wanted[component_id] = ComponentStatus.OPERATIONAL  # resolving restores what it broke
    touched, impacts = await _apply(outbox, wanted, now)
    title_changed = await _publish(outbox, public, incident, status, request, impacts, now)
    return Published(status, touched, impacts, title_changed)


async def _set_by(outbox: Outbox, incident_id: int, *, exclude: Collection[int]) -> list[int]:
    """Components whose current (non-operational) status this incident set last."""
    conn = outbox.connection
    broken = await Component.exclude(status=ComponentStatus.OPERATIONAL).using_db(conn).values_list("id", flat=True)
    found = []
    for component_id in broken:
        if component_id in exclude:
            continue
        last = (
            await ComponentStatusChange.filter(component_id=component_id).using_db(conn).order_by("-at", "-id").first()
        )
        if last is not None and last.incident_id == incident_id:
            found.append(component_id)
    return found


async def _apply(
    outbox: Outbox, wanted: dict[int, ComponentStatus], now: datetime
) -> tuple[list[tuple[Component, ComponentStatus]], list[dict[str, Any]]]:
    """Set the components' statuses (locked in id order); the impacts as they were applied."""
    if not wanted:
        return [], []
    rows = await Component.filter(id__in=list(wanted)).using_db(outbox.connection).select_for_update().order_by("id")
    if len(rows) != len(wanted):
        raise NotFound("Component not found", field="componentImpacts")
    by_id = {row.id: row for row in rows}
    touched, impacts = [], []
    for component_id, status in wanted.items():
        component = by_id[component_id]
        previous = ComponentStatus(component.status)
        impacts.append(
            {"componentId": component.id, "name": component.name, "from": previous.value, "to": status.value}
        )
        if previous is not status:
            component.status = status
            component.updated_at = now
            await component.save(update_fields=["status", "updated_at"], using_db=outbox.connection)
            touched.append((component, previous))
    return touched, impacts


async def _publish(
    outbox: Outbox,
    public: PublicIncident | None,
    incident: Incident,
    status: PublicStatus,
    request: PublicRequest,
    impacts: list[dict[str, Any]],
    now: datetime,
) -> bool:
    """Bring the incident's public face up to date; True when its public title changed."""
    if public is None:
        public = PublicIncident(incident_id=incident.id, title="", updated_at=now)
    old_title = public.title
    public.title = request.title or public.title or incident.title
    if public.published_at is None:
        public.published_at = now
    was_unresolved = public.status is None or public.status in UNRESOLVED_STATUSES
    public.status = status
    if status is PublicStatus.MONITORING and public.monitoring_at is None:
        public.monitoring_at = now
    if status in UNRESOLVED_STATUSES:
        public.resolved_at = None
    elif was_unresolved:
        public.resolved_at = now
    reached = [rules.STATUS_IMPACT[ComponentStatus(i["to"])] for i in impacts]
    public.impact = rules.max_impact([Impact(public.impact), *reached])
    if request.impact is not None:
        public.impact_override = request.impact
    public.updated_at = now
    await public.save(using_db=outbox.connection)
    return public.title != old_title
