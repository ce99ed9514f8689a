"""GraphQL for the service catalog."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from app import pagination
from app.api.graphql.context import Context
from app.api.graphql.errors import UserError, payload
from app.api.graphql.relay import Node, PageInfo, page_info
from app.api.graphql.scalars import DateTime
from app.catalog import service as catalog
from app.catalog.models import Service as ServiceModel
from app.identity.policy import Action, require
from app.ids import to_global_id


@strawberry.type
class Service(Node):
    name: str
    description: str
    owner_team: str
    created_at: DateTime
    pk: strawberry.Private[int]

    @classmethod
    def from_model(cls, service: ServiceModel) -> Service:
        return cls(
            id=strawberry.ID(to_global_id("Service", service.id)),
            pk=service.id,
            name=service.name,
            description=service.description,
            owner_team=service.owner_team,
            created_at=service.created_at,
        )


@strawberry.type
class ServiceEdge:
    cursor: str
    node: Service


@strawberry.type
class ServiceConnection:
    edges: list[ServiceEdge]
    page_info: PageInfo
    total_count: int


@strawberry.input
class CreateServiceInput:
    name: str
    description: str = ""
    owner_team: str = ""


@strawberry.type
class ServicePayload:
    service: Service | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class CatalogQuery:
    @strawberry.field(description="Services, in creation order.")
    async def services(
        self, info: Info[Context, None], first: int | None = None, after: str | None = None
    ) -> ServiceConnection:
        require(info.context.principal, Action.READ)
        page = await pagination.by_id(ServiceModel.all(), kind="service", first=first, after=after)
        return ServiceConnection(
            edges=[
                ServiceEdge(cursor=c, node=Service.from_model(s)) for c, s in zip(page.cursors, page.items, strict=True)
            ],
            page_info=page_info(page),
            total_count=await ServiceModel.all().count(),
        )


@strawberry.type
class CatalogMutation:
    @strawberry.mutation(description="Admin: add a service to the catalog.")
    @payload(ServicePayload)
    async def create_service(self, info: Info[Context, None], input: CreateServiceInput) -> ServicePayload:
        require(info.context.principal, Action.ADMIN)
        service = await catalog.create_service(
            name=input.name, description=input.description, owner_team=input.owner_team
        )
        return ServicePayload(service=Service.from_model(service))
