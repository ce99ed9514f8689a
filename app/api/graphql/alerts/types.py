"""GraphQL types of alerts, integrations and alert rules."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from app.alerts.enums import AlertSeverity as AlertSeverityEnum
from app.alerts.enums import AlertSource as AlertSourceEnum
from app.alerts.enums import AlertStatus as AlertStatusEnum
from app.alerts.enums import IntegrationKind as IntegrationKindEnum
from app.alerts.models import Alert as AlertModel
from app.alerts.models import Integration as IntegrationModel
from app.alerts.rules import Rules
from app.api.graphql.catalog import Service
from app.api.graphql.context import Context
from app.api.graphql.errors import UserError
from app.api.graphql.identity import User
from app.api.graphql.incidents.types import Incident, Severity
from app.api.graphql.relay import Node, PageInfo
from app.api.graphql.scalars import JSON, DateTime
from app.ids import to_global_id
from app.pagination import decode_cursor, encode_cursor, page_size

AlertStatus = strawberry.enum(AlertStatusEnum, name="AlertStatus")
AlertSeverity = strawberry.enum(
    AlertSeverityEnum, name="AlertSeverity", description="The Events API v2 severities, worst first."
)
AlertSource = strawberry.enum(AlertSourceEnum, name="AlertSource", description="Where an alert came from.")
IntegrationKind = strawberry.enum(
    IntegrationKindEnum, name="IntegrationKind", description="The kind of sender an integration takes deliveries from."
)


async def _service(info: Info[Context, None], pk: int) -> Service | None:
    row = await info.context.loaders.service.load(pk)
    return Service.from_model(row) if row else None


@strawberry.type(description="Where one service's alerts come in from one sender.")
class Integration(Node):
    kind: IntegrationKind
    name: str
    key_prefix: str = strawberry.field(description="The first characters of the current routing key, to recognise it.")
    created_at: DateTime
    rotated_at: DateTime | None
    revoked_at: DateTime | None
    last_delivery_at: DateTime | None = strawberry.field(description="When the last delivery came in (to the minute).")
    active: bool = strawberry.field(description="False once revoked.")
    service_pk: strawberry.Private[int]

    @strawberry.field
    async def service(self, info: Info[Context, None]) -> Service | None:
        return await _service(info, self.service_pk)

    @classmethod
    def from_model(cls, row: IntegrationModel) -> Integration:
        return cls(
            id=strawberry.ID(to_global_id("Integration", row.id)),
            kind=row.kind,
            name=row.name,
            key_prefix=row.key_prefix,
            created_at=row.created_at,
            rotated_at=row.rotated_at,
            revoked_at=row.revoked_at,
            last_delivery_at=row.last_delivery_at,
            active=row.revoked_at is None,
            service_pk=row.service_id,
        )


@strawberry.type
class AlertLink:
    href: str
    text: str


@strawberry.type(description="A problem a sender or a person reported; repeats of its dedup key update it.")
class Alert(Node):
    dedup_key: str
    status: AlertStatus
    severity: AlertSeverity
    summary: str
    details: JSON
    labels: JSON
    annotations: JSON
    links: list[AlertLink]
    source: AlertSource
    first_seen_at: DateTime
    last_seen_at: DateTime
    acknowledged_at: DateTime | None
    resolved_at: DateTime | None
    occurrences: int = strawberry.field(description="Deliveries that carried it as firing.")
    pk: strawberry.Private[int]
    service_pk: strawberry.Private[int]
    integration_pk: strawberry.Private[int | None]
    incident_pk: strawberry.Private[int | None]
    reporter_pk: strawberry.Private[int | None]
    joined_at: strawberry.Private[DateTime | None]

    @strawberry.field
    async def service(self, info: Info[Context, None]) -> Service | None:
        return await _service(info, self.service_pk)

    @strawberry.field(description="The integration it came through (none for a person's report).")
    async def integration(self, info: Info[Context, None]) -> Integration | None:
        if self.integration_pk is None:
            return None
        row = await info.context.loaders.integration.load(self.integration_pk)
        return Integration.from_model(row) if row else None

    @strawberry.field(description="The incident it is attached to, if the viewer may see it.")
    async def incident(self, info: Info[Context, None]) -> Incident | None:
        if self.incident_pk is None:
            return None
        row = await info.context.loaders.incident.load(self.incident_pk)
        return Incident.from_model(row) if row else None

    @strawberry.field(description="When it joined its incident.")
    async def attached_at(self, info: Info[Context, None]) -> DateTime | None:
        # Null with the incident: when it joined one the viewer may not see is not theirs to know.
        if self.joined_at is None or await self.incident(info) is None:
            return None
        return self.joined_at

    @strawberry.field(description="Who reported it (person reports only).")
    async def reporter(self, info: Info[Context, None]) -> User | None:
        if self.reporter_pk is None:
            return None
        row = await info.context.loaders.user.load(self.reporter_pk)
        return User.from_model(row) if row else None

    @classmethod
    def from_model(cls, row: AlertModel) -> Alert:
        return cls(
            id=strawberry.ID(to_global_id("Alert", row.id)),
            pk=row.id,
            dedup_key=row.dedup_key,
            status=row.status,
            severity=row.severity,
            summary=row.summary,
            details=row.details,
            labels=row.labels,
            annotations=row.annotations,
            links=[AlertLink(href=link.get("href", ""), text=link.get("text", "")) for link in row.links or ()],
            source=row.source,
            first_seen_at=row.first_seen_at,
            last_seen_at=row.last_seen_at,
            acknowledged_at=row.acknowledged_at,
            resolved_at=row.resolved_at,
            joined_at=row.attached_at,
            occurrences=row.occurrences,
            service_pk=row.service_id,
            integration_pk=row.integration_id,
            incident_pk=row.incident_id,
            reporter_pk=row.reporter_id,
        )


@strawberry.type
class AlertEdge:
    cursor: str
    node: Alert


@strawberry.type
class AlertConnection:
    edges: list[AlertEdge]
    page_info: PageInfo
    counted: strawberry.Private[object]

    @strawberry.field(description="How many alerts match, over all pages.")
    async def total_count(self) -> int:
        return await self.counted()  # type: ignore[operator, no-any-return]

    @strawberry.field(description="The alerts of this page, without cursors.")
    def nodes(self) -> list[Alert]:
        return [edge.node for edge in self.edges]


async def incident_alerts(
    info: Info[Context, None], incident_pk: int, first: int | None, after: str | None
) -> AlertConnection:
    """`Incident.alerts`: newest first, batched over a page of incidents."""
    size = page_size(first, default=20)
    after_id = decode_cursor(after, "alert", field="after") if after else None
    rows = await info.context.loaders.incident_alerts.load((incident_pk, size + 1, after_id))
    items = rows[:size]
    loaders = info.context.loaders
    return AlertConnection(
        edges=[AlertEdge(cursor=encode_cursor("alert", row.id), node=Alert.from_model(row)) for row in items],
        page_info=PageInfo(
            has_next_page=len(rows) > size,
            has_previous_page=after is not None,
            start_cursor=encode_cursor("alert", items[0].id) if items else None,
            end_cursor=encode_cursor("alert", items[-1].id) if items else None,
        ),
        counted=lambda: loaders.incident_alert_count.load(incident_pk),
    )


@strawberry.type
class IntegrationEdge:
    cursor: str
    node: Integration


@strawberry.type
class IntegrationConnection:
    edges: list[IntegrationEdge]
    page_info: PageInfo


@strawberry.type(description="Which incidents one alert severity declares.")
class AlertSeverityRule:
    alert_severity: AlertSeverity
    incident_severity: Severity | None = strawberry.field(
        description="The severity of the incident it declares; null: none."
    )


@strawberry.type(description="A service's alert rules.")
class AlertRules:
    severity_rules: list[AlertSeverityRule]
    grouping_window_minutes: int = strawberry.field(
        description="An open incident takes the service's new alerts for this long after its last one (0: never)."
    )
    service_pk: strawberry.Private[int]

    @strawberry.field
    async def service(self, info: Info[Context, None]) -> Service | None:
        return await _service(info, self.service_pk)

    @classmethod
    def from_rules(cls, service_pk: int, rules: Rules) -> AlertRules:
        return cls(
            severity_rules=[
                AlertSeverityRule(alert_severity=s, incident_severity=rules.incident_severity(s))
                for s in AlertSeverityEnum
            ],
            grouping_window_minutes=rules.grouping_window_minutes,
            service_pk=service_pk,
        )


@strawberry.type
class CreateIntegrationPayload:
    integration: Integration | None = None
    routing_key: str | None = strawberry.field(default=None, description="The routing key. Shown only here, once.")
    url: str | None = strawberry.field(default=None, description="The URL to paste into the sender's configuration.")
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class RotateIntegrationKeyPayload:
    integration: Integration | None = None
    routing_key: str | None = strawberry.field(default=None, description="The new routing key. Shown only here, once.")
    url: str | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class IntegrationPayload:
    integration: Integration | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class AlertPayload:
    alert: Alert | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class AlertRulesPayload:
    alert_rules: AlertRules | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)
