"""A component's status history for GraphQL."""

from __future__ import annotations

from strawberry.types import Info

from app import clock
from app.api.graphql.context import Context
from app.api.graphql.statuspage.types import ComponentStatusChange
from app.pagination import page_size
from app.statuspage import queries


async def status_history(info: Info[Context, None], component_pk: int, first: int) -> list[ComponentStatusChange]:
    size = page_size(first, default=50)
    changes, maintenances = await queries.history(component_pk, clock.now())
    return [
        ComponentStatusChange(
            at=c.at,
            from_status=c.from_status,
            to_status=c.to_status,
            incident_pk=c.cause.incident_id,
            actor_pk=c.cause.actor_id,
            maintenance_value=maintenances.get(c.cause.maintenance_id) if c.cause.maintenance_id else None,
        )
        for c in reversed(changes[-size:] if size else [])
    ]
