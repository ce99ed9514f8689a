"""Reading postmortems: visibility (that of their incident), pages, and the batch reads behind
loaders. Action items are read in `action_items/queries.py`."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import reduce

from tortoise.expressions import Q, Subquery

from app.identity.models import User
from app.identity.policy import Principal
from app.incidents.models import Incident, RoleAssignment, TimelineEvent
from app.incidents.queries import visible_to
from app.pagination import Page, decode_cursor, encode_cursor, page_size
from app.postmortems.enums import PostmortemStatus
from app.postmortems.models import (
    ActionItem,
    Postmortem,
    PostmortemAuthor,
    PostmortemReviewer,
    PostmortemRevision,
    PostmortemTemplate,
    PostmortemTimelineEntry,
)


def visible_incidents(principal: Principal) -> Q:
    """Rows whose `incident_id` is an incident the principal may see."""
    if principal.is_admin:
        return Q()
    return Q(incident_id__in=Subquery(Incident.filter(visible_to(principal)).values("id")))


async def get_visible(principal: Principal, postmortem_ids: Sequence[int]) -> dict[int, Postmortem]:
    rows = await Postmortem.filter(visible_incidents(principal), id__in=list(postmortem_ids))
    return {row.id: row for row in rows}


async def by_ids(postmortem_ids: Sequence[int]) -> dict[int, Postmortem]:
    """Postmortems by id, whoever asks (for checks that then apply visibility themselves)."""
    return {row.id: row for row in await Postmortem.filter(id__in=list(postmortem_ids))}


async def by_incident(incident_ids: Sequence[int]) -> dict[int, Postmortem]:
    """The postmortems of incidents the caller has already checked are visible."""
    rows = await Postmortem.filter(incident_id__in=list(incident_ids))
    return {row.incident_id: row for row in rows}


@dataclass(frozen=True)
class PostmortemFilter:
    statuses: Sequence[PostmortemStatus] = ()
    author_id: int | None = None
    reviewer_id: int | None = None


def _conditions(principal: Principal, flt: PostmortemFilter | None) -> list[Q]:
    conditions = [visible_incidents(principal)]
    if flt is None:
        return conditions
    if flt.statuses:
        conditions.append(Q(status__in=list(flt.statuses)))
    if flt.author_id is not None:
        conditions.append(Q(id__in=Subquery(PostmortemAuthor.filter(user_id=flt.author_id).values("postmortem_id"))))
    if flt.reviewer_id is not None:
        conditions.append(
            Q(id__in=Subquery(PostmortemReviewer.filter(user_id=flt.reviewer_id).values("postmortem_id")))
        )
    return conditions


async def list_postmortems(
    principal: Principal, *, first: int | None, after: str | None, flt: PostmortemFilter | None
) -> Page[Postmortem]:
    """Newest first."""
    size = page_size(first, default=20)
    conditions = _conditions(principal, flt)
    if after:
        conditions.append(Q(id__lt=decode_cursor(after, "postmortem", field="after")))
    rows = await Postmortem.filter(reduce(lambda a, b: a & b, conditions)).order_by("-id").limit(size + 1)
    items = rows[:size]
    return Page(items, [encode_cursor("postmortem", r.id) for r in items], len(rows) > size, after is not None)


async def count_postmortems(principal: Principal, flt: PostmortemFilter | None) -> int:
    return await Postmortem.filter(reduce(lambda a, b: a & b, _conditions(principal, flt))).count()


async def authors_by_postmortem(postmortem_ids: Sequence[int]) -> dict[int, list[int]]:
    rows = (
        await PostmortemAuthor.filter(postmortem_id__in=list(postmortem_ids))
        .order_by("id")
        .values_list("postmortem_id", "user_id")
    )
    grouped: dict[int, list[int]] = defaultdict(list)
    for postmortem_id, user_id in rows:
        grouped[postmortem_id].append(user_id)
    return grouped


async def reviewers_by_postmortem(postmortem_ids: Sequence[int]) -> dict[int, list[PostmortemReviewer]]:
    grouped: dict[int, list[PostmortemReviewer]] = defaultdict(list)
    for row in await PostmortemReviewer.filter(postmortem_id__in=list(postmortem_ids)).order_by("id"):
        grouped[row.postmortem_id].append(row)
    return grouped


@dataclass(frozen=True)
class CuratedEntry:
    entry: PostmortemTimelineEntry
    event: TimelineEvent | None


async def timeline_by_postmortem(postmortem_ids: Sequence[int]) -> dict[int, list[CuratedEntry]]:
    """Each postmortem's curated timeline in `occurredAt` order (then the order added)."""
    entries = await PostmortemTimelineEntry.filter(postmortem_id__in=list(postmortem_ids)).order_by("occurred_at", "id")
    event_ids = [e.event_id for e in entries if e.event_id is not None]
    events = {e.id: e for e in await TimelineEvent.filter(id__in=event_ids)} if event_ids else {}
    grouped: dict[int, list[CuratedEntry]] = defaultdict(list)
    for entry in entries:
        grouped[entry.postmortem_id].append(CuratedEntry(entry, events.get(entry.event_id) if entry.event_id else None))
    return grouped


async def revisions_page(
    postmortem_id: int, *, first: int | None, after: str | None
) -> tuple[Page[PostmortemRevision], int]:
    """Newest first, and how many there are."""
    size = page_size(first, default=50)
    query = PostmortemRevision.filter(postmortem_id=postmortem_id)
    if after:
        query = query.filter(id__lt=decode_cursor(after, "revision", field="after"))
    rows = await query.order_by("-id").limit(size + 1)
    items = rows[:size]
    total = await PostmortemRevision.filter(postmortem_id=postmortem_id).count()
    return Page(items, [encode_cursor("revision", r.id) for r in items], len(rows) > size, after is not None), total


async def templates() -> list[PostmortemTemplate]:
    """The default template first, then by name."""
    return await PostmortemTemplate.all().order_by("-is_default", "name")


async def people_names(postmortem: Postmortem) -> list[str]:
    """Names the blameless language review recognises as people: everyone involved in the
    incident (who declared it, held a role, wrote on its timeline, writes, reviews or owns
    follow-ups). Bounded, so the review stays fast however many users there are."""
    incident_id = postmortem.incident_id
    involved = (
        Q(id__in=Subquery(Incident.filter(id=incident_id).values("created_by_id")))
        | Q(id__in=Subquery(RoleAssignment.filter(incident_id=incident_id).values("user_id")))
        | Q(id__in=Subquery(TimelineEvent.filter(incident_id=incident_id).values("actor_id")))
        | Q(id__in=Subquery(PostmortemAuthor.filter(postmortem_id=postmortem.id).values("user_id")))
        | Q(id__in=Subquery(PostmortemReviewer.filter(postmortem_id=postmortem.id).values("user_id")))
        | Q(id__in=Subquery(ActionItem.filter(incident_id=incident_id).values("owner_id")))
    )
    return list(await User.filter(involved).values_list("name", flat=True))
