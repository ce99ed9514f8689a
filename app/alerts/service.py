"""Alert commands of people: report a problem, acknowledge, resolve, attach and detach.
Each locks as ingestion does (the service's rules row, the alert, then incidents by id)."""

from __future__ import annotations

import uuid

from app import clock
from app.alerts import feed
from app.alerts import queries as alert_queries
from app.alerts.attachments import alert_data, all_resolved, record
from app.alerts.enums import AlertSeverity, AlertSource, AlertStatus, AttachReason, SignalAction
from app.alerts.ingest import ingest
from app.alerts.locking import lock_incidents, locked_rules_row, remember_group
from app.alerts.models import Alert
from app.alerts.rules import SUMMARY_MAX
from app.alerts.signals import Delivery, Signal
from app.catalog import service as catalog
from app.commands import locked_row
from app.errors import InvalidTransition, NotFound, ValidationFailed
from app.events import Outbox, unit_of_work
from app.identity.policy import Action, Principal, require
from app.ids import to_global_id
from app.incidents import queries as incident_queries
from app.incidents.enums import TimelineKind
from app.incidents.lifecycle import TERMINAL_STATUSES
from app.text import multi_line, single_line


async def report_problem(
    *, actor: Principal, service_id: int, summary: str, details: str = "", severity: AlertSeverity = AlertSeverity.ERROR
) -> Alert:
    """A person's report: an alert like any other, routed by the service's rules."""
    require(actor, Action.RESPOND)
    summary = single_line(summary, field="summary", max_length=SUMMARY_MAX)
    details = multi_line(details, field="details")
    await catalog.existing_ids([service_id], field="serviceId")
    key = f"report-{uuid.uuid4().hex}"
    signal = Signal(
        SignalAction.TRIGGER, key, severity=severity, summary=summary, details={"text": details} if details else {}
    )
    outcome = await ingest(
        actor=actor,
        service_id=service_id,
        source=AlertSource.PERSON,
        delivery=Delivery([signal], title=summary[:200]),
        reporter_id=actor.user_id,
    )
    return outcome.alerts[key]


async def _service_of(actor: Principal, alert_id: int) -> int:
    """The service of an alert the actor may see (one attached to a private incident they may
    not see does not exist for them)."""
    found = await Alert.filter(alert_queries.visible_to(actor), id=alert_id).values_list("service_id", flat=True)
    if not found:
        raise NotFound("Alert not found", field="alertId")
    return int(found[0])


async def _locked_alert(outbox: Outbox, alert_id: int) -> Alert:
    return await locked_row(outbox, Alert, alert_id, what="Alert", field="alertId")


async def acknowledge(*, actor: Principal, alert_id: int) -> Alert:
    """Someone is on it; acknowledging an acknowledged alert changes nothing."""
    require(actor, Action.RESPOND)
    service_id = await _service_of(actor, alert_id)
    async with unit_of_work() as outbox:
        await locked_rules_row(outbox, service_id)
        alert = await _locked_alert(outbox, alert_id)
        if alert.incident_id is not None:
            await _require_visible(actor, alert.incident_id, field="alertId")
        if alert.status is AlertStatus.RESOLVED:
            raise InvalidTransition("The alert is resolved; a new trigger opens a new alert", field="alertId")
        if alert.status is AlertStatus.ACKNOWLEDGED:
            return alert
        now = clock.now()
        alert.status, alert.acknowledged_at, alert.updated_at = AlertStatus.ACKNOWLEDGED, now, now
        await alert.save(update_fields=["status", "acknowledged_at", "updated_at"], using_db=outbox.connection)
        feed.publish(outbox, [(alert, "acknowledged")])
    return alert


