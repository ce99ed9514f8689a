"""Pure status page rules: the overall indicator and its description, incident impact, and the
status of a maintenance derived from the clock. No I/O."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from app.statuspage.enums import ComponentStatus, Impact, Indicator, MaintenanceStatus

# Worst last: what "the worst status" of a set means everywhere (uptime bars, groups, overlay).
STATUS_RANK: dict[ComponentStatus, int] = {
    ComponentStatus.OPERATIONAL: 0,
    ComponentStatus.UNDER_MAINTENANCE: 1,
    ComponentStatus.DEGRADED_PERFORMANCE: 2,
    ComponentStatus.PARTIAL_OUTAGE: 3,
    ComponentStatus.MAJOR_OUTAGE: 4,
}
IMPACT_RANK: dict[Impact, int] = {Impact.NONE: 0, Impact.MINOR: 1, Impact.MAJOR: 2, Impact.CRITICAL: 3}

# What a component in a given status says about the impact of the incident that put it there.
STATUS_IMPACT: dict[ComponentStatus, Impact] = {
    ComponentStatus.OPERATIONAL: Impact.NONE,
    ComponentStatus.UNDER_MAINTENANCE: Impact.NONE,
    ComponentStatus.DEGRADED_PERFORMANCE: Impact.MINOR,
    ComponentStatus.PARTIAL_OUTAGE: Impact.MAJOR,
    ComponentStatus.MAJOR_OUTAGE: Impact.CRITICAL,
}

_INDICATOR_RANK: dict[Indicator, int] = {Indicator(impact.value): rank for impact, rank in IMPACT_RANK.items()}

ALL_OPERATIONAL = "All Systems Operational"
UNDER_MAINTENANCE = "Service Under Maintenance"
_BY_INDICATOR = {
    Indicator.MINOR: "Minor Service Outage",
    Indicator.MAJOR: "Partial System Outage",
    Indicator.CRITICAL: "Major System Outage",
}


def worst(statuses: Iterable[ComponentStatus]) -> ComponentStatus:
    return max(statuses, key=STATUS_RANK.__getitem__, default=ComponentStatus.OPERATIONAL)


def max_impact(impacts: Iterable[Impact]) -> Impact:
    return max(impacts, key=IMPACT_RANK.__getitem__, default=Impact.NONE)


def current_impact(override: Impact | None, component_statuses: Iterable[ComponentStatus]) -> Impact:
    """What an unresolved incident adds to the page's indicator now: its impact override when
    one was set, else what its components show at present (not the worst they ever showed)."""
    if override is not None:
        return Impact(override)
    return max_impact(STATUS_IMPACT[s] for s in component_statuses)


def effective_status(stored: ComponentStatus, under_maintenance: bool) -> ComponentStatus:
    """An active maintenance shows a component as UNDER_MAINTENANCE unless an incident (or an
    operator) has put it in a worse state, which stays visible."""
    if under_maintenance and stored is ComponentStatus.OPERATIONAL:
        return ComponentStatus.UNDER_MAINTENANCE
    return stored


@dataclass(frozen=True)
class Overall:
    indicator: Indicator
    description: str


def _from_components(statuses: list[ComponentStatus]) -> Overall:
    total = len(statuses)
    major = statuses.count(ComponentStatus.MAJOR_OUTAGE)
    if major:
        if major == total:
            return Overall(Indicator.CRITICAL, "Major System Outage")
        return Overall(Indicator.MAJOR, "Partial System Outage")
    if ComponentStatus.PARTIAL_OUTAGE in statuses:
        return Overall(Indicator.MINOR, "Minor Service Outage")
    degraded = statuses.count(ComponentStatus.DEGRADED_PERFORMANCE)
    if degraded:
        return Overall(
            Indicator.MINOR, "Degraded System Service" if degraded == total else "Partially Degraded Service"
        )
    return Overall(Indicator.NONE, ALL_OPERATIONAL)


def overall(
    component_statuses: Iterable[ComponentStatus], incident_impacts: Iterable[Impact], *, maintenance_active: bool
) -> Overall:
    """The page's indicator: the worse of what the components show and the impact of the
    unresolved public incidents; the description names the worse of the two."""
    statuses = list(component_statuses)
    result = _from_components(statuses)
    incidents = Indicator(max_impact(incident_impacts).value)
    if _INDICATOR_RANK[incidents] > _INDICATOR_RANK[result.indicator]:
        result = Overall(incidents, _BY_INDICATOR[incidents])
    if result.indicator is Indicator.NONE and (maintenance_active or ComponentStatus.UNDER_MAINTENANCE in statuses):
        return Overall(Indicator.NONE, UNDER_MAINTENANCE)
    return result


@dataclass(frozen=True)
class MaintenanceTimes:
    scheduled_for: datetime
    scheduled_until: datetime
    started_at: datetime | None = None  # started early by an update
    verifying_at: datetime | None = None
    completed_at: datetime | None = None  # completed early by an update
    cancelled_at: datetime | None = None

    @property
    def start(self) -> datetime:
        if self.started_at is not None and self.started_at < self.scheduled_for:
            return self.started_at
        return self.scheduled_for

    @property
    def end(self) -> datetime:
        """When the components leave maintenance (may be <= start: it never ran)."""
        return min(t for t in (self.scheduled_until, self.completed_at, self.cancelled_at) if t is not None)

    def window(self) -> tuple[datetime, datetime] | None:
        """The time the components were (or will be) under maintenance."""
        return (self.start, self.end) if self.end > self.start else None


def maintenance_status(times: MaintenanceTimes, now: datetime) -> MaintenanceStatus:
    """SCHEDULED before the start, IN_PROGRESS from it, VERIFYING once an update said so,
    COMPLETED at scheduled_until or an earlier completion; CANCELLED when cancelled before it
    ever started (cancelling a running one completes it now)."""
    if times.cancelled_at is not None and times.cancelled_at <= times.start:
        return MaintenanceStatus.CANCELLED
    if now >= times.end:
        return MaintenanceStatus.COMPLETED
    if times.verifying_at is not None and now >= times.verifying_at:
        return MaintenanceStatus.VERIFYING
    if now >= times.start:
        return MaintenanceStatus.IN_PROGRESS
    return MaintenanceStatus.SCHEDULED


def next_boundary(times: MaintenanceTimes, now: datetime) -> datetime | None:
    """The next instant after `now` at which the derived status changes by itself."""
    later = [t for t in (times.start, times.end) if t > now]
    return min(later) if later else None
