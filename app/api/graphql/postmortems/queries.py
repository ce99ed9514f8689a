"""Postmortem queries."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from app.api.graphql.context import Context
from app.api.graphql.postmortems.types import Postmortem, PostmortemStatus, PostmortemTemplate
from app.api.graphql.relay import PageInfo, page_info, pk_of
from app.identity.policy import Action, require
from app.ids import parse_pk
from app.postmortems import queries, service
from app.postmortems.queries import PostmortemFilter as DomainFilter


@strawberry.input
class PostmortemFilter:
    status: list[PostmortemStatus] | None = strawberry.field(default=None, description="Any of these statuses.")
    author_id: strawberry.ID | None = None
    reviewer_id: strawberry.ID | None = strawberry.field(
        default=None, description="Postmortems this user is asked to review."
    )

    def to_domain(self) -> DomainFilter:
        return DomainFilter(
            statuses=tuple(self.status or ()),
            author_id=pk_of(self.author_id, "User", field="filter.authorId") if self.author_id else None,
            reviewer_id=pk_of(self.reviewer_id, "User", field="filter.reviewerId") if self.reviewer_id else None,
        )


@strawberry.type
class PostmortemEdge:
    cursor: str
    node: Postmortem


@strawberry.type
class PostmortemConnection:
    edges: list[PostmortemEdge]
    page_info: PageInfo
    total_count: int

    @strawberry.field(description="The postmortems of this page, without cursors.")
    def nodes(self) -> list[Postmortem]:
        return [edge.node for edge in self.edges]


@strawberry.type
class PostmortemQuery:
    @strawberry.field
    async def postmortem(self, info: Info[Context, None], id: strawberry.ID) -> Postmortem | None:
        require(info.context.principal, Action.READ)
        pk = parse_pk(id, "Postmortem")
        if pk is None:
            return None
        row = await info.context.loaders.postmortems.postmortem.load(pk)
        return Postmortem.from_model(row) if row else None

    @strawberry.field(description="Postmortems of incidents the viewer may see, newest first.")
    async def postmortems(
        self,
        info: Info[Context, None],
        first: int | None = None,
        after: str | None = None,
        filter: PostmortemFilter | None = None,
    ) -> PostmortemConnection:
        principal = require(info.context.principal, Action.READ)
        domain_filter = filter.to_domain() if filter else None
        page = await queries.list_postmortems(principal, first=first, after=after, flt=domain_filter)
        return PostmortemConnection(
            edges=[
                PostmortemEdge(cursor=c, node=Postmortem.from_model(p))
                for c, p in zip(page.cursors, page.items, strict=True)
            ],
            page_info=page_info(page),
            total_count=await queries.count_postmortems(principal, domain_filter),
        )

    @strawberry.field(description="Postmortem templates, the default first.")
    async def postmortem_templates(self, info: Info[Context, None]) -> list[PostmortemTemplate]:
        require(info.context.principal, Action.READ)
        await service.ensure_default_template()
        return [PostmortemTemplate.from_model(t) for t in await queries.templates()]
