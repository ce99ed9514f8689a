"""Integrations and alert rules: created, rotated, revoked and edited by admins; keys
authenticated for each delivery."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from tortoise.expressions import Q

from app import clock
from app.alerts import keys
from app.alerts.enums import AlertSeverity, IntegrationKind
from app.alerts.ingest import IntegrationRef
from app.alerts.locking import DECLARE_COLUMNS, locked_rules_row
from app.alerts.models import AlertRules, Integration
from app.alerts.rules import MAX_GROUPING_WINDOW_MINUTES
from app.catalog import service as catalog
from app.commands import locked_row
from app.errors import InvalidTransition, NotFound, ValidationFailed
from app.events import unit_of_work
from app.identity.policy import Action, Principal, require
from app.incidents.enums import Severity
from app.text import single_line

MAX_GRACE_PERIOD = timedelta(days=7)


@dataclass(frozen=True)
class IssuedKey:
    integration: Integration
    key: str


async def create_integration(*, actor: Principal, service_id: int, kind: IntegrationKind, name: str) -> IssuedKey:
    """Create an integration for a service; its routing key is returned here and never again."""
    require(actor, Action.ADMIN)
    name = single_line(name, field="name", max_length=100)
    await catalog.existing_ids([service_id], field="serviceId")
    key = keys.new_key()
    async with unit_of_work() as outbox:
        integration = await Integration.create(
            service_id=service_id,
            kind=kind,
            name=name,
            key_hash=keys.digest(key),
            key_prefix=keys.display_prefix(key),
            created_by_id=actor.user_id,
            using_db=outbox.connection,
        )
        await locked_rules_row(outbox, service_id)  # the service's rules exist from now on
    return IssuedKey(integration, key)


async def _get(integration_id: int) -> Integration:
    integration = await Integration.get_or_none(id=integration_id)
    if integration is None:
        raise NotFound("Integration not found", field="integrationId")
    return integration


async def rotate_key(*, actor: Principal, integration_id: int, grace_period: timedelta = timedelta(0)) -> IssuedKey:
    """Issue a new routing key. The old one stops working at once, or after `grace_period`
    (at most a week) so senders can be switched over without losing alerts."""
    require(actor, Action.ADMIN)
    if not timedelta(0) <= grace_period <= MAX_GRACE_PERIOD:
        raise ValidationFailed("gracePeriodMinutes must be between 0 and 10080 (a week)", field="gracePeriodMinutes")
    key = keys.new_key()
    async with unit_of_work() as outbox:
        integration = await locked_row(outbox, Integration, integration_id, what="Integration", field="integrationId")
        if integration.revoked_at is not None:
            raise InvalidTransition("The integration is revoked; create a new one", field="integrationId")
        now = clock.now()
        keep_old = grace_period > timedelta(0)
        integration.previous_key_hash = integration.key_hash if keep_old else None
        integration.previous_key_expires_at = now + grace_period if keep_old else None
        integration.key_hash = keys.digest(key)
        integration.key_prefix = keys.display_prefix(key)
        integration.rotated_at = now
        await integration.save(
            update_fields=["previous_key_hash", "previous_key_expires_at", "key_hash", "key_prefix", "rotated_at"],
            using_db=outbox.connection,
        )
    return IssuedKey(integration, key)


async def revoke_integration(*, actor: Principal, integration_id: int) -> Integration:
    """Stop accepting deliveries at once (every key of it); revoking twice keeps the first time."""
    require(actor, Action.ADMIN)
    integration = await _get(integration_id)
    if integration.revoked_at is None:
        integration.revoked_at = clock.now()
        integration.previous_key_hash = None
        integration.previous_key_expires_at = None
        await integration.save(update_fields=["revoked_at", "previous_key_hash", "previous_key_expires_at"])
    return integration


async def authenticate(kind: IntegrationKind, key: str) -> IntegrationRef | None:
    """The live integration of `kind` behind a routing key (current, or previous within its
    grace period); None for anything else, without telling why."""
    if not keys.plausible(key):
        return None
    digest = keys.digest(key)
    rows = await (
        Integration.filter(
            Q(key_hash=digest) | Q(previous_key_hash=digest, previous_key_expires_at__gt=clock.now()),
            kind=kind,
            revoked_at=None,
        )
        .limit(1)
        .values("id", "service_id", "kind", "name", "last_delivery_at")
    )
    if not rows:
        return None
    row = rows[0]
    return IntegrationRef(row["id"], row["service_id"], row["kind"], row["name"], row["last_delivery_at"])


async def update_rules(
    *,
    actor: Principal,
    service_id: int,
    declare: Mapping[AlertSeverity, Severity | None] | None = None,
    grouping_window_minutes: int | None = None,
) -> AlertRules:
    """Change which alert severities declare incidents (None: no incident) and the grouping
    window (0 turns grouping off); what is not given stays."""
    require(actor, Action.ADMIN)
    if grouping_window_minutes is not None and not 0 <= grouping_window_minutes <= MAX_GROUPING_WINDOW_MINUTES:
        raise ValidationFailed(
            f"groupingWindowMinutes must be between 0 and {MAX_GROUPING_WINDOW_MINUTES}", field="groupingWindowMinutes"
        )
    await catalog.existing_ids([service_id], field="serviceId")
    async with unit_of_work() as outbox:
        row = await locked_rules_row(outbox, service_id)
        for severity, incident_severity in (declare or {}).items():
            setattr(row, DECLARE_COLUMNS[severity], incident_severity)
        if grouping_window_minutes is not None:
            row.grouping_window_minutes = grouping_window_minutes
        row.updated_at = clock.now()
        await row.save(using_db=outbox.connection)
    return row
