"""Reading incidents: visibility, filters, keyset pages and the batch reads behind loaders."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import reduce
from types import SimpleNamespace

from tortoise.expressions import Q, Subquery

from app import db
from app.catalog.models import Service
from app.identity.policy import Principal
from app.ids import parse_int
from app.incidents.enums import IncidentStatus, Severity
from app.incidents.lifecycle import OPEN_STATUSES
from app.incidents.models import Incident, IncidentMember, IncidentService, RoleAssignment, TimelineEvent
from app.pagination import Page, decode_cursor, encode_cursor, page_size
from app.text import search_term


@dataclass(frozen=True)
class IncidentFilter:
    statuses: Sequence[IncidentStatus] = ()
    severities: Sequence[Severity] = ()
    service_ids: Sequence[int] = ()
    open: bool | None = None
    search: str | None = None
    extra: Sequence[Q] = field(default_factory=tuple)


def visible_to(principal: Principal) -> Q:
    """Incidents the principal may see: all for admins; otherwise public ones, and private ones
    on which they hold a role or are a member (the declarer of a private incident is one)."""
    if principal.is_admin:
        return Q()
    role_holder = Subquery(RoleAssignment.filter(user_id=principal.user_id).values("incident_id"))
    member = Subquery(IncidentMember.filter(user_id=principal.user_id).values("incident_id"))
    return Q(private=False) | Q(id__in=role_holder) | Q(id__in=member)


async def sees_only_public(principal: Principal) -> bool:
    """True when the principal sees exactly the public incidents: not an admin, holding no role
    and no membership on any incident (so what it reads is what any such reader reads)."""
    if principal.is_admin:
        return False
    return not (
        await RoleAssignment.filter(user_id=principal.user_id).exists()
        or await IncidentMember.filter(user_id=principal.user_id).exists()
    )


async def can_see(principal: Principal, incident_id: int) -> bool:
    return await Incident.filter(visible_to(principal), id=incident_id).exists()


def _filtered(principal: Principal, flt: IncidentFilter | None) -> list[Q]:
    conditions = [visible_to(principal)]
    if flt is None:
        return conditions
    if flt.statuses:
        conditions.append(Q(status__in=list(flt.statuses)))
    if flt.severities:
        conditions.append(Q(severity__in=list(flt.severities)))
    if flt.open is True:
        conditions.append(Q(status__in=list(OPEN_STATUSES)))
    elif flt.open is False:
        conditions.append(~Q(status__in=list(OPEN_STATUSES)))
    if flt.service_ids:
        linked = Subquery(IncidentService.filter(service_id__in=list(flt.service_ids)).values("incident_id"))
        conditions.append(Q(id__in=linked))
    if term := search_term(flt.search, field="filter.search"):
        conditions.append(Q(title__icontains=term) | Q(summary__icontains=term))
    conditions.extend(flt.extra)
    return conditions


async def list_incidents(
    principal: Principal, *, first: int | None, after: str | None, flt: IncidentFilter | None
) -> Page[Incident]:
    """Newest first (by number)."""
    size = page_size(first, default=20)
    conditions = _filtered(principal, flt)
    if after:
        conditions.append(Q(number__lt=decode_cursor(after, "incident", field="after")))
    query = Incident.filter(reduce(lambda a, b: a & b, conditions)).order_by("-number").limit(size + 1)
    rows = await query
    items = rows[:size]
    return Page(
        items=items,
        cursors=[encode_cursor("incident", row.number) for row in items],
        has_next=len(rows) > size,
        has_previous=after is not None,
    )


async def count_incidents(principal: Principal, flt: IncidentFilter | None) -> int:
    return await Incident.filter(reduce(lambda a, b: a & b, _filtered(principal, flt))).count()


async def get_visible(principal: Principal, incident_ids: Sequence[int]) -> dict[int, Incident]:
    rows = await Incident.filter(visible_to(principal), id__in=list(incident_ids))
    return {row.id: row for row in rows}


async def by_reference(principal: Principal, reference: str) -> Incident | None:
    prefix, _, number = reference.strip().upper().partition("-")
    value = parse_int(number)
    if prefix != "INC" or value is None:
        return None
    return await Incident.filter(visible_to(principal), number=value).first()


async def services_by_incident(incident_ids: Sequence[int]) -> dict[int, list[Service]]:
    links = await IncidentService.filter(incident_id__in=list(incident_ids)).select_related("service").order_by("id")
    grouped: dict[int, list[Service]] = defaultdict(list)
    for link in links:
        grouped[link.incident_id].append(link.service)
    return grouped


async def members_by_incident(incident_ids: Sequence[int]) -> dict[int, list[IncidentMember]]:
    rows = await IncidentMember.filter(incident_id__in=list(incident_ids)).order_by("id")
    grouped: dict[int, list[IncidentMember]] = defaultdict(list)
    for row in rows:
        grouped[row.incident_id].append(row)
    return grouped


async def roles_by_incident(incident_ids: Sequence[int]) -> dict[int, list[RoleAssignment]]:
    rows = await RoleAssignment.filter(incident_id__in=list(incident_ids)).order_by("role")
    grouped: dict[int, list[RoleAssignment]] = defaultdict(list)
    for row in rows:
        grouped[row.incident_id].append(row)
    return grouped


@dataclass(frozen=True)
class TimelineWindow:
    """A page of one incident's timeline as a sequence range: sequences are contiguous
    from 1 to `last_sequence`, so a range is exact."""

    low: int  # inclusive
    high: int  # inclusive; < low means empty
    last_sequence: int

    @property
    def has_next(self) -> bool:
        return self.high < self.last_sequence

    @property
    def has_previous(self) -> bool:
        return self.low > 1


def timeline_window(
    last_sequence: int,
    *,
    first: int | None = None,
    after: str | None = None,
    after_sequence: int | None = None,
    last: int | None = None,
    before: str | None = None,
) -> TimelineWindow:
    start = 0  # exclusive
    end = last_sequence + 1  # exclusive
    if after is not None:
        start = max(start, decode_cursor(after, "event", field="after"))
    if after_sequence is not None:
        start = max(start, after_sequence)
    if before is not None:
        end = min(end, decode_cursor(before, "event", field="before"))
    start = min(start, last_sequence)  # past the end: an empty window, and no out-of-range sequence
    low, high = start + 1, end - 1
    if last is not None and first is None:
        low = max(low, high - page_size(last, default=50, field="last") + 1)
    else:
        high = min(high, low + page_size(first, default=50) - 1)
    return TimelineWindow(low=max(low, 1), high=min(high, last_sequence), last_sequence=last_sequence)


def event_cursor(sequence: int) -> str:
    return encode_cursor("event", sequence)


_EVENT_COLUMNS = "id, incident_id, sequence, kind, actor_id, occurred_at, recorded_at, message, data"


async def timeline_event_rows(windows: dict[int, TimelineWindow]) -> dict[int, list[SimpleNamespace]]:
    """Like `timeline_events`, as plain rows (no model instances): the incident list's hot path."""
    ranges = [(incident_id, w.low, w.high) for incident_id, w in windows.items() if w.high >= w.low]
    grouped: dict[int, list[SimpleNamespace]] = defaultdict(list)
    if not ranges:
        return grouped
    where = " OR ".join("(incident_id = {} AND sequence BETWEEN {} AND {})" for _ in ranges)
    sql = f"SELECT {_EVENT_COLUMNS} FROM timeline_events WHERE {where} ORDER BY incident_id, sequence"
    for row in await db.fetch_rows(TimelineEvent, sql, [value for r in ranges for value in r]):
        grouped[row["incident_id"]].append(SimpleNamespace(**row))
    return grouped


