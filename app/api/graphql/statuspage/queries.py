"""Status page queries: the public `statusPage`, and the lists behind the admin screens."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from app import clock
from app.api.graphql.context import Context
from app.api.graphql.relay import PageInfo, pk_of
from app.api.graphql.statuspage.types import ComponentGroup, Maintenance, StatusComponent, StatusPage
from app.identity.policy import Action, require
from app.pagination import page_size
from app.statuspage import queries
from app.statuspage.cache import public_cache


@strawberry.type
class MaintenanceEdge:
    cursor: str
    node: Maintenance


@strawberry.type
class MaintenanceConnection:
    edges: list[MaintenanceEdge]
    page_info: PageInfo


async def status_page() -> StatusPage:
    """The public page, converted once per snapshot."""
    return await public_cache.rendered("graphql", StatusPage.from_snapshot)


@strawberry.type
class StatusPageQuery:
    @strawberry.field(description="The public status page. Answers without a token.")
    async def status_page(self) -> StatusPage:
        return await status_page()

    @strawberry.field(description="Every status page component, in display order.")
    async def status_components(self, info: Info[Context, None]) -> list[StatusComponent]:
        require(info.context.principal, Action.READ)
        return (await status_page()).components

    @strawberry.field(description="Component groups, in display order.")
    async def component_groups(self, info: Info[Context, None]) -> list[ComponentGroup]:
        require(info.context.principal, Action.READ)
        return (await status_page()).groups

    @strawberry.field(description="Maintenances of every status (cancelled ones too), latest scheduled first.")
    async def maintenances(
        self, info: Info[Context, None], first: int | None = None, after: strawberry.ID | None = None
    ) -> MaintenanceConnection:
        require(info.context.principal, Action.READ)
        size = page_size(first, default=20)
        after_pk = pk_of(after, "Maintenance", field="after") if after else None
        rows, has_next = await queries.maintenance_page(first=size, after_id=after_pk)
        nodes = [Maintenance.from_view(v) for v in await queries.maintenance_views(rows, clock.now())]
        return MaintenanceConnection(
            edges=[MaintenanceEdge(cursor=str(n.id), node=n) for n in nodes],
            page_info=PageInfo(
                has_next_page=has_next,
                has_previous_page=after is not None,
                start_cursor=str(nodes[0].id) if nodes else None,
                end_cursor=str(nodes[-1].id) if nodes else None,
            ),
        )
