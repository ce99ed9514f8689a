"""The alert intake endpoints over HTTP: every source, and every way a delivery is refused."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import orjson
import pytest

from app.alerts import integrations
from app.alerts.enums import AlertSeverity, AlertStatus, IntegrationKind
from app.alerts.models import Alert
from app.catalog.models import Service
from app.incidents.models import Incident
from tests.alerts import payloads
from tests.alerts.support import connect
from tests.conftest import Actor, GraphQLClient

AM = "/integrations/alertmanager/"


async def test_alertmanager_deliveries_and_their_retries(gql: GraphQLClient, admin: Actor, checkout: Service) -> None:
    _, key = await connect(admin, checkout)
    body = payloads.alertmanager([payloads.am_alert(fingerprint=f"h{i}", instance=f"i{i}") for i in range(3)])
    first = await gql.http.post(AM + key, json=body)
    assert first.status_code == 200
    assert first.json() == {
        "status": "ok",
        "received": 3,
        "created": 3,
        "updated": 0,
        "acknowledged": 0,
        "resolved": 0,
        "ignored": 0,
    }
    retry = await gql.http.post(AM + key, json=body)
    assert retry.json()["created"] == 0 and retry.json()["updated"] == 3
    assert await Alert.all().count() == 3 and await Incident.all().count() == 1


async def test_grafana_delivery(gql: GraphQLClient, admin: Actor, checkout: Service) -> None:
    _, key = await connect(admin, checkout, IntegrationKind.GRAFANA)
    response = await gql.http.post(f"/integrations/grafana/{key}", json=payloads.grafana([payloads.grafana_alert()]))
    assert response.status_code == 200 and response.json()["created"] == 1
    wrong_version = await gql.http.post(f"/integrations/grafana/{key}", json={**payloads.grafana([]), "version": "4"})
    assert wrong_version.status_code == 400 and wrong_version.json()["errors"][0]["field"] == "version"


async def test_events_v2_is_pagerduty_compatible(gql: GraphQLClient, admin: Actor, checkout: Service) -> None:
    _, key = await connect(admin, checkout, IntegrationKind.EVENTS_V2)
    triggered = await gql.http.post("/v2/enqueue", json=payloads.events_v2(key))
    assert triggered.status_code == 202
    assert triggered.json() == {"status": "success", "message": "Event processed", "dedup_key": "srv01/HTTP"}
    alert = await Alert.get()
    assert (alert.severity, alert.summary) == (AlertSeverity.CRITICAL, "Example alert on host1.example.com")
    assert alert.labels == {
        "source": "monitoringtool:cloudvendor:central-region-dc-01:852559987:cluster/api-stats-prod-003",
        "component": "postgres",
        "group": "prod-datapipe",
        "class": "deploy",
    }
    assert alert.details["ping time"] == "1500ms" and alert.details["client"] == "Sample Monitoring Service"
    assert alert.details["timestamp"] == "2015-07-17T08:42:58.315000+00:00"
    assert [link["text"] for link in alert.links] == ["Link text", "Sample Monitoring Service"]
    for action, status in (("acknowledge", AlertStatus.ACKNOWLEDGED), ("resolve", AlertStatus.RESOLVED)):
        response = await gql.http.post("/v2/enqueue", json=payloads.events_v2(key, action=action))
        assert response.status_code == 202 and response.json()["dedup_key"] == "srv01/HTTP"
        assert (await Alert.get()).status is status
    for action in ("resolve", "acknowledge"):  # unknown or closed keys: accepted and ignored
        response = await gql.http.post(
            "/v2/enqueue", json=payloads.events_v2(key, action=action, dedup_key="never-seen")
        )
        assert response.status_code == 202
    generated = await gql.http.post("/v2/enqueue", json=payloads.events_v2(key, dedup_key=None))
    dedup_key = generated.json()["dedup_key"]
    assert len(dedup_key) == 32 and await Alert.filter(dedup_key=dedup_key).exists()


async def test_generic_json(gql: GraphQLClient, admin: Actor, checkout: Service) -> None:
    _, key = await connect(admin, checkout, IntegrationKind.GENERIC)
    url = f"/integrations/generic/{key}"
    created = await gql.http.post(url, json=payloads.generic())
    assert created.status_code == 200
    assert created.json() | {"received": 1} == {
        "status": "ok",
        "received": 1,
        "created": 1,
        "updated": 0,
        "acknowledged": 0,
        "resolved": 0,
        "ignored": 0,
        "dedupKey": "db-1/disk",
        "result": "created",
    }
    alert = await Alert.get()
    assert (alert.summary, alert.severity, alert.details["used"]) == (
        "Disk almost full on db-1",
        AlertSeverity.WARNING,
        "93%",
    )
    resolved = await gql.http.post(url, json={"dedupKey": "db-1/disk", "status": "resolved"})
    assert resolved.json()["result"] == "resolved"
    text = await gql.http.post(url, json={"title": "Queue stuck", "severity": "CRITICAL", "details": "jobs piling up"})
    assert text.json()["result"] == "created" and len(text.json()["dedupKey"]) == 32
    assert (await Alert.get(dedup_key=text.json()["dedupKey"])).details == {"text": "jobs piling up"}


@pytest.mark.parametrize(
    ("path", "body", "fields"),
    [
        (AM, b"{not json", ["body"]),
        (AM, b"[]", ["body"]),
        (AM, b"{}", ["alerts"]),
        (AM, orjson.dumps({"version": "5", "alerts": []}), ["version"]),
        (
            AM,
            orjson.dumps({"alerts": [{"status": "pending", "labels": {"a": 1}}]}),
            ["alerts[0].status", "alerts[0].labels.a"],
        ),
        (
            AM,
            orjson.dumps({"alerts": [{"status": "firing", "labels": {}, "startsAt": "2024-05-01T10:00:00"}]}),
            ["alerts[0].startsAt"],
        ),
        ("/integrations/generic/", orjson.dumps({"severity": "warning"}), ["title"]),
        ("/integrations/generic/", orjson.dumps({"title": "x", "severity": "fatal"}), ["severity"]),
        ("/integrations/generic/", orjson.dumps({"status": "resolved"}), ["dedupKey"]),
        (
            "/integrations/generic/",
            orjson.dumps({"title": "x", "links": [{"href": "javascript:alert(1)"}]}),
            ["links[0].href"],
        ),
        ("/integrations/generic/", orjson.dumps({"title": "x", "dedupKey": "k" * 256}), ["dedupKey"]),
    ],
)
async def test_bad_bodies_are_400_naming_the_field(
    gql: GraphQLClient, admin: Actor, checkout: Service, path: str, body: bytes, fields: list[str]
) -> None:
    kind = IntegrationKind.ALERTMANAGER if path == AM else IntegrationKind.GENERIC
    _, key = await connect(admin, checkout, kind)
    response = await gql.http.post(path + key, content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 400, response.text
    assert [e["field"] for e in response.json()["errors"]] == fields
    assert await Alert.all().count() == 0


@pytest.mark.parametrize(
    ("event", "error"),
    [
        ({"event_action": "trigger"}, "routing_key"),
        ({"routing_key": "k", "event_action": "page"}, "event_action"),
        ({"routing_key": "k", "event_action": "trigger"}, "payload: is required for trigger events"),
        ({"routing_key": "k", "event_action": "resolve"}, "dedup_key: is required for resolve events"),
        (
            {
                "routing_key": "k",
                "event_action": "trigger",
                "dedup_key": "d" * 256,
                "payload": {"summary": "s", "source": "h", "severity": "info"},
            },
            "dedup_key",
        ),
        (
            {
                "routing_key": "k",
                "event_action": "trigger",
                "payload": {"summary": "s" * 1025, "source": "h", "severity": "info"},
            },
            "payload.summary",
        ),
        (
            {"routing_key": "k", "event_action": "trigger", "payload": {"summary": "s", "severity": "info"}},
            "payload.source",
        ),
        (
            {
                "routing_key": "k",
                "event_action": "trigger",
                "payload": {"summary": "s", "source": "h", "severity": "fatal"},
            },
            "payload.severity",
        ),
    ],
)
async def test_bad_events_are_400_in_pagerduty_shape(
    gql: GraphQLClient, clean_db: object, event: dict[str, Any], error: str
) -> None:
    response = await gql.http.post("/v2/enqueue", json=event)
    assert response.status_code == 400
    body = response.json()
    assert body["status"] == "invalid event" and body["message"] == "Event object is invalid"
    assert any(e.startswith(error) for e in body["errors"]), body


async def test_unknown_revoked_and_mismatched_keys_are_the_same_404(
    gql: GraphQLClient, admin: Actor, checkout: Service
) -> None:
    ref, key = await connect(admin, checkout)
    body = payloads.alertmanager([payloads.am_alert()])
    unknown = await gql.http.post(AM + "0" * 32, json=body)
    other_kind = await gql.http.post(f"/integrations/grafana/{key}", json=payloads.grafana([payloads.grafana_alert()]))
    odd = await gql.http.post(AM + "n%C3%B6t%20a%20key", json=body)
    await integrations.revoke_integration(actor=admin.principal, integration_id=ref.id)
    revoked = await gql.http.post(AM + key, json=body)
    for response in (unknown, other_kind, odd, revoked):
        assert response.status_code == 404
        assert response.json() == {"status": "error", "message": "No active integration has this key"}
    events_key = (
        await integrations.create_integration(
            actor=admin.principal, service_id=checkout.id, kind=IntegrationKind.EVENTS_V2, name="pd"
        )
    ).key
    await integrations.revoke_integration(
        actor=admin.principal,
        integration_id=(await integrations.authenticate(IntegrationKind.EVENTS_V2, events_key)).id,
    )  # type: ignore[union-attr]
    for routing_key in ("f" * 32, events_key):
        response = await gql.http.post("/v2/enqueue", json=payloads.events_v2(routing_key))
        assert response.status_code == 404
        assert response.json()["status"] == "invalid event"
        assert response.json()["errors"] == ["routing_key: no active integration has this routing key"]
    assert await Alert.all().count() == 0


@pytest.mark.parametrize(
    "content_type", [None, "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"]
)
async def test_other_content_types_are_415(
    gql: GraphQLClient, admin: Actor, checkout: Service, content_type: str | None
) -> None:
    _, key = await connect(admin, checkout)
    body = orjson.dumps(payloads.alertmanager([payloads.am_alert()]))
    headers = {"Content-Type": content_type} if content_type else {}
    for path in (AM + key, "/v2/enqueue"):
        response = await gql.http.post(path, content=body, headers=headers)
        assert response.status_code == 415, (path, response.text)
    charset = await gql.http.post(AM + key, content=body, headers={"Content-Type": "application/json; charset=utf-8"})
    assert charset.status_code == 200


async def test_bodies_over_512_kb_are_413(gql: GraphQLClient, admin: Actor, checkout: Service) -> None:
    _, key = await connect(admin, checkout)
    alerts = [payloads.am_alert(fingerprint=f"big{i}", summary="x" * 1000) for i in range(600)]
    big = orjson.dumps(payloads.alertmanager(alerts))
    assert len(big) > 512 * 1024
    declared = await gql.http.post(AM + key, content=big, headers={"Content-Type": "application/json"})
    assert declared.status_code == 413

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: counted while read
        for start in range(0, len(big), 65536):
            yield big[start : start + 65536]

    streamed = await gql.http.post(AM + key, content=chunks(), headers={"Content-Type": "application/json"})
    assert streamed.status_code == 413
    events = await gql.http.post("/v2/enqueue", content=big, headers={"Content-Type": "application/json"})
    assert events.status_code == 413
    assert await Alert.all().count() == 0
    within = orjson.dumps(payloads.alertmanager(alerts[:300]))
    assert len(within) < 512 * 1024
    assert (
        await gql.http.post(AM + key, content=within, headers={"Content-Type": "application/json"})
    ).status_code == 200


def test_access_logs_do_not_show_routing_keys() -> None:
    import logging

    from app.api.http.alerts import RedactRoutingKeys

    key = "3f1c9a0e8d7b6c5a4f3e2d1c0b9a8f7e"
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "POST", f"/integrations/alertmanager/{key}", "1.1", 200),
        None,
    )
    assert RedactRoutingKeys().filter(record)
    line = record.getMessage()
    assert key not in line and "/integrations/alertmanager/3f1c9a…" in line
    other = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1, "%s", ("/v2/enqueue",), None)
    RedactRoutingKeys().filter(other)
    assert other.getMessage() == "/v2/enqueue"
