"""Ingestion on SQLite and PostgreSQL: deduplication, resolution, grouping and auto-declare."""

from __future__ import annotations

import logging
from datetime import timedelta

from app import clock
from app.alerts import integrations
from app.alerts.enums import AlertSeverity, AlertSource, AlertStatus
from app.alerts.models import Alert, AlertRules
from app.catalog import service as catalog
from app.catalog.models import Service
from app.incidents import service as incidents
from app.incidents.enums import IncidentStatus, Severity
from app.incidents.models import Incident, TimelineEvent
from tests.alerts import payloads
from tests.alerts.support import connect, deliver
from tests.conftest import Actor


async def events(incident_id: int) -> list[TimelineEvent]:
    return list(await TimelineEvent.filter(incident_id=incident_id).order_by("sequence"))


async def test_a_group_declares_one_incident_and_says_why(admin: Actor, checkout: Service, broker: object) -> None:
    ref, _ = await connect(admin, checkout)
    body = payloads.alertmanager(
        [
            payloads.am_alert(fingerprint="aaa1"),
            payloads.am_alert(instance="api-2:9100", severity="warning", fingerprint="aaa2", summary=None),
            payloads.am_alert(
                instance="zürich-1",
                severity="warning",
                fingerprint="aaa3",
                summary="Fehlerquote über 5 % — 東京",
                extra_labels={"région": "Zürich ☃"},
            ),
        ]
    )
    outcome = await deliver(ref, body)
    assert outcome.results == {"aaa1": "created", "aaa2": "created", "aaa3": "created"}
    incident = await Incident.get()
    assert (incident.severity, incident.status, incident.created_by_id) == (Severity.SEV2, IncidentStatus.TRIAGE, None)
    assert incident.title == "HighErrorRate: 3 alerts firing"
    assert "Declared from 3 ALERTMANAGER alerts on checkout." in incident.summary
    timeline = await events(incident.id)
    assert [e.kind for e in timeline] == ["DECLARED", "ALERT_ATTACHED", "ALERT_ATTACHED", "ALERT_ATTACHED"]
    assert all(e.actor_id is None for e in timeline)
    assert [e.data["reason"] for e in timeline[1:]] == ["DECLARED", "GROUPED", "GROUPED"]
    assert timeline[1].data["rule"] == {"alertSeverity": "CRITICAL", "incidentSeverity": "SEV2"}
    assert timeline[1].message.startswith("Declared INC-1: on checkout, CRITICAL alerts declare a SEV2 incident")
    alerts = {a.dedup_key: a for a in await Alert.all()}
    first, second, third = alerts["aaa1"], alerts["aaa2"], alerts["aaa3"]
    assert (first.severity, first.status, first.occurrences, first.incident_id) == (
        AlertSeverity.CRITICAL,
        AlertStatus.FIRING,
        1,
        incident.id,
    )
    assert first.source is AlertSource.ALERTMANAGER and first.integration_id == ref.id
    assert first.summary == "5xx ratio above 5% on api-1"
    assert second.summary == "The error ratio has been above 5% for 5 minutes."  # description when no summary
    assert third.summary == "Fehlerquote über 5 % — 東京" and third.labels["région"] == "Zürich ☃"
    assert [link["text"] for link in first.links] == ["Source", "Runbook", "Alertmanager"]
    assert first.started_at is not None and first.started_at.microsecond == 123456


async def test_repeated_deliveries_change_only_counts(admin: Actor, checkout: Service, broker: object) -> None:
    ref, _ = await connect(admin, checkout)
    body = payloads.alertmanager(
        [payloads.am_alert(fingerprint="f1"), payloads.am_alert(instance="b", fingerprint="f2")]
    )
    await deliver(ref, body)
    before = {a.dedup_key: a for a in await Alert.all()}
    incident = await Incident.get()
    outcome = await deliver(ref, body)
    assert outcome.results == {"f1": "updated", "f2": "updated"}
    after = {a.dedup_key: a for a in await Alert.all()}
    assert len(after) == 2 and await Incident.all().count() == 1
    for key in ("f1", "f2"):
        assert after[key].occurrences == 2 and after[key].last_seen_at > before[key].last_seen_at
        assert after[key].first_seen_at == before[key].first_seen_at and after[key].summary == before[key].summary
    assert (await Incident.get()).last_sequence == incident.last_sequence  # no new timeline events


async def test_changed_content_updates_the_same_alert(admin: Actor, checkout: Service, broker: object) -> None:
    ref, _ = await connect(admin, checkout)
    await deliver(ref, payloads.alertmanager([payloads.am_alert(fingerprint="f1")]))
    outcome = await deliver(
        ref, payloads.alertmanager([payloads.am_alert(fingerprint="f1", summary="now 9%", severity="warning")])
    )
    assert outcome.results == {"f1": "updated"}
    alert = await Alert.get()
    assert (alert.summary, alert.severity, alert.occurrences) == ("now 9%", AlertSeverity.WARNING, 2)


