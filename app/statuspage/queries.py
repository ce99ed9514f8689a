"""Reading the status page: the public snapshot, and the internal reads behind loaders."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo

import orjson
from tortoise.expressions import Q, Subquery

from app.statuspage import rules, uptime
from app.statuspage.enums import UNRESOLVED_STATUSES, Audience, ComponentStatus, Impact, MaintenanceStatus, PublicStatus
from app.statuspage.models import (
    Component,
    ComponentGroup,
    ComponentStatusChange,
    Maintenance,
    MaintenanceComponent,
    MaintenanceUpdate,
    PageState,
    PublicIncident,
    StatusUpdate,
)
from app.statuspage.snapshot import (
    LATEST_INCIDENTS,
    LATEST_MAINTENANCES,
    UPTIME_DAYS,
    AffectedComponent,
    ComponentView,
    GroupView,
    IncidentUpdateView,
    IncidentView,
    MaintenanceUpdateView,
    MaintenanceView,
    PageConfig,
    Snapshot,
    UptimeView,
)

# Today's uptime moves while a component is down: rebuild at least this often.
REFRESH = timedelta(seconds=60)


def times_of(m: Maintenance) -> rules.MaintenanceTimes:
    return rules.MaintenanceTimes(
        scheduled_for=m.scheduled_for,
        scheduled_until=m.scheduled_until,
        started_at=m.started_at,
        verifying_at=m.verifying_at,
        completed_at=m.completed_at,
        cancelled_at=m.cancelled_at,
    )


async def maintenance_views(rows: Sequence[Maintenance], now: datetime) -> list[MaintenanceView]:
    """Views of the given maintenances (any status), in the given order."""
    ids = [m.id for m in rows]
    links: dict[int, list[int]] = defaultdict(list)
    for link in await MaintenanceComponent.filter(maintenance_id__in=ids).order_by("id"):
        links[link.maintenance_id].append(link.component_id)
    updates: dict[int, list[MaintenanceUpdateView]] = defaultdict(list)
    for u in await MaintenanceUpdate.filter(maintenance_id__in=ids).order_by("-created_at", "-id"):
        updates[u.maintenance_id].append(
            MaintenanceUpdateView(u.id, MaintenanceStatus(u.status), u.message, u.created_at)
        )
    views = []
    for m in rows:
        times = times_of(m)
        status = rules.maintenance_status(times, now)
        window = times.window()
        views.append(
            MaintenanceView(
                id=m.id,
                title=m.title,
                status=status,
                scheduled_for=m.scheduled_for,
                scheduled_until=m.scheduled_until,
                started_at=window[0] if window and now >= window[0] else None,
                ended_at=times.end if status in (MaintenanceStatus.COMPLETED, MaintenanceStatus.CANCELLED) else None,
                created_at=m.created_at,
                updated_at=m.updated_at,
                component_ids=tuple(links[m.id]),
                updates=tuple(updates[m.id]),
            )
        )
    return views


async def _public_incidents(existing_components: set[int]) -> list[IncidentView]:
    public = Q(published_at__isnull=False, incident__private=False)
    latest = await PublicIncident.filter(public).order_by("-published_at", "-id").limit(LATEST_INCIDENTS)
    unresolved = await PublicIncident.filter(public, status__in=list(UNRESOLVED_STATUSES))
    rows = {row.id: row for row in [*latest, *unresolved]}
    by_incident = {row.incident_id: row for row in rows.values()}
    updates: dict[int, list[IncidentUpdateView]] = defaultdict(list)
    affected: dict[int, dict[int, None]] = defaultdict(dict)
    query = StatusUpdate.filter(incident_id__in=list(by_incident), audience=Audience.PUBLIC, incident__private=False)
    for u in await query.order_by("-id"):
        impacts = tuple(
            AffectedComponent(
                component_id=int(i["componentId"]),
                name=str(i["name"]),
                old_status=ComponentStatus(i["from"]) if i.get("from") else None,
                new_status=ComponentStatus(i["to"]),
            )
            for i in u.impacts
        )
        owner = by_incident[u.incident_id].id
        updates[owner].append(IncidentUpdateView(u.id, PublicStatus(u.public_status), u.message, u.created_at, impacts))
    for owner, owner_updates in updates.items():
        for update in reversed(owner_updates):  # first affected first
            for impact in update.affected:
                if impact.component_id in existing_components:
                    affected[owner][impact.component_id] = None
    views = [
        IncidentView(
            id=row.id,
            title=row.title,
            status=PublicStatus(row.status),
            impact=Impact(row.impact_override or row.impact),
            created_at=row.published_at,
            updated_at=row.updated_at,
            monitoring_at=row.monitoring_at,
            resolved_at=row.resolved_at,
            updates=tuple(updates[row.id]),
            component_ids=tuple(affected[row.id]),
        )
        for row in rows.values()
        if updates[row.id]
    ]
    views.sort(key=lambda v: (v.created_at, v.id), reverse=True)
    return views


async def _maintenances(window_start: datetime, now: datetime) -> list[MaintenanceView]:
    recent = await Maintenance.filter(scheduled_until__gte=window_start)
    latest = await Maintenance.all().order_by("-scheduled_for", "-id").limit(LATEST_MAINTENANCES)
    rows = list({m.id: m for m in [*recent, *latest]}.values())
    views = await maintenance_views(rows, now)
    # A maintenance cancelled before it started never happened, as far as the public knows.
    public = [v for v in views if v.status is not MaintenanceStatus.CANCELLED]
    public.sort(key=lambda v: (v.scheduled_for, v.id), reverse=True)
    return public


def _display_order(components: list[Component], groups: list[ComponentGroup]) -> list[Component]:
    group_key = {g.id: (g.position, 1, g.id) for g in groups}

    def key(c: Component) -> tuple[int, ...]:
        own = (c.position, 0, c.id)
        top = own if c.group_id is None else group_key.get(c.group_id, own)
        return (*top, c.position, c.id)

    return sorted(components, key=key)


@dataclass(frozen=True)
class _Period:
    """The days the uptime bars cover, in the page's time zone, up to `now`."""

    now: datetime
    tz: tzinfo
    days: list[date]

    @property
    def start(self) -> datetime:
        return uptime.day_bounds(self.days[0], self.tz)[0]

    @property
    def end_of_today(self) -> datetime:
        return uptime.day_bounds(self.days[-1], self.tz)[1]


