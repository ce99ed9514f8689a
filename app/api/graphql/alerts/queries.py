"""Alert, integration and alert-rule queries."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from app.alerts import queries
from app.alerts.queries import AlertFilter as DomainFilter
from app.api.graphql.alerts.types import (
    Alert,
    AlertConnection,
    AlertEdge,
    AlertRules,
    AlertSeverity,
    AlertStatus,
    Integration,
    IntegrationConnection,
    IntegrationEdge,
)
from app.api.graphql.context import Context
from app.api.graphql.relay import page_info, pk_of, pks_of
from app.identity.policy import Action, require
from app.ids import parse_pk


@strawberry.input
class AlertFilter:
    statuses: list[AlertStatus] | None = None
    severities: list[AlertSeverity] | None = None
    service_ids: list[strawberry.ID] | None = None
    integration_ids: list[strawberry.ID] | None = None
    open: bool | None = strawberry.field(
        default=None, description="Only firing or acknowledged (true), or only resolved (false)."
    )
    search: str | None = strawberry.field(default=None, description="Words in the summary, or an exact dedup key.")

    def to_domain(self) -> DomainFilter:
        return DomainFilter(
            statuses=self.statuses or (),
            severities=self.severities or (),
            service_ids=pks_of(self.service_ids, "Service", field="filter.serviceIds"),
            integration_ids=pks_of(self.integration_ids, "Integration", field="filter.integrationIds"),
            open=self.open,
            search=self.search,
        )


@strawberry.type
class AlertQuery:
    @strawberry.field(description="Alerts, newest first.")
    async def alerts(
        self,
        info: Info[Context, None],
        first: int | None = None,
        after: str | None = None,
        filter: AlertFilter | None = None,
    ) -> AlertConnection:
        principal = require(info.context.principal, Action.READ)
        domain_filter = filter.to_domain() if filter else None
        page = await queries.list_alerts(principal, first=first, after=after, flt=domain_filter)
        return AlertConnection(
            edges=[
                AlertEdge(cursor=c, node=Alert.from_model(a)) for c, a in zip(page.cursors, page.items, strict=True)
            ],
            page_info=page_info(page),
            counted=lambda: queries.count_alerts(principal, domain_filter),
        )

    @strawberry.field(description="An alert (none when attached to an incident the viewer may not see).")
    async def alert(self, info: Info[Context, None], id: strawberry.ID) -> Alert | None:
        principal = require(info.context.principal, Action.READ)
        pk = parse_pk(id, "Alert")
        if pk is None:
            return None
        row = (await queries.get_visible(principal, [pk])).get(pk)
        return Alert.from_model(row) if row else None

    @strawberry.field(description="Integrations, in creation order (revoked ones on request).")
    async def integrations(
        self,
        info: Info[Context, None],
        service_id: strawberry.ID | None = None,
        first: int | None = None,
        after: str | None = None,
        include_revoked: bool = False,
    ) -> IntegrationConnection:
        require(info.context.principal, Action.READ)
        page = await queries.list_integrations(
            service_id=pk_of(service_id, "Service", field="serviceId") if service_id else None,
            first=first,
            after=after,
            include_revoked=include_revoked,
        )
        return IntegrationConnection(
            edges=[
                IntegrationEdge(cursor=c, node=Integration.from_model(i))
                for c, i in zip(page.cursors, page.items, strict=True)
            ],
            page_info=page_info(page),
        )

    @strawberry.field(description="A service's alert rules (the defaults until an admin changes them).")
    async def alert_rules(self, info: Info[Context, None], service_id: strawberry.ID) -> AlertRules | None:
        require(info.context.principal, Action.READ)
        pk = parse_pk(service_id, "Service")
        if pk is None or await info.context.loaders.service.load(pk) is None:
            return None
        return AlertRules.from_rules(pk, await queries.rules_for(pk))