async def test_resolution_and_the_all_resolved_event(admin: Actor, checkout: Service, broker: object) -> None:
    ref, _ = await connect(admin, checkout)
    one, two = payloads.am_alert(fingerprint="r1"), payloads.am_alert(instance="b", fingerprint="r2")
    await deliver(ref, payloads.alertmanager([one, two]))
    incident = await Incident.get()
    resolved_one = {**one, "status": "resolved", "endsAt": "2024-05-01T10:20:00Z"}
    outcome = await deliver(ref, payloads.alertmanager([resolved_one, two]))  # Alertmanager resends the group
    assert outcome.results == {"r1": "resolved", "r2": "updated"}
    assert "ALERTS_RESOLVED" not in [e.kind for e in await events(incident.id)]
    resolved_two = {**two, "status": "resolved", "endsAt": "2024-05-01T10:21:00Z"}
    await deliver(ref, payloads.alertmanager([resolved_one, resolved_two]))
    timeline = await events(incident.id)
    assert timeline[-1].kind == "ALERTS_RESOLVED" and timeline[-1].data["alertCount"] == 2
    assert "stays TRIAGE" in timeline[-1].message
    again = await deliver(ref, payloads.alertmanager([resolved_one, resolved_two]))  # a retry
    assert again.results == {"r1": "ignored", "r2": "ignored"}
    assert len(await events(incident.id)) == len(timeline)
    stored = await Incident.get(id=incident.id)
    assert stored.status is IncidentStatus.TRIAGE and stored.resolved_at is None  # never closed automatically
    assert {a.status for a in await Alert.all()} == {AlertStatus.RESOLVED}
    assert all(a.open_key is None and a.resolved_at is not None for a in await Alert.all())


async def test_a_trigger_after_resolve_opens_a_new_alert_but_a_late_retry_does_not(
    admin: Actor, checkout: Service, broker: object
) -> None:
    ref, _ = await connect(admin, checkout)
    firing = payloads.am_alert(fingerprint="x1")
    await deliver(ref, payloads.alertmanager([firing]))
    await deliver(ref, payloads.alertmanager([{**firing, "status": "resolved"}]))
    late = await deliver(ref, payloads.alertmanager([firing]))  # an HA peer's copy of the first notification
    assert late.results == {"x1": "ignored"}
    assert await Alert.all().count() == 1
    refired = await deliver(ref, payloads.alertmanager([{**firing, "startsAt": "2024-05-01T11:00:00Z"}]))
    assert refired.results == {"x1": "created"}
    assert [a.status for a in await Alert.all().order_by("id")] == [AlertStatus.RESOLVED, AlertStatus.FIRING]


async def test_a_truncated_group_is_recorded_as_such(admin: Actor, checkout: Service, broker: object) -> None:
    ref, _ = await connect(admin, checkout)
    alerts = [payloads.am_alert(instance=f"api-{i}", fingerprint=f"t{i}") for i in range(3)]
    outcome = await deliver(ref, payloads.alertmanager(alerts, truncated=17))
    assert outcome.count("created") == 3
    incident = await Incident.get()
    assert "Alertmanager left 17 more alerts of this group out of the notification (max_alerts)." in incident.summary


async def test_grouping_window_attaches_then_expires(admin: Actor, checkout: Service, broker: object) -> None:
    ref, _ = await connect(admin, checkout)
    await deliver(ref, payloads.alertmanager([payloads.am_alert(fingerprint="g1")]))
    first = await Incident.get()
    await deliver(ref, payloads.alertmanager([payloads.am_alert("DiskFull", severity="warning", fingerprint="g2")]))
    grouped = await Alert.get(dedup_key="g2")
    assert grouped.incident_id == first.id
    attached = (await events(first.id))[-1]
    assert attached.data["reason"] == "GROUPED" and attached.data["window"]["minutes"] == 30
    assert "within its 30 min grouping window" in attached.message
    # Thirty-one minutes later the window has passed: a new critical alert declares a new incident.
    await AlertRules.filter(service_id=checkout.id).update(group_attached_at=clock.now() - timedelta(minutes=31))
    await deliver(ref, payloads.alertmanager([payloads.am_alert("Latency", fingerprint="g3")]))
    assert await Incident.all().count() == 2
    assert (await Alert.get(dedup_key="g3")).incident_id != first.id


async def test_a_closed_or_resolved_incident_takes_no_new_alerts(
    admin: Actor, checkout: Service, broker: object
) -> None:
    ref, _ = await connect(admin, checkout)
    await deliver(ref, payloads.alertmanager([payloads.am_alert(fingerprint="c1")]))
    first = await Incident.get()
    await incidents.update_status(actor=admin.principal, incident_id=first.id, status=IncidentStatus.RESOLVED)
    await deliver(ref, payloads.alertmanager([payloads.am_alert("Other", fingerprint="c2")]))
    second = await Alert.get(dedup_key="c2")
    assert second.incident_id not in (None, first.id)


