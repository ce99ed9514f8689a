"""The public status page as immutable values: everything any public output may show, and
nothing else. Every public output (JSON, feed, HTML, GraphQL) is rendered from a Snapshot."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from zoneinfo import ZoneInfo

from app.statuspage.enums import (
    ACTIVE_MAINTENANCE,
    UNRESOLVED_STATUSES,
    ComponentStatus,
    Impact,
    MaintenanceStatus,
    PublicStatus,
)
from app.statuspage.rules import Overall
from app.statuspage.uptime import UptimeDay

UPTIME_DAYS = 90
LATEST_INCIDENTS = 50
LATEST_MAINTENANCES = 50


@dataclass(frozen=True)
class PageConfig:
    """The page's settings: who it belongs to and how it shows times."""

    id: str
    name: str
    url: str  # the HTML page
    base_url: str
    time_zone: str = "UTC"
    logo_url: str | None = None

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)


@dataclass(frozen=True)
class UptimeView:
    percentage: float | None  # 0..100 over the window, None without observed time
    days: tuple[UptimeDay, ...]


@dataclass(frozen=True)
class ComponentView:
    id: int
    name: str
    description: str
    position: int
    group_id: int | None
    status: ComponentStatus  # effective: maintenance windows laid over the stored status
    created_at: datetime
    updated_at: datetime
    uptime: UptimeView


@dataclass(frozen=True)
class GroupView:
    id: int
    name: str
    description: str
    position: int
    status: ComponentStatus  # the worst of its components
    component_ids: tuple[int, ...]
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class AffectedComponent:
    component_id: int
    name: str
    old_status: ComponentStatus | None
    new_status: ComponentStatus


@dataclass(frozen=True)
class IncidentUpdateView:
    id: int
    status: PublicStatus
    message: str
    created_at: datetime
    affected: tuple[AffectedComponent, ...]


@dataclass(frozen=True)
class IncidentView:
    id: int  # the public incident's own id, not the internal incident's
    title: str
    status: PublicStatus
    impact: Impact
    created_at: datetime
    updated_at: datetime
    monitoring_at: datetime | None
    resolved_at: datetime | None
    updates: tuple[IncidentUpdateView, ...]  # newest first
    component_ids: tuple[int, ...]

    @property
    def unresolved(self) -> bool:
        return self.status in UNRESOLVED_STATUSES


@dataclass(frozen=True)
class MaintenanceUpdateView:
    id: int
    status: MaintenanceStatus
    message: str
    created_at: datetime


@dataclass(frozen=True)
class MaintenanceView:
    id: int
    title: str
    status: MaintenanceStatus
    scheduled_for: datetime
    scheduled_until: datetime
    started_at: datetime | None  # when it went in progress (None: not yet)
    ended_at: datetime | None  # when it completed or was cancelled (None: not yet)
    created_at: datetime
    updated_at: datetime
    component_ids: tuple[int, ...]
    updates: tuple[MaintenanceUpdateView, ...]  # newest first

    @property
    def active(self) -> bool:
        return self.status in ACTIVE_MAINTENANCE

    @property
    def upcoming(self) -> bool:
        return self.status is MaintenanceStatus.SCHEDULED


@dataclass(frozen=True)
class Snapshot:
    page: PageConfig
    updated_at: datetime
    overall: Overall
    groups: tuple[GroupView, ...]
    components: tuple[ComponentView, ...]  # display order
    incidents: tuple[IncidentView, ...]  # newest first: the latest 50 and every unresolved one
    maintenances: tuple[MaintenanceView, ...]  # newest first
    revision: str  # changes whenever anything above does
    built_at: datetime = field(compare=False)
    expires_at: datetime = field(compare=False)  # the clock changes something at this instant

    @cached_property
    def components_by_id(self) -> dict[int, ComponentView]:
        return {c.id: c for c in self.components}

    @property
    def unresolved_incidents(self) -> list[IncidentView]:
        return [i for i in self.incidents if i.unresolved]

    @property
    def latest_incidents(self) -> list[IncidentView]:
        return list(self.incidents[:LATEST_INCIDENTS])

    @property
    def upcoming_maintenances(self) -> list[MaintenanceView]:
        return sorted((m for m in self.maintenances if m.upcoming), key=lambda m: m.scheduled_for)

    @property
    def active_maintenances(self) -> list[MaintenanceView]:
        return sorted((m for m in self.maintenances if m.active), key=lambda m: m.scheduled_for)

    @property
    def latest_maintenances(self) -> list[MaintenanceView]:
        return list(self.maintenances[:LATEST_MAINTENANCES])

    def grouped(self) -> list[tuple[GroupView | None, list[ComponentView]]]:
        """Top-level items in display order: an ungrouped component, or a group with its own."""
        by_id = self.components_by_id
        items: list[tuple[int, int, GroupView | None, list[ComponentView]]] = []
        for component in self.components:
            if component.group_id is None:
                items.append((component.position, component.id, None, [component]))
        for group in self.groups:
            items.append((group.position, group.id, group, [by_id[i] for i in group.component_ids]))
        items.sort(key=lambda item: (item[0], item[2] is not None, item[1]))
        return [(group, members) for _, _, group, members in items]