async def service_rows(incident_ids: Sequence[int]) -> dict[int, list[SimpleNamespace]]:
    """The services of several incidents as plain rows, in link order."""
    rows = (
        await IncidentService.filter(incident_id__in=list(incident_ids))
        .order_by("id")
        .values(
            "incident_id",
            id="service__id",
            name="service__name",
            description="service__description",
            owner_team="service__owner_team",
            created_at="service__created_at",
        )
    )
    grouped: dict[int, list[SimpleNamespace]] = defaultdict(list)
    for row in rows:
        grouped[row.pop("incident_id")].append(SimpleNamespace(**row))
    return grouped


async def role_rows(incident_ids: Sequence[int]) -> dict[int, list[SimpleNamespace]]:
    rows = (
        await RoleAssignment.filter(incident_id__in=list(incident_ids))
        .order_by("role")
        .values("incident_id", "role", "user_id", "assigned_at")
    )
    grouped: dict[int, list[SimpleNamespace]] = defaultdict(list)
    for row in rows:
        grouped[row["incident_id"]].append(SimpleNamespace(**row))
    return grouped


async def timeline_events(windows: dict[int, TimelineWindow]) -> dict[int, list[TimelineEvent]]:
    """Events of several incidents' windows in one query, each list in sequence order."""
    ranges = [
        Q(incident_id=incident_id, sequence__gte=w.low, sequence__lte=w.high)
        for incident_id, w in windows.items()
        if w.high >= w.low
    ]
    grouped: dict[int, list[TimelineEvent]] = defaultdict(list)
    if not ranges:
        return grouped
    rows = await TimelineEvent.filter(reduce(lambda a, b: a | b, ranges)).order_by("incident_id", "sequence")
    for row in rows:
        grouped[row.incident_id].append(row)
    return grouped
