"""Reading action items: filters, pages by due date (undated last), and batch reads."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import reduce

from tortoise.expressions import Q, RawSQL
from tortoise.queryset import QuerySet

from app import clock
from app.errors import ValidationFailed
from app.identity.policy import Principal
from app.pagination import Page, decode_keys, encode_keys, page_size
from app.postmortems.enums import ActionItemStatus
from app.postmortems.models import ActionItem
from app.postmortems.queries import visible_incidents

OPEN_STATUSES = (ActionItemStatus.OPEN, ActionItemStatus.IN_PROGRESS)


def today() -> date:
    """Due dates are calendar dates, compared with today's date in UTC."""
    return clock.now().date()


def is_overdue(item: ActionItem, on: date | None = None) -> bool:
    return (
        item.due_date is not None and item.due_date < (on or today()) and ActionItemStatus(item.status) in OPEN_STATUSES
    )


@dataclass(frozen=True)
class ActionItemFilter:
    owner_id: int | None = None
    statuses: Sequence[ActionItemStatus] = ()
    overdue: bool | None = None
    incident_id: int | None = None
    postmortem_id: int | None = None
    due_before: date | None = None


def _overdue() -> Q:
    return Q(due_date__lt=today(), status__in=list(OPEN_STATUSES))


def _conditions(principal: Principal, flt: ActionItemFilter | None) -> list[Q]:
    conditions = [visible_incidents(principal)]
    if flt is None:
        return conditions
    if flt.owner_id is not None:
        conditions.append(Q(owner_id=flt.owner_id))
    if flt.statuses:
        conditions.append(Q(status__in=list(flt.statuses)))
    if flt.overdue is True:
        conditions.append(_overdue())
    elif flt.overdue is False:
        conditions.append(Q(due_date__isnull=True) | Q(due_date__gte=today()) | ~Q(status__in=list(OPEN_STATUSES)))
    if flt.incident_id is not None:
        conditions.append(Q(incident_id=flt.incident_id))
    if flt.postmortem_id is not None:
        conditions.append(Q(postmortem_id=flt.postmortem_id))
    if flt.due_before is not None:
        conditions.append(Q(due_date__lt=flt.due_before))
    return conditions


def by_due_date(query: QuerySet[ActionItem]) -> QuerySet[ActionItem]:
    """Earliest due first, undated last, then in creation order (the same on both databases)."""
    return query.annotate(undated=RawSQL('CASE WHEN "due_date" IS NULL THEN 1 ELSE 0 END')).order_by(
        "undated", "due_date", "id"
    )


def _cursor(item: ActionItem) -> str:
    return encode_keys("actionitem", item.due_date.toordinal() if item.due_date else 0, item.id)


def _after(cursor: str) -> Q:
    ordinal, item_id = decode_keys(cursor, "actionitem", 2, field="after")
    if ordinal <= 0:
        return Q(due_date__isnull=True, id__gt=item_id)
    try:
        due = date.fromordinal(ordinal)
    except (ValueError, OverflowError):
        raise ValidationFailed("after is not a valid cursor", field="after") from None
    return Q(due_date__gt=due) | Q(due_date=due, id__gt=item_id) | Q(due_date__isnull=True)


async def list_action_items(
    principal: Principal, *, first: int | None, after: str | None, flt: ActionItemFilter | None
) -> Page[ActionItem]:
    size = page_size(first, default=50)
    conditions = _conditions(principal, flt)
    if after:
        conditions.append(_after(after))
    rows = await by_due_date(ActionItem.filter(reduce(lambda a, b: a & b, conditions))).limit(size + 1)
    items = rows[:size]
    return Page(items, [_cursor(i) for i in items], len(rows) > size, after is not None)


async def count_action_items(principal: Principal, flt: ActionItemFilter | None) -> int:
    return await ActionItem.filter(reduce(lambda a, b: a & b, _conditions(principal, flt))).count()


async def by_incident(incident_ids: Sequence[int]) -> dict[int, list[ActionItem]]:
    """Action items of incidents the caller has already checked are visible, by due date."""
    grouped: dict[int, list[ActionItem]] = defaultdict(list)
    for row in await by_due_date(ActionItem.filter(incident_id__in=list(incident_ids))):
        grouped[row.incident_id].append(row)
    return grouped


async def by_postmortem(postmortem_ids: Sequence[int]) -> dict[int, list[ActionItem]]:
    grouped: dict[int, list[ActionItem]] = defaultdict(list)
    for row in await by_due_date(ActionItem.filter(postmortem_id__in=list(postmortem_ids))):
        grouped[row.postmortem_id].append(row)  # type: ignore[index]
    return grouped


async def by_owner(
    principal: Principal, owner_ids: Sequence[int], statuses: Sequence[ActionItemStatus] = ()
) -> dict[int, list[ActionItem]]:
    """The action items several users own that the principal may see, by due date."""
    query = ActionItem.filter(visible_incidents(principal), owner_id__in=list(owner_ids))
    if statuses:
        query = query.filter(status__in=list(statuses))
    grouped: dict[int, list[ActionItem]] = defaultdict(list)
    for row in await by_due_date(query):
        grouped[row.owner_id].append(row)  # type: ignore[index]
    return grouped
