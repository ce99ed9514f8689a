"""Alerts, integrations and rules through the contract operations: who may do what, pages,
timelines, and a bounded number of queries per page."""

from __future__ import annotations

import logging
from typing import Any

from app.catalog.models import Service
from app.config import get_settings
from app.ids import to_global_id
from tests.alerts import payloads
from tests.conftest import Actor, GraphQLClient
from tests.contract import document

AM = "/integrations/alertmanager/"


async def create_integration(
    gql: GraphQLClient, admin: Actor, service: Service, kind: str = "ALERTMANAGER"
) -> dict[str, Any]:
    data = await gql.execute(
        document("CreateIntegration"),
        {"input": {"serviceId": to_global_id("Service", service.id), "kind": kind, "name": "Prometheus prod"}},
        actor=admin,
    )
    return data["createIntegration"]  # type: ignore[no-any-return]


async def test_admins_create_integrations_and_see_the_key_once(
    gql: GraphQLClient, admin: Actor, viewer: Actor, checkout: Service
) -> None:
    created = await create_integration(gql, admin, checkout)
    assert created["errors"] == []
    key = created["routingKey"]
    assert created["url"] == f"{get_settings().base_url}/integrations/alertmanager/{key}"
    integration = created["integration"]
    assert (integration["kind"], integration["name"], integration["service"]["name"]) == (
        "ALERTMANAGER",
        "Prometheus prod",
        "checkout",
    )
    assert integration["keyPrefix"] == key[:6] and integration["active"] is True
    listed = await gql.execute(
        document("Integrations"), {"serviceId": to_global_id("Service", checkout.id)}, actor=viewer
    )
    node = listed["integrations"]["edges"][0]["node"]
    assert node["id"] == integration["id"] and key not in str(listed)
    events = await create_integration(gql, admin, checkout, "EVENTS_V2")
    assert events["url"] == f"{get_settings().base_url}/v2/enqueue"
    for actor in (viewer,):
        refused = await gql.execute(
            document("CreateIntegration"),
            {"input": {"serviceId": to_global_id("Service", checkout.id), "kind": "GENERIC", "name": "x"}},
            actor=actor,
        )
        assert refused["createIntegration"]["errors"][0]["code"] == "FORBIDDEN"
        assert refused["createIntegration"]["routingKey"] is None


async def test_rotate_and_revoke(gql: GraphQLClient, admin: Actor, responder: Actor, checkout: Service) -> None:
    created = await create_integration(gql, admin, checkout)
    integration_id, old_key = created["integration"]["id"], created["routingKey"]
    rotated = (
        await gql.execute(document("RotateIntegrationKey"), {"input": {"integrationId": integration_id}}, actor=admin)
    )["rotateIntegrationKey"]
    new_key = rotated["routingKey"]
    assert new_key != old_key and rotated["integration"]["rotatedAt"] is not None and rotated["url"].endswith(new_key)
    body = payloads.alertmanager([payloads.am_alert()])
    assert (await gql.http.post(AM + old_key, json=body)).status_code == 404
    assert (await gql.http.post(AM + new_key, json=body)).status_code == 200
    refused = await gql.execute(
        document("RevokeIntegration"), {"input": {"integrationId": integration_id}}, actor=responder
    )
    assert refused["revokeIntegration"]["errors"][0]["code"] == "FORBIDDEN"
    revoked = await gql.execute(
        document("RevokeIntegration"), {"input": {"integrationId": integration_id}}, actor=admin
    )
    assert revoked["revokeIntegration"]["integration"]["active"] is False
    assert (await gql.http.post(AM + new_key, json=body)).status_code == 404
    bad = await gql.execute(document("RotateIntegrationKey"), {"input": {"integrationId": "nope"}}, actor=admin)
    assert bad["rotateIntegrationKey"]["errors"][0] == {
        "code": "NOT_FOUND",
        "message": "No Integration with id 'nope'",
        "field": "integrationId",
    }


