"""Per-request DataLoaders of postmortems, their parts and action items."""

from __future__ import annotations

from collections.abc import Sequence

from strawberry.dataloader import DataLoader

from app.identity.policy import Principal
from app.postmortems import queries
from app.postmortems.action_items import queries as action_item_queries
from app.postmortems.enums import ActionItemStatus
from app.postmortems.models import ActionItem, Postmortem, PostmortemReviewer, PostmortemTemplate
from app.postmortems.queries import CuratedEntry

OwnerKey = tuple[int, tuple[ActionItemStatus, ...]]


class PostmortemLoaders:
    def __init__(self, principal: Principal | None) -> None:
        self.principal = principal
        self.postmortem = DataLoader(self._postmortems)
        self.by_incident = DataLoader(self._by_incident)
        self.authors = DataLoader(self._authors)
        self.reviewers = DataLoader(self._reviewers)
        self.timeline = DataLoader(self._timeline)
        self.template = DataLoader(self._templates)
        self.incident_action_items = DataLoader(self._incident_action_items)
        self.postmortem_action_items = DataLoader(self._postmortem_action_items)
        self.owner_action_items = DataLoader(self._owner_action_items)

    async def _postmortems(self, ids: Sequence[int]) -> list[Postmortem | None]:
        """Only postmortems of incidents the requester may see; others load as None."""
        if self.principal is None:
            return [None for _ in ids]
        rows = await queries.get_visible(self.principal, ids)
        return [rows.get(i) for i in ids]

    async def _by_incident(self, incident_ids: Sequence[int]) -> list[Postmortem | None]:
        rows = await queries.by_incident(incident_ids)
        return [rows.get(i) for i in incident_ids]

    async def _authors(self, ids: Sequence[int]) -> list[list[int]]:
        grouped = await queries.authors_by_postmortem(ids)
        return [grouped.get(i, []) for i in ids]

    async def _reviewers(self, ids: Sequence[int]) -> list[list[PostmortemReviewer]]:
        grouped = await queries.reviewers_by_postmortem(ids)
        return [grouped.get(i, []) for i in ids]

    async def _timeline(self, ids: Sequence[int]) -> list[list[CuratedEntry]]:
        grouped = await queries.timeline_by_postmortem(ids)
        return [grouped.get(i, []) for i in ids]

    async def _templates(self, ids: Sequence[int]) -> list[PostmortemTemplate | None]:
        rows = {row.id: row for row in await PostmortemTemplate.filter(id__in=list(ids))}
        return [rows.get(i) for i in ids]

    async def _incident_action_items(self, incident_ids: Sequence[int]) -> list[list[ActionItem]]:
        grouped = await action_item_queries.by_incident(incident_ids)
        return [grouped.get(i, []) for i in incident_ids]

    async def _postmortem_action_items(self, ids: Sequence[int]) -> list[list[ActionItem]]:
        grouped = await action_item_queries.by_postmortem(ids)
        return [grouped.get(i, []) for i in ids]

    async def _owner_action_items(self, keys: Sequence[OwnerKey]) -> list[list[ActionItem]]:
        """Owners asked with the same statuses share one query."""
        if self.principal is None:
            return [[] for _ in keys]
        results: dict[OwnerKey, list[ActionItem]] = {}
        for statuses in {k[1] for k in keys}:
            owners = [k[0] for k in keys if k[1] == statuses]
            grouped = await action_item_queries.by_owner(self.principal, owners, statuses)
            results.update({(owner, statuses): grouped.get(owner, []) for owner in owners})
        return [results[k] for k in keys]
