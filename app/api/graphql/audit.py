"""GraphQL for the audit log (admins only)."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.types import Info

from app.api.graphql.context import Context
from app.api.graphql.identity import User
from app.api.graphql.relay import Node, PageInfo, page_info, pk_of
from app.api.graphql.scalars import JSON, DateTime
from app.audit import queries
from app.audit.models import AuditEntry as AuditEntryModel
from app.identity.policy import Action, require
from app.ids import to_global_id


@strawberry.type(description="One mutation or security event, as it happened. Never holds a secret.")
class AuditEntry(Node):
    at: DateTime
    operation: str = strawberry.field(
        description="The GraphQL field (`declareIncident`) or the event (`authenticate`)."
    )
    target: str | None = strawberry.field(description="The global id of what it was about, when there is one.")
    request_id: str | None
    client_ip: str | None
    outcome: str = strawberry.field(description="`ok`, `forbidden`, `denied` (authentication) or `error:<CODE>`.")
    actor_label: str = strawberry.field(description="`user:<id>`, `integration:<id>`, `system:<name>` or `anonymous`.")
    details: JSON
    actor_pk: strawberry.Private[int | None]

    @strawberry.field(description="The user who acted, when a user did.")
    async def actor(self, info: Info[Context, None]) -> User | None:
        if self.actor_pk is None:
            return None
        row = await info.context.loaders.user.load(self.actor_pk)
        return User.from_model(row) if row else None

    @classmethod
    def from_model(cls, entry: AuditEntryModel) -> AuditEntry:
        return cls(
            id=strawberry.ID(to_global_id("AuditEntry", entry.id)),
            at=entry.at,
            operation=entry.operation,
            target=entry.target,
            request_id=entry.request_id,
            client_ip=entry.client_ip,
            outcome=entry.outcome,
            actor_label=entry.actor_label,
            details=entry.details,
            actor_pk=entry.actor_id,
        )


@strawberry.type
class AuditEntryEdge:
    cursor: str
    node: AuditEntry


@strawberry.type
class AuditEntryConnection:
    edges: list[AuditEntryEdge]
    page_info: PageInfo


@strawberry.input
class AuditLogFilter:
    actor_id: strawberry.ID | None = None
    operation: str | None = None
    outcome: str | None = None
    target: strawberry.ID | None = None
    since: DateTime | None = None
    until: DateTime | None = None


@strawberry.type
class AuditQuery:
    @strawberry.field(description="Admin: the audit log, newest first.")
    async def audit_log(
        self,
        info: Info[Context, None],
        first: int | None = None,
        after: str | None = None,
        filter: AuditLogFilter | None = None,
    ) -> AuditEntryConnection:
        require(info.context.principal, Action.ADMIN)
        domain_filter = None
        if filter is not None:
            domain_filter = queries.AuditFilter(
                actor_id=pk_of(filter.actor_id, "User", field="filter.actorId") if filter.actor_id else None,
                operation=filter.operation,
                outcome=filter.outcome,
                target=filter.target,
                since=filter.since,
                until=filter.until,
            )
        page = await queries.entries(first=first, after=after, flt=domain_filter)
        return AuditEntryConnection(
            edges=[
                AuditEntryEdge(cursor=c, node=AuditEntry.from_model(e))
                for c, e in zip(page.cursors, page.items, strict=True)
            ],
            page_info=page_info(page),
        )


__all__ = ["AuditEntry", "AuditQuery", "datetime"]