async def test_rules_have_defaults_and_admins_change_them(
    gql: GraphQLClient, admin: Actor, viewer: Actor, checkout: Service
) -> None:
    service_id = to_global_id("Service", checkout.id)
    defaults = (await gql.execute(document("AlertRules"), {"serviceId": service_id}, actor=viewer))["alertRules"]
    assert defaults["groupingWindowMinutes"] == 30
    assert [(r["alertSeverity"], r["incidentSeverity"]) for r in defaults["severityRules"]] == [
        ("CRITICAL", "SEV2"),
        ("ERROR", "SEV3"),
        ("WARNING", None),
        ("INFO", None),
    ]
    update = {
        "serviceId": service_id,
        "severityRules": [{"alertSeverity": "WARNING", "incidentSeverity": "SEV4"}, {"alertSeverity": "ERROR"}],
        "groupingWindowMinutes": 10,
    }
    refused = await gql.execute(document("UpdateAlertRules"), {"input": update}, actor=viewer)
    assert refused["updateAlertRules"]["errors"][0]["code"] == "FORBIDDEN"
    changed = (await gql.execute(document("UpdateAlertRules"), {"input": update}, actor=admin))["updateAlertRules"][
        "alertRules"
    ]
    assert [(r["alertSeverity"], r["incidentSeverity"]) for r in changed["severityRules"]] == [
        ("CRITICAL", "SEV2"),
        ("ERROR", None),
        ("WARNING", "SEV4"),
        ("INFO", None),
    ]
    assert changed["groupingWindowMinutes"] == 10 and changed["service"]["name"] == "checkout"
    twice = {
        "serviceId": service_id,
        "severityRules": [{"alertSeverity": "INFO"}, {"alertSeverity": "INFO", "incidentSeverity": "SEV1"}],
    }
    error = (await gql.execute(document("UpdateAlertRules"), {"input": twice}, actor=admin))["updateAlertRules"][
        "errors"
    ][0]
    assert error["field"] == "severityRules"
    assert (await gql.execute(document("AlertRules"), {"serviceId": "bogus"}, actor=viewer))["alertRules"] is None


async def test_viewers_read_alerts_responders_act(
    gql: GraphQLClient, admin: Actor, responder: Actor, viewer: Actor, checkout: Service
) -> None:
    key = (await create_integration(gql, admin, checkout))["routingKey"]
    await gql.http.post(
        AM + key, json=payloads.alertmanager([payloads.am_alert(fingerprint="q1", extra_labels={"zone": "münchen"})])
    )
    page = (await gql.execute(document("Alerts"), actor=viewer))["alerts"]
    assert page["totalCount"] == 1
    alert = page["edges"][0]["node"]
    assert (alert["dedupKey"], alert["status"], alert["severity"], alert["source"], alert["occurrences"]) == (
        "q1",
        "FIRING",
        "CRITICAL",
        "ALERTMANAGER",
        1,
    )
    assert alert["labels"]["zone"] == "münchen" and alert["links"][0]["text"] == "Source"
    assert alert["incident"]["reference"] == "INC-1" and alert["integration"]["name"] == "Prometheus prod"
    assert alert["service"]["name"] == "checkout" and alert["reporter"] is None
    alert_input = {"input": {"alertId": alert["id"]}}
    denied = await gql.execute(document("AcknowledgeAlert"), alert_input, actor=viewer)
    assert denied["acknowledgeAlert"]["errors"][0]["code"] == "FORBIDDEN"
    acked = await gql.execute(document("AcknowledgeAlert"), alert_input, actor=responder)
    assert acked["acknowledgeAlert"]["alert"]["status"] == "ACKNOWLEDGED"
    resolved = await gql.execute(document("ResolveAlert"), alert_input, actor=responder)
    assert resolved["resolveAlert"]["alert"]["status"] == "RESOLVED" and resolved["resolveAlert"]["alert"]["resolvedAt"]
    single = (await gql.execute(document("Alert"), {"id": alert["id"]}, actor=viewer))["alert"]
    assert single["status"] == "RESOLVED"
    node = await gql.execute(
        "query($id: ID!) { node(id: $id) { id ... on Alert { dedupKey } } }", {"id": alert["id"]}, actor=viewer
    )
    assert node["node"]["dedupKey"] == "q1"
    integration = await gql.execute(
        "query($id: ID!) { node(id: $id) { ... on Integration { name } } }",
        {"id": alert["integration"]["id"]},
        actor=viewer,
    )
    assert integration["node"]["name"] == "Prometheus prod"