async def resolve(*, actor: Principal, alert_id: int) -> Alert:
    """Close the alert by hand; the sender's next trigger for its key opens a new one."""
    require(actor, Action.RESPOND)
    service_id = await _service_of(actor, alert_id)
    async with unit_of_work() as outbox:
        await locked_rules_row(outbox, service_id)
        alert = await _locked_alert(outbox, alert_id)
        if alert.incident_id is not None:
            await _require_visible(actor, alert.incident_id, field="alertId")
        if alert.status is AlertStatus.RESOLVED:
            raise InvalidTransition("The alert is resolved already", field="alertId")
        locked = await lock_incidents(outbox, [alert.incident_id] if alert.incident_id else [])
        now = clock.now()
        alert.status, alert.resolved_at, alert.open_key, alert.updated_at = AlertStatus.RESOLVED, now, None, now
        await alert.save(update_fields=["status", "resolved_at", "open_key", "updated_at"], using_db=outbox.connection)
        await all_resolved(outbox, actor, locked, locked, now)
        feed.publish(outbox, [(alert, "resolved")])
    return alert


async def _require_visible(actor: Principal, incident_id: int, *, field: str) -> None:
    """An incident the actor may not see does not exist for them: as a target it is not found,
    and an alert attached to it is not found either (never a refusal that would tell it exists)."""
    if not await incident_queries.get_visible(actor, [incident_id]):
        raise NotFound("Incident not found" if field == "incidentId" else "Alert not found", field=field)


async def attach(*, actor: Principal, alert_id: int, incident_id: int) -> Alert:
    """Attach an alert to an open incident, moving it from the one it was attached to."""
    require(actor, Action.RESPOND)
    await _require_visible(actor, incident_id, field="incidentId")
    service_id = await _service_of(actor, alert_id)
    async with unit_of_work() as outbox:
        rules_row = await locked_rules_row(outbox, service_id)
        alert = await _locked_alert(outbox, alert_id)
        previous_id = alert.incident_id
        if previous_id == incident_id:
            return alert
        if previous_id is not None:
            await _require_visible(actor, previous_id, field="alertId")
        locked = await lock_incidents(outbox, [incident_id, *([previous_id] if previous_id else [])])
        target = locked[incident_id]
        if target.status in TERMINAL_STATUSES:
            raise InvalidTransition(f"{target.reference} is {target.status.value}", field="incidentId")
        now = clock.now()
        alert.incident_id, alert.attached_at, alert.updated_at = incident_id, now, now
        await alert.save(update_fields=["incident_id", "attached_at", "updated_at"], using_db=outbox.connection)
        await remember_group(outbox.connection, rules_row, incident_id, now)
        data = alert_data(alert)
        previous = locked.get(previous_id) if previous_id else None
        if previous is not None:
            await record(
                outbox,
                actor,
                previous,
                TimelineKind.ALERT_DETACHED,
                f"Alert moved to {target.reference}: {alert.summary[:200]}",
                {
                    **data,
                    "reason": "MOVED",
                    "toIncidentId": to_global_id("Incident", target.id),
                    "toReference": target.reference,
                },
            )
        await record(
            outbox,
            actor,
            target,
            TimelineKind.ALERT_ATTACHED,
            f"Alert attached by hand: {alert.summary[:200]}",
            {
                **data,
                "reason": AttachReason.MANUAL.value,
                "fromIncidentId": to_global_id("Incident", previous.id) if previous else None,
                "fromReference": previous.reference if previous else None,
            },
        )
        feed.publish(outbox, [(alert, "attached")])
    return alert


async def detach(*, actor: Principal, alert_id: int) -> Alert:
    """Take an alert out of its incident (it will not be grouped again while it stays open)."""
    require(actor, Action.RESPOND)
    service_id = await _service_of(actor, alert_id)
    async with unit_of_work() as outbox:
        await locked_rules_row(outbox, service_id)
        alert = await _locked_alert(outbox, alert_id)
        if alert.incident_id is None:
            raise ValidationFailed("The alert is not attached to an incident", field="alertId")
        await _require_visible(actor, alert.incident_id, field="alertId")
        incident = (await lock_incidents(outbox, [alert.incident_id]))[alert.incident_id]
        alert.incident_id, alert.attached_at, alert.updated_at = None, None, clock.now()
        await alert.save(update_fields=["incident_id", "attached_at", "updated_at"], using_db=outbox.connection)
        await record(
            outbox,
            actor,
            incident,
            TimelineKind.ALERT_DETACHED,
            f"Alert detached: {alert.summary[:200]}",
            {**alert_data(alert), "reason": AttachReason.MANUAL.value},
        )
        feed.publish(outbox, [(alert, "detached")])
    return alert