async def test_warnings_alone_declare_nothing_and_rules_can_change(
    admin: Actor, checkout: Service, broker: object
) -> None:
    ref, _ = await connect(admin, checkout)
    await deliver(
        ref,
        payloads.alertmanager(
            [
                payloads.am_alert(severity="warning", fingerprint="w1"),
                payloads.am_alert(severity="info", fingerprint="w2"),
            ]
        ),
    )
    assert await Incident.all().count() == 0
    assert {a.incident_id for a in await Alert.all()} == {None}
    await integrations.update_rules(
        actor=admin.principal,
        service_id=checkout.id,
        declare={AlertSeverity.WARNING: Severity.SEV4, AlertSeverity.CRITICAL: Severity.SEV1},
        grouping_window_minutes=0,
    )
    await deliver(ref, payloads.alertmanager([payloads.am_alert(severity="warning", fingerprint="w3")]))
    await deliver(ref, payloads.alertmanager([payloads.am_alert(severity="critical", fingerprint="w4")]))
    await deliver(ref, payloads.alertmanager([payloads.am_alert(severity="error", fingerprint="w5")]))
    severities = [i.severity for i in await Incident.all().order_by("number")]
    assert severities == [Severity.SEV4, Severity.SEV1, Severity.SEV3]  # no grouping: one incident each
    assert (await Alert.get(dedup_key="w1")).incident_id is None  # old alerts are not re-routed


async def test_services_group_separately(admin: Actor, checkout: Service, broker: object) -> None:
    payments = await catalog.create_service(name="payments")
    ref_checkout, _ = await connect(admin, checkout)
    ref_payments, _ = await connect(admin, payments)
    await deliver(ref_checkout, payloads.alertmanager([payloads.am_alert(fingerprint="s1")]))
    await deliver(
        ref_payments, payloads.alertmanager([payloads.am_alert(fingerprint="s1")])
    )  # same key, other integration
    assert await Incident.all().count() == 2 and await Alert.all().count() == 2


async def test_grafana_payload(admin: Actor, checkout: Service, broker: object) -> None:
    from app.alerts.enums import IntegrationKind

    ref, _ = await connect(admin, checkout, IntegrationKind.GRAFANA)
    body = payloads.grafana(
        [
            payloads.grafana_alert(),
            payloads.grafana_alert("High CPU usage", zone="eu-1", fingerprint="bc97ff14869b13e3"),
        ]
    )
    outcome = await deliver(ref, body)
    assert outcome.count("created") == 2
    alert = await Alert.get(dedup_key="c6eadffa33fcdf37")
    assert alert.source is AlertSource.GRAFANA and alert.severity is AlertSeverity.ERROR  # no severity label
    assert alert.details["values"] == {"B": 44.23943737541908, "C": 1} and alert.details["orgId"] == 1
    assert [link["text"] for link in alert.links] == ["Alert rule", "Runbook", "Silence"]  # empty URLs dropped
    resolved = payloads.grafana([payloads.grafana_alert(status="resolved")])
    assert (await deliver(ref, resolved)).results == {"c6eadffa33fcdf37": "resolved"}


class _Statements(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        if record.getMessage().lstrip().upper().startswith(("SELECT", "INSERT", "UPDATE", "DELETE", "WITH")):
            self.count += 1


async def _statements(ref: object, body: dict[str, object]) -> int:
    logger = logging.getLogger("tortoise.db_client")
    handler, previous = _Statements(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        await deliver(ref, body)  # type: ignore[arg-type]
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous)
    return handler.count


async def test_a_delivery_costs_the_same_statements_whatever_its_size(
    admin: Actor, checkout: Service, broker: object
) -> None:
    ref, _ = await connect(admin, checkout)
    await deliver(ref, payloads.alertmanager([payloads.am_alert(fingerprint="seed")]))  # rules row, incident
    small = [payloads.am_alert(instance=f"s{i}", fingerprint=f"s{i}") for i in range(5)]
    large = [payloads.am_alert(instance=f"l{i}", fingerprint=f"l{i}") for i in range(100)]
    new_small, new_large = (
        await _statements(ref, payloads.alertmanager(small)),
        await _statements(ref, payloads.alertmanager(large)),
    )
    again_small, again_large = (
        await _statements(ref, payloads.alertmanager(small)),
        await _statements(ref, payloads.alertmanager(large)),
    )
    assert new_small == new_large and again_small == again_large, (new_small, new_large, again_small, again_large)
    # rules lock, open keys, resolved episodes, incident lock, service name, alerts insert,
    # timeline insert, incident save, grouping state, last delivery | rules, open keys, repeats, last delivery
    assert (new_large, again_large) == (10, 4), (new_large, again_large)
    assert await Alert.filter(incident_id__not_isnull=True).count() == 106