async def test_report_attach_and_detach_write_the_timeline(
    gql: GraphQLClient, responder: Actor, checkout: Service
) -> None:
    reported = (
        await gql.execute(
            document("ReportProblem"),
            {
                "input": {
                    "serviceId": to_global_id("Service", checkout.id),
                    "summary": "Checkout returns 502",
                    "details": "From the EU",
                }
            },
            actor=responder,
        )
    )["reportProblem"]
    alert = reported["alert"]
    assert reported["errors"] == [] and alert["source"] == "PERSON" and alert["reporter"]["name"] == "Responder User"
    first_incident = alert["incident"]["id"]
    declared = await gql.execute(
        document("DeclareIncident"), {"input": {"title": "Payments down", "severity": "SEV1"}}, actor=responder
    )
    second_incident = declared["declareIncident"]["incident"]["id"]
    moved = await gql.execute(
        document("AttachAlert"), {"input": {"alertId": alert["id"], "incidentId": second_incident}}, actor=responder
    )
    assert moved["attachAlert"]["alert"]["incident"]["id"] == second_incident
    timeline = await gql.execute(document("Incident"), {"id": second_incident}, actor=responder)
    last = timeline["incident"]["timeline"]["edges"][-1]["node"]
    assert (
        last["kind"] == "ALERT_ATTACHED"
        and last["data"]["reason"] == "MANUAL"
        and last["actor"]["name"] == "Responder User"
    )
    old = await gql.execute(document("Incident"), {"id": first_incident}, actor=responder)
    assert [e["node"]["kind"] for e in old["incident"]["timeline"]["edges"]] == [
        "DECLARED",
        "ALERT_ATTACHED",
        "ALERT_DETACHED",
    ]
    detached = await gql.execute(document("DetachAlert"), {"input": {"alertId": alert["id"]}}, actor=responder)
    assert detached["detachAlert"]["alert"]["incident"] is None
    again = await gql.execute(document("DetachAlert"), {"input": {"alertId": alert["id"]}}, actor=responder)
    assert again["detachAlert"]["errors"][0]["field"] == "alertId"
    unknown = await gql.execute(
        document("AttachAlert"), {"input": {"alertId": alert["id"], "incidentId": "x"}}, actor=responder
    )
    assert unknown["attachAlert"]["errors"][0] == {
        "code": "NOT_FOUND",
        "message": "No Incident with id 'x'",
        "field": "incidentId",
    }


async def test_filters_and_pages(gql: GraphQLClient, admin: Actor, viewer: Actor, checkout: Service) -> None:
    key = (await create_integration(gql, admin, checkout))["routingKey"]
    alerts = [
        payloads.am_alert(f"Rule{i}", severity="critical" if i % 2 else "warning", fingerprint=f"p{i}")
        for i in range(7)
    ]
    await gql.http.post(AM + key, json=payloads.alertmanager(alerts))
    await gql.http.post(AM + key, json=payloads.alertmanager([{**alerts[0], "status": "resolved"}]))

    async def keys(variables: dict[str, Any]) -> list[str]:
        data = await gql.execute(document("Alerts"), variables, actor=viewer)
        return [e["node"]["dedupKey"] for e in data["alerts"]["edges"]]

    assert await keys({}) == [f"p{i}" for i in range(6, -1, -1)]
    assert await keys({"filter": {"severities": ["CRITICAL"]}}) == ["p5", "p3", "p1"]
    assert await keys({"filter": {"open": False}}) == ["p0"]
    assert await keys({"filter": {"statuses": ["FIRING"], "severities": ["WARNING"]}}) == ["p6", "p4", "p2"]
    assert await keys({"filter": {"search": "p3"}}) == ["p3"]
    assert await keys({"filter": {"serviceIds": [to_global_id("Service", checkout.id + 1)]}}) == []
    first = (await gql.execute(document("Alerts"), {"first": 3}, actor=viewer))["alerts"]
    assert first["pageInfo"]["hasNextPage"] is True and first["totalCount"] == 7
    assert await keys({"first": 3, "after": first["pageInfo"]["endCursor"]}) == ["p3", "p2", "p1"]
    incident_id = first["edges"][0]["node"]["incident"]["id"]
    attached = (await gql.execute(document("IncidentAlerts"), {"id": incident_id, "first": 4}, actor=viewer))[
        "incident"
    ]["alerts"]
    assert attached["totalCount"] == 7 and [a["dedupKey"] for a in attached["nodes"]] == ["p6", "p5", "p4", "p3"]
    newest = attached["nodes"][0]
    assert newest["labels"]["alertname"] == "Rule6" and newest["links"][0]["text"] == "Source"
    assert newest["firstSeenAt"].endswith("Z") and newest["severity"] == "WARNING" and newest["status"] == "FIRING"
    rest = await gql.execute(
        document("IncidentAlerts"), {"id": incident_id, "after": attached["pageInfo"]["endCursor"]}, actor=viewer
    )
    assert [a["dedupKey"] for a in rest["incident"]["alerts"]["nodes"]] == ["p2", "p1", "p0"]


