"""Alert mutations: integrations and rules (admins), alert handling (responders)."""

from __future__ import annotations

from datetime import timedelta

import strawberry
from strawberry.types import Info

from app.alerts import integrations, service
from app.alerts.enums import AlertSeverity as AlertSeverityEnum
from app.alerts.locking import rules_of
from app.api.graphql.alerts.types import (
    Alert,
    AlertPayload,
    AlertRules,
    AlertRulesPayload,
    AlertSeverity,
    CreateIntegrationPayload,
    Integration,
    IntegrationKind,
    IntegrationPayload,
    RotateIntegrationKeyPayload,
)
from app.api.graphql.context import Context
from app.api.graphql.errors import payload
from app.api.graphql.incidents.types import Severity
from app.api.graphql.relay import pk_of
from app.api.http.alerts import delivery_url
from app.config import get_settings
from app.errors import ValidationFailed


@strawberry.input
class CreateIntegrationInput:
    service_id: strawberry.ID
    kind: IntegrationKind
    name: str


@strawberry.input
class RotateIntegrationKeyInput:
    integration_id: strawberry.ID
    grace_period_minutes: int = strawberry.field(
        default=0, description="Keep the old key working this long (at most 10080)."
    )


@strawberry.input
class RevokeIntegrationInput:
    integration_id: strawberry.ID


@strawberry.input
class AlertSeverityRuleInput:
    alert_severity: AlertSeverity
    incident_severity: Severity | None = strawberry.field(
        default=None, description="null: alerts of this severity declare no incident."
    )


@strawberry.input
class UpdateAlertRulesInput:
    service_id: strawberry.ID
    severity_rules: list[AlertSeverityRuleInput] | None = strawberry.field(
        default=None, description="Severities not listed keep their rule."
    )
    grouping_window_minutes: int | None = None


@strawberry.input
class AcknowledgeAlertInput:
    alert_id: strawberry.ID


@strawberry.input
class ResolveAlertInput:
    alert_id: strawberry.ID


@strawberry.input
class DetachAlertInput:
    alert_id: strawberry.ID


@strawberry.input
class AttachAlertInput:
    alert_id: strawberry.ID
    incident_id: strawberry.ID


@strawberry.input
class ReportProblemInput:
    service_id: strawberry.ID
    summary: str
    details: str = ""
    severity: AlertSeverity = strawberry.field(
        default=AlertSeverityEnum.ERROR, description="Rules decide what it declares (ERROR: SEV3 by default)."
    )


def _alert_pk(global_id: strawberry.ID) -> int:
    return pk_of(global_id, "Alert", field="alertId")


@strawberry.type
class AlertMutation:
    @strawberry.mutation(description="Admin: a new integration; its routing key and URL are shown only in this answer.")
    @payload(CreateIntegrationPayload)
    async def create_integration(
        self, info: Info[Context, None], input: CreateIntegrationInput
    ) -> CreateIntegrationPayload:
        issued = await integrations.create_integration(
            actor=info.context.principal,
            service_id=pk_of(input.service_id, "Service", field="serviceId"),
            kind=input.kind,
            name=input.name,
        )
        return CreateIntegrationPayload(
            integration=Integration.from_model(issued.integration),
            routing_key=issued.key,
            url=delivery_url(get_settings().base_url, issued.integration.kind, issued.key),
        )

    @strawberry.mutation(description="Admin: a new routing key; the old one works for gracePeriodMinutes more.")
    @payload(RotateIntegrationKeyPayload)
    async def rotate_integration_key(
        self, info: Info[Context, None], input: RotateIntegrationKeyInput
    ) -> RotateIntegrationKeyPayload:
        issued = await integrations.rotate_key(
            actor=info.context.principal,
            integration_id=pk_of(input.integration_id, "Integration", field="integrationId"),
            grace_period=timedelta(minutes=input.grace_period_minutes),
        )
        return RotateIntegrationKeyPayload(
            integration=Integration.from_model(issued.integration),
            routing_key=issued.key,
            url=delivery_url(get_settings().base_url, issued.integration.kind, issued.key),
        )

    @strawberry.mutation(description="Admin: stop accepting the integration's deliveries at once.")
    @payload(IntegrationPayload)
    async def revoke_integration(self, info: Info[Context, None], input: RevokeIntegrationInput) -> IntegrationPayload:
        integration = await integrations.revoke_integration(
            actor=info.context.principal,
            integration_id=pk_of(input.integration_id, "Integration", field="integrationId"),
        )
        return IntegrationPayload(integration=Integration.from_model(integration))

    @strawberry.mutation(description="Admin: change which severities declare incidents, and the grouping window.")
    @payload(AlertRulesPayload)
    async def update_alert_rules(self, info: Info[Context, None], input: UpdateAlertRulesInput) -> AlertRulesPayload:
        rules = input.severity_rules or []
        if len({r.alert_severity for r in rules}) != len(rules):
            raise ValidationFailed("Each alert severity may appear once", field="severityRules")
        row = await integrations.update_rules(
            actor=info.context.principal,
            service_id=pk_of(input.service_id, "Service", field="serviceId"),
            declare={r.alert_severity: r.incident_severity for r in rules},
            grouping_window_minutes=input.grouping_window_minutes,
        )
        return AlertRulesPayload(alert_rules=AlertRules.from_rules(row.service_id, rules_of(row)))

    @strawberry.mutation(
        description="Report a problem by hand: an alert like any other, routed by the service's rules."
    )
    @payload(AlertPayload)
    async def report_problem(self, info: Info[Context, None], input: ReportProblemInput) -> AlertPayload:
        alert = await service.report_problem(
            actor=info.context.principal,
            service_id=pk_of(input.service_id, "Service", field="serviceId"),
            summary=input.summary,
            details=input.details,
            severity=input.severity,
        )
        return AlertPayload(alert=Alert.from_model(alert))

    @strawberry.mutation
    @payload(AlertPayload)
    async def acknowledge_alert(self, info: Info[Context, None], input: AcknowledgeAlertInput) -> AlertPayload:
        alert = await service.acknowledge(actor=info.context.principal, alert_id=_alert_pk(input.alert_id))
        return AlertPayload(alert=Alert.from_model(alert))

    @strawberry.mutation(description="Resolve by hand; the sender's next trigger for the key opens a new alert.")
    @payload(AlertPayload)
    async def resolve_alert(self, info: Info[Context, None], input: ResolveAlertInput) -> AlertPayload:
        alert = await service.resolve(actor=info.context.principal, alert_id=_alert_pk(input.alert_id))
        return AlertPayload(alert=Alert.from_model(alert))

    @strawberry.mutation(description="Attach an alert to an incident (moving it from another); both timelines say so.")
    @payload(AlertPayload)
    async def attach_alert(self, info: Info[Context, None], input: AttachAlertInput) -> AlertPayload:
        alert = await service.attach(
            actor=info.context.principal,
            alert_id=_alert_pk(input.alert_id),
            incident_id=pk_of(input.incident_id, "Incident", field="incidentId"),
        )
        return AlertPayload(alert=Alert.from_model(alert))

    @strawberry.mutation(description="Take an alert out of its incident; the timeline says so.")
    @payload(AlertPayload)
    async def detach_alert(self, info: Info[Context, None], input: DetachAlertInput) -> AlertPayload:
        alert = await service.detach(actor=info.context.principal, alert_id=_alert_pk(input.alert_id))
        return AlertPayload(alert=Alert.from_model(alert))
