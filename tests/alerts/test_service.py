"""People's alert commands and integration management on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app import clock
from app.alerts import integrations, keys, queries, service
from app.alerts.enums import AlertSeverity, AlertSource, AlertStatus, IntegrationKind
from app.alerts.models import Alert, AlertRules, Integration
from app.catalog.models import Service
from app.errors import DomainError, ErrorCode
from app.incidents import access
from app.incidents import service as incidents
from app.incidents.enums import IncidentStatus, Severity
from app.incidents.models import Incident, TimelineEvent
from tests.alerts import payloads
from tests.alerts.support import connect, deliver
from tests.conftest import Actor


async def kinds(incident_id: int) -> list[str]:
    return [e.kind for e in await TimelineEvent.filter(incident_id=incident_id).order_by("sequence")]


async def test_report_problem_becomes_an_alert_and_an_incident(
    responder: Actor, checkout: Service, broker: object
) -> None:
    alert = await service.report_problem(
        actor=responder.principal,
        service_id=checkout.id,
        summary="Checkout shows a blank page",
        details="Since 10:02, for all users",
    )
    assert (
        alert.source is AlertSource.PERSON and alert.reporter_id == responder.user_id and alert.integration_id is None
    )
    assert alert.severity is AlertSeverity.ERROR and alert.details == {"text": "Since 10:02, for all users"}
    incident = await Incident.get(id=alert.incident_id)
    assert incident.severity is Severity.SEV3 and incident.created_by_id == responder.user_id
    events = await TimelineEvent.filter(incident_id=incident.id).order_by("sequence")
    assert [e.kind for e in events] == ["DECLARED", "ALERT_ATTACHED"] and {e.actor_id for e in events} == {
        responder.user_id
    }
    second = await service.report_problem(
        actor=responder.principal, service_id=checkout.id, summary="Same here", severity=AlertSeverity.INFO
    )
    assert second.incident_id == incident.id  # grouped: within the window


@pytest.mark.parametrize(("summary", "field"), [("", "summary"), ("two\nlines", "summary"), ("x" * 1025, "summary")])
async def test_report_problem_validates(responder: Actor, checkout: Service, summary: str, field: str) -> None:
    with pytest.raises(DomainError) as raised:
        await service.report_problem(actor=responder.principal, service_id=checkout.id, summary=summary)
    assert raised.value.field == field
    with pytest.raises(DomainError) as raised:
        await service.report_problem(actor=responder.principal, service_id=checkout.id + 99, summary="ok")
    assert raised.value.code is ErrorCode.NOT_FOUND and raised.value.field == "serviceId"
    assert await Alert.all().count() == 0


async def test_viewers_act_on_nothing(viewer: Actor, admin: Actor, checkout: Service, broker: object) -> None:
    ref, _ = await connect(admin, checkout)
    await deliver(ref, payloads.alertmanager([payloads.am_alert(fingerprint="v1")]))
    alert = await Alert.get()
    attempts = [
        service.report_problem(actor=viewer.principal, service_id=checkout.id, summary="x"),
        service.acknowledge(actor=viewer.principal, alert_id=alert.id),
        service.resolve(actor=viewer.principal, alert_id=alert.id),
        service.detach(actor=viewer.principal, alert_id=alert.id),
        integrations.create_integration(
            actor=viewer.principal, service_id=checkout.id, kind=IntegrationKind.GENERIC, name="x"
        ),
    ]
    for attempt in attempts:
        with pytest.raises(DomainError) as raised:
            await attempt
        assert raised.value.code is ErrorCode.FORBIDDEN


async def test_acknowledge_then_resolve_by_hand(
    responder: Actor, admin: Actor, checkout: Service, broker: object
) -> None:
    ref, _ = await connect(admin, checkout)
    await deliver(ref, payloads.alertmanager([payloads.am_alert(fingerprint="h1")]))
    alert = await Alert.get()
    acked = await service.acknowledge(actor=responder.principal, alert_id=alert.id)
    assert acked.status is AlertStatus.ACKNOWLEDGED and acked.acknowledged_at is not None
    assert (
        await service.acknowledge(actor=responder.principal, alert_id=alert.id)
    ).acknowledged_at == acked.acknowledged_at
    await deliver(ref, payloads.alertmanager([payloads.am_alert(fingerprint="h1")]))  # still firing at the source
    assert (await Alert.get()).status is AlertStatus.ACKNOWLEDGED  # an acknowledgement survives repeats
    resolved = await service.resolve(actor=responder.principal, alert_id=alert.id)
    assert resolved.status is AlertStatus.RESOLVED and resolved.open_key is None
    assert (await kinds(alert.incident_id))[-1] == "ALERTS_RESOLVED"  # type: ignore[arg-type]
    for command in (service.acknowledge, service.resolve):
        with pytest.raises(DomainError) as raised:
            await command(actor=responder.principal, alert_id=alert.id)
        assert raised.value.code is ErrorCode.INVALID_TRANSITION and raised.value.field == "alertId"
    with pytest.raises(DomainError) as raised:
        await service.resolve(actor=responder.principal, alert_id=alert.id + 1000)
    assert raised.value.code is ErrorCode.NOT_FOUND


async def test_attach_move_and_detach_are_on_the_timelines(
    responder: Actor, admin: Actor, checkout: Service, broker: object
) -> None:
    ref, _ = await connect(admin, checkout)
    await deliver(ref, payloads.alertmanager([payloads.am_alert(fingerprint="m1")]))
    alert = await Alert.get()
    first = await Incident.get()
    second = await incidents.declare_incident(actor=responder.principal, title="Payments slow", severity=Severity.SEV3)
    moved = await service.attach(actor=responder.principal, alert_id=alert.id, incident_id=second.id)
    assert moved.incident_id == second.id
    first_events = await TimelineEvent.filter(incident_id=first.id).order_by("-sequence").first()
    assert first_events is not None and first_events.kind == "ALERT_DETACHED" and first_events.data["reason"] == "MOVED"
    assert first_events.data["toReference"] == second.reference and first_events.actor_id == responder.user_id
    attached = await TimelineEvent.filter(incident_id=second.id).order_by("-sequence").first()
    assert attached is not None and attached.kind == "ALERT_ATTACHED"
    assert attached.data["reason"] == "MANUAL" and attached.data["fromReference"] == first.reference
    same = await service.attach(actor=responder.principal, alert_id=alert.id, incident_id=second.id)
    assert same.incident_id == second.id and (await kinds(second.id)).count("ALERT_ATTACHED") == 1
    detached = await service.detach(actor=responder.principal, alert_id=alert.id)
    assert detached.incident_id is None and detached.attached_at is None
    assert (await kinds(second.id))[-1] == "ALERT_DETACHED"
    with pytest.raises(DomainError) as raised:
        await service.detach(actor=responder.principal, alert_id=alert.id)
    assert raised.value.field == "alertId"
    await deliver(ref, payloads.alertmanager([payloads.am_alert(fingerprint="m1")]))  # repeats do not re-group it
    assert (await Alert.get()).incident_id is None


async def test_attach_refuses_closed_and_invisible_incidents(
    responder: Actor, admin: Actor, checkout: Service, broker: object
) -> None:
    alert = await service.report_problem(
        actor=responder.principal, service_id=checkout.id, summary="Broken", severity=AlertSeverity.INFO
    )
    closed = await incidents.declare_incident(actor=responder.principal, title="Old", severity=Severity.SEV4)
    await incidents.update_status(actor=responder.principal, incident_id=closed.id, status=IncidentStatus.DECLINED)
    with pytest.raises(DomainError) as raised:
        await service.attach(actor=responder.principal, alert_id=alert.id, incident_id=closed.id)
    assert raised.value.code is ErrorCode.INVALID_TRANSITION and raised.value.field == "incidentId"
    private = await incidents.declare_incident(
        actor=admin.principal, title="Secret", severity=Severity.SEV2, private=True
    )
    with pytest.raises(DomainError) as raised:
        await service.attach(actor=responder.principal, alert_id=alert.id, incident_id=private.id)
    assert raised.value.code is ErrorCode.NOT_FOUND and raised.value.field == "incidentId"
    await service.attach(actor=admin.principal, alert_id=alert.id, incident_id=private.id)
    # Attached to an incident the responder may not see, the alert is not found by their
    # commands: a refusal would tell them the private incident exists.
    public = await incidents.declare_incident(actor=responder.principal, title="Open", severity=Severity.SEV4)
    commands = (
        lambda: service.detach(actor=responder.principal, alert_id=alert.id),
        lambda: service.attach(actor=responder.principal, alert_id=alert.id, incident_id=public.id),
        lambda: service.acknowledge(actor=responder.principal, alert_id=alert.id),
        lambda: service.resolve(actor=responder.principal, alert_id=alert.id),
    )
    for command in commands:
        with pytest.raises(DomainError) as raised:
            await command()
        assert (raised.value.code, raised.value.field, raised.value.message) == (
            ErrorCode.NOT_FOUND,
            "alertId",
            "Alert not found",
        )
    stored = await Alert.get(id=alert.id)
    assert (stored.incident_id, stored.status) == (private.id, AlertStatus.FIRING)


async def test_integration_keys_are_hashed_rotated_and_revoked(admin: Actor, checkout: Service) -> None:
    issued = await integrations.create_integration(
        actor=admin.principal, service_id=checkout.id, kind=IntegrationKind.EVENTS_V2, name="Datadog"
    )
    key = issued.key
    assert len(key) == 32 and int(key, 16) >= 0
    stored = await Integration.get()
    assert stored.key_hash == keys.digest(key) and key not in (stored.key_hash, stored.key_prefix)
    assert await AlertRules.filter(service_id=checkout.id).exists()  # defaults, ready to edit
    assert await integrations.authenticate(IntegrationKind.EVENTS_V2, key) is not None
    assert await integrations.authenticate(IntegrationKind.ALERTMANAGER, key) is None  # the kind must match
    assert await integrations.authenticate(IntegrationKind.EVENTS_V2, "../../etc") is None
    rotated = await integrations.rotate_key(
        actor=admin.principal, integration_id=stored.id, grace_period=timedelta(minutes=10)
    )
    assert rotated.key != key and rotated.integration.rotated_at is not None
    assert await integrations.authenticate(IntegrationKind.EVENTS_V2, key) is not None  # in its grace period
    assert await integrations.authenticate(IntegrationKind.EVENTS_V2, rotated.key) is not None
    await Integration.filter(id=stored.id).update(previous_key_expires_at=clock.now() - timedelta(seconds=1))
    assert await integrations.authenticate(IntegrationKind.EVENTS_V2, key) is None
    again = await integrations.rotate_key(actor=admin.principal, integration_id=stored.id)
    assert await integrations.authenticate(IntegrationKind.EVENTS_V2, rotated.key) is None  # no grace: at once
    revoked = await integrations.revoke_integration(actor=admin.principal, integration_id=stored.id)
    assert revoked.revoked_at is not None
    assert await integrations.authenticate(IntegrationKind.EVENTS_V2, again.key) is None
    first_revocation = revoked.revoked_at
    assert (
        await integrations.revoke_integration(actor=admin.principal, integration_id=stored.id)
    ).revoked_at == first_revocation
    with pytest.raises(DomainError) as raised:
        await integrations.rotate_key(actor=admin.principal, integration_id=stored.id)
    assert raised.value.code is ErrorCode.INVALID_TRANSITION
    with pytest.raises(DomainError) as raised:
        await integrations.rotate_key(actor=admin.principal, integration_id=stored.id, grace_period=timedelta(days=8))
    assert raised.value.field == "gracePeriodMinutes"


async def test_integration_input_is_checked(admin: Actor, checkout: Service) -> None:
    for kwargs, field in (
        ({"name": " "}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"service_id": checkout.id + 50}, "serviceId"),
    ):
        arguments = {
            "actor": admin.principal,
            "service_id": checkout.id,
            "kind": IntegrationKind.GENERIC,
            "name": "ok",
            **kwargs,
        }
        with pytest.raises(DomainError) as raised:
            await integrations.create_integration(**arguments)  # type: ignore[arg-type]
        assert raised.value.field == field
    assert await Integration.all().count() == 0


async def test_rules_are_edited_by_admins_within_bounds(admin: Actor, responder: Actor, checkout: Service) -> None:
    row = await integrations.update_rules(
        actor=admin.principal, service_id=checkout.id, declare={AlertSeverity.ERROR: None}
    )
    assert (row.declare_critical, row.declare_error, row.grouping_window_minutes) == (Severity.SEV2, None, 30)
    row = await integrations.update_rules(actor=admin.principal, service_id=checkout.id, grouping_window_minutes=0)
    assert (row.declare_error, row.grouping_window_minutes) == (None, 0)
    for minutes in (-1, 7 * 24 * 60 + 1):
        with pytest.raises(DomainError) as raised:
            await integrations.update_rules(
                actor=admin.principal, service_id=checkout.id, grouping_window_minutes=minutes
            )
        assert raised.value.field == "groupingWindowMinutes"
    with pytest.raises(DomainError) as raised:
        await integrations.update_rules(actor=responder.principal, service_id=checkout.id, grouping_window_minutes=5)
    assert raised.value.code is ErrorCode.FORBIDDEN


async def test_attaching_by_hand_moves_the_grouping_target(
    responder: Actor, admin: Actor, checkout: Service, broker: object
) -> None:
    ref, _ = await connect(admin, checkout)
    await deliver(ref, payloads.alertmanager([payloads.am_alert(fingerprint="t1")]))
    chosen = await incidents.declare_incident(
        actor=responder.principal, title="The real problem", severity=Severity.SEV1
    )
    await service.attach(actor=responder.principal, alert_id=(await Alert.get()).id, incident_id=chosen.id)
    await deliver(ref, payloads.alertmanager([payloads.am_alert("Follow-up", severity="warning", fingerprint="t2")]))
    assert (await Alert.get(dedup_key="t2")).incident_id == chosen.id


async def test_viewers_do_not_see_private_incidents_through_alerts(
    admin: Actor, viewer: Actor, checkout: Service, broker: object
) -> None:
    from app.api.graphql.loaders import Loaders

    alert = await service.report_problem(
        actor=admin.principal, service_id=checkout.id, summary="Secret trouble", severity=AlertSeverity.INFO
    )
    private = await incidents.declare_incident(
        actor=admin.principal, title="Secret", severity=Severity.SEV2, private=True
    )
    await service.attach(actor=admin.principal, alert_id=alert.id, incident_id=private.id)
    assert await Loaders(viewer.principal).incident.load(private.id) is None  # what Alert.incident resolves through
    assert await Loaders(admin.principal).incident.load(private.id) is not None
    # The alert itself belongs to the private incident now: it exists only for those who see it.
    assert await queries.get_visible(viewer.principal, [alert.id]) == {}
    assert await queries.count_alerts(viewer.principal, None) == 0
    assert (await queries.list_alerts(viewer.principal, first=10, after=None, flt=None)).items == []
    assert set(await queries.get_visible(admin.principal, [alert.id])) == {alert.id}
    await access.add_member(actor=admin.principal, incident_id=private.id, user_id=viewer.user_id)
    assert set(await queries.get_visible(viewer.principal, [alert.id])) == {alert.id}