async def build_snapshot(page: PageConfig, now: datetime) -> Snapshot:
    """Everything the public may see, as of `now` (about ten queries, whatever the size)."""
    period = _Period(now, page.tz, uptime.days_ending(now.astimezone(page.tz).date(), UPTIME_DAYS))
    groups = await ComponentGroup.all().order_by("position", "id")
    components = _display_order(await Component.all(), groups)
    maintenances = await _maintenances(period.start, now)
    times = {m.id: times_of(m) for m in await Maintenance.filter(id__in=[v.id for v in maintenances])}
    component_views = await _component_views(components, _windows(maintenances, times), period)
    group_views = _group_views(groups, component_views)
    incidents = await _public_incidents({c.id for c in components})
    overall = await _overall(component_views, incidents, maintenances)
    boundaries = [b for t in times.values() for b in (t.start, t.end)]
    updated_at = await _updated_at([b for b in boundaries if b <= now], now)
    expires = [now + REFRESH, period.end_of_today, *(b for b in boundaries if b > now)]
    body = (page, updated_at, overall, group_views, component_views, incidents, maintenances)
    return Snapshot(
        page=page,
        updated_at=updated_at,
        overall=overall,
        groups=group_views,
        components=tuple(component_views),
        incidents=tuple(incidents),
        maintenances=tuple(maintenances),
        revision=hashlib.blake2b(orjson.dumps(body), digest_size=10).hexdigest(),
        built_at=now,
        expires_at=min(expires),
    )


def _windows(
    maintenances: Sequence[MaintenanceView], times: dict[int, rules.MaintenanceTimes]
) -> dict[int, list[tuple[datetime, datetime]]]:
    """The maintenance windows laid over each component, by component id."""
    windows: dict[int, list[tuple[datetime, datetime]]] = defaultdict(list)
    for view in maintenances:
        window = times[view.id].window()
        if window is not None:
            for component_id in view.component_ids:
                windows[component_id].append(window)
    return windows


async def _component_views(
    components: Sequence[Component], windows: dict[int, list[tuple[datetime, datetime]]], period: _Period
) -> list[ComponentView]:
    """Each component with its shown status and its uptime over the period."""
    changes: dict[int, list[ComponentStatusChange]] = defaultdict(list)
    for change in await ComponentStatusChange.filter(at__gte=period.start).order_by("at", "id"):
        changes[change.component_id].append(change)
    return [_component_view(c, changes[c.id], windows[c.id], period) for c in components]


