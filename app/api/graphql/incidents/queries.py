"""Incident queries."""

from __future__ import annotations

import asyncio

import strawberry
from strawberry.types import Info

from app.api.graphql.context import Context
from app.api.graphql.incidents.prefetch import prefetch
from app.api.graphql.incidents.types import Incident, IncidentEdge, IncidentStatus, Severity
from app.api.graphql.lookahead import path
from app.api.graphql.relay import PageInfo, page_info, pks_of
from app.identity.policy import Action, Principal, require
from app.ids import parse_pk
from app.incidents import queries
from app.incidents.queries import IncidentFilter as DomainFilter


@strawberry.input
class IncidentFilter:
    statuses: list[IncidentStatus] | None = None
    severities: list[Severity] | None = None
    service_ids: list[strawberry.ID] | None = None
    open: bool | None = strawberry.field(default=None, description="Only open (true) or only not open (false).")
    search: str | None = strawberry.field(default=None, description="Words in the title or summary.")

    def to_domain(self) -> DomainFilter:
        return DomainFilter(
            statuses=self.statuses or (),
            severities=self.severities or (),
            service_ids=pks_of(self.service_ids, "Service", field="filter.serviceIds"),
            open=self.open,
            search=self.search,
        )


@strawberry.type
class IncidentConnection:
    edges: list[IncidentEdge]
    page_info: PageInfo
    principal: strawberry.Private[Principal]
    domain_filter: strawberry.Private[DomainFilter | None]
    counting: strawberry.Private[asyncio.Task[int] | None] = None

    @strawberry.field(description="How many incidents match the filter, over all pages.")
    async def total_count(self) -> int:
        if self.counting is not None:
            return await self.counting
        return await queries.count_incidents(self.principal, self.domain_filter)

    @strawberry.field(description="The incidents of this page, without cursors.")
    def nodes(self) -> list[Incident]:
        return [edge.node for edge in self.edges]


@strawberry.type
class IncidentQuery:
    @strawberry.field
    async def incident(self, info: Info[Context, None], id: strawberry.ID) -> Incident | None:
        require(info.context.principal, Action.READ)
        pk = parse_pk(id, "Incident")
        if pk is None:
            return None
        row = await info.context.loaders.incident.load(pk)
        return Incident.from_model(row) if row else None

    @strawberry.field(description="Look an incident up by its reference, such as INC-42.")
    async def incident_by_reference(self, info: Info[Context, None], reference: str) -> Incident | None:
        principal = require(info.context.principal, Action.READ)
        row = await queries.by_reference(principal, reference)
        return Incident.from_model(row) if row else None

    @strawberry.field(description="Incidents, newest first.")
    async def incidents(
        self,
        info: Info[Context, None],
        first: int | None = None,
        after: str | None = None,
        filter: IncidentFilter | None = None,
    ) -> IncidentConnection:
        principal = require(info.context.principal, Action.READ)
        domain_filter = filter.to_domain() if filter else None
        counting = None
        if path(info.selected_fields, "totalCount"):  # count while the page and its relations load
            counting = asyncio.ensure_future(queries.count_incidents(principal, domain_filter))
        try:
            page = await queries.list_incidents(principal, first=first, after=after, flt=domain_filter)
        except BaseException:
            if counting is not None:
                counting.cancel()
            raise
        edges = [
            IncidentEdge(cursor=cursor, node=Incident.from_model(row))
            for cursor, row in zip(page.cursors, page.items, strict=True)
        ]
        selected = [*path(info.selected_fields, "edges", "node"), *path(info.selected_fields, "nodes")]
        await prefetch([edge.node for edge in edges], selected)
        return IncidentConnection(
            edges=edges,
            page_info=page_info(page),
            principal=principal,
            domain_filter=domain_filter,
            counting=counting,
        )