class _Statements(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        if record.getMessage().lstrip().upper().startswith(("SELECT", "INSERT", "UPDATE", "DELETE", "WITH")):
            self.count += 1


async def _counted(
    gql: GraphQLClient, actor: Actor, query: str, variables: dict[str, Any]
) -> tuple[int, dict[str, Any]]:
    logger = logging.getLogger("tortoise.db_client")
    handler, previous = _Statements(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        data = await gql.execute(query, variables, actor=actor)
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous)
    return handler.count, data


async def test_a_page_of_alerts_costs_a_fixed_number_of_queries(
    gql: GraphQLClient, admin: Actor, responder: Actor, checkout: Service
) -> None:
    key = (await create_integration(gql, admin, checkout))["routingKey"]
    await gql.http.post(
        AM + key,
        json=payloads.alertmanager([payloads.am_alert(instance=f"i{i}", fingerprint=f"n{i}") for i in range(60)]),
    )
    for i in range(3):
        await gql.execute(
            document("ReportProblem"),
            {"input": {"serviceId": to_global_id("Service", checkout.id), "summary": f"r{i}"}},
            actor=responder,
        )
    await gql.execute(document("Viewer"), actor=responder)  # records the token's first use
    small, _ = await _counted(gql, responder, document("Alerts"), {"first": 5})
    large, data = await _counted(gql, responder, document("Alerts"), {"first": 60})
    assert len(data["alerts"]["edges"]) == 60
    # token, page, count, services, integrations, incidents, reporters
    assert large == small and large <= 7, (small, large)
    incidents_page = "query { incidents(first: 20) { edges { node { reference alerts(first: 3) { totalCount nodes { dedupKey service { name } } } } } } }"
    one, _ = await _counted(gql, responder, incidents_page, {})
    await gql.execute(document("DeclareIncident"), {"input": {"title": "Another", "severity": "SEV4"}}, actor=responder)
    two, data = await _counted(gql, responder, incidents_page, {})
    assert one == two, (one, two)
    assert [len(e["node"]["alerts"]["nodes"]) for e in data["incidents"]["edges"]] == [0, 3]


async def test_an_alert_of_a_private_incident_tells_non_members_nothing_of_it(
    gql: GraphQLClient, admin: Actor, viewer: Actor, checkout: Service
) -> None:
    from app.alerts import service as alerts
    from app.alerts.enums import AlertSeverity
    from app.incidents import service as incidents
    from app.incidents.enums import Severity

    alert = await alerts.report_problem(
        actor=admin.principal, service_id=checkout.id, summary="Odd logins", severity=AlertSeverity.INFO
    )
    private = await incidents.declare_incident(
        actor=admin.principal, title="Secret", severity=Severity.SEV2, private=True
    )
    await alerts.attach(actor=admin.principal, alert_id=alert.id, incident_id=private.id)
    query = "query($id: ID!) { alert(id: $id) { attachedAt incident { title } } }"
    variables = {"id": to_global_id("Alert", alert.id)}
    assert (await gql.execute(query, variables, actor=viewer))["alert"] is None  # it belongs to the private incident
    seen = (await gql.execute(query, variables, actor=admin))["alert"]
    assert seen["incident"] == {"title": "Secret"} and seen["attachedAt"] is not None