def _component_view(
    c: Component, mine: Sequence[ComponentStatusChange], windows: Sequence[tuple[datetime, datetime]], period: _Period
) -> ComponentView:
    now = period.now
    initial = ComponentStatus(mine[0].from_status or mine[0].to_status) if mine else ComponentStatus(c.status)
    intervals = uptime.effective_intervals(
        max(period.start, c.created_at), initial, [(x.at, ComponentStatus(x.to_status)) for x in mine], windows, now
    )
    daily = uptime.daily(intervals, period.days, period.tz)
    percentage = uptime.overall(daily)
    in_window = any(a <= now < b for a, b in windows)
    return ComponentView(
        id=c.id,
        name=c.name,
        description=c.description,
        position=c.position,
        group_id=c.group_id,
        status=rules.effective_status(ComponentStatus(c.status), in_window),
        created_at=c.created_at,
        updated_at=c.updated_at,
        uptime=UptimeView(None if percentage is None else round(percentage * 100, 4), tuple(daily)),
    )


def _group_views(groups: Sequence[ComponentGroup], component_views: Sequence[ComponentView]) -> tuple[GroupView, ...]:
    by_group: dict[int, list[ComponentView]] = defaultdict(list)
    for view in component_views:
        if view.group_id is not None:
            by_group[view.group_id].append(view)
    return tuple(
        GroupView(
            id=g.id,
            name=g.name,
            description=g.description,
            position=g.position,
            status=rules.worst(v.status for v in by_group[g.id]),
            component_ids=tuple(v.id for v in by_group[g.id]),
            created_at=g.created_at,
            updated_at=g.updated_at,
        )
        for g in groups
    )


async def _overall(
    component_views: Sequence[ComponentView], incidents: Sequence[IncidentView], maintenances: Sequence[MaintenanceView]
) -> rules.Overall:
    """The page's headline: from the components, the unresolved incidents' impacts, maintenance."""
    shown = {v.id: v.status for v in component_views}
    overrides = {row.id: row.impact_override for row in await PublicIncident.filter(id__in=[i.id for i in incidents])}
    return rules.overall(
        (v.status for v in component_views),
        (
            rules.current_impact(overrides.get(i.id), [shown[c] for c in i.component_ids if c in shown])
            for i in incidents
            if i.unresolved
        ),
        maintenance_active=any(m.active for m in maintenances),
    )


async def _updated_at(passed_boundaries: Sequence[datetime], now: datetime) -> datetime:
    """When the page last changed: a command's change, or a maintenance starting or ending."""
    state = await PageState.get_or_none(id=1)
    return max([*passed_boundaries, *([state.updated_at] if state else [])], default=now)


async def status_updates(incident_ids: Sequence[int]) -> dict[int, list[StatusUpdate]]:
    """Every update (both audiences) of several incidents, newest first."""
    grouped: dict[int, list[StatusUpdate]] = defaultdict(list)
    for row in await StatusUpdate.filter(incident_id__in=list(incident_ids)).order_by("-id"):
        grouped[row.incident_id].append(row)
    return grouped


async def public_incidents(incident_ids: Sequence[int]) -> dict[int, PublicIncident]:
    return {row.incident_id: row for row in await PublicIncident.filter(incident_id__in=list(incident_ids))}


async def components(component_ids: Sequence[int]) -> dict[int, Component]:
    return {row.id: row for row in await Component.filter(id__in=list(component_ids))}


async def history(component_id: int, now: datetime) -> tuple[list[uptime.EffectiveChange], dict[int, MaintenanceView]]:
    """Every change of a component's shown status (oldest first), and the maintenances involved."""
    stored = await ComponentStatusChange.filter(component_id=component_id).order_by("at", "id")
    changes = [
        (c.at, ComponentStatus(c.to_status), uptime.Cause(incident_id=c.incident_id, actor_id=c.actor_id))
        for c in stored
    ]
    linked = MaintenanceComponent.filter(component_id=component_id).values("maintenance_id")
    rows = await Maintenance.filter(id__in=Subquery(linked))
    windows = []
    for row in rows:
        window = times_of(row).window()
        if window is not None:
            windows.append((window[0], window[1], row.id))
    views = {v.id: v for v in await maintenance_views(rows, now)}
    return uptime.effective_changes(changes, windows, now), views


async def maintenance_page(*, first: int, after_id: int | None) -> tuple[list[Maintenance], bool]:
    """Maintenances, newest scheduled first (all statuses, cancelled included)."""
    query = Maintenance.all()
    if after_id is not None:
        anchor = await Maintenance.get_or_none(id=after_id)
        if anchor is not None:
            query = query.filter(
                Q(scheduled_for__lt=anchor.scheduled_for) | Q(scheduled_for=anchor.scheduled_for, id__lt=anchor.id)
            )
    rows = await query.order_by("-scheduled_for", "-id").limit(first + 1)
    return rows[:first], len(rows) > first
