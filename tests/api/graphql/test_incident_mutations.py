"""Every incident mutation through GraphQL over HTTP: success, and each error code."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Actor, GraphQLClient
from tests.contract import document


async def run(gql: GraphQLClient, operation: str, actor: Actor, /, **input: Any) -> dict[str, Any]:
    data = await gql.execute(document(operation), {"input": input}, actor=actor)
    return next(iter(data.values()))


async def declare(gql: GraphQLClient, actor: Actor, **fields: Any) -> dict[str, Any]:
    result = await run(gql, "DeclareIncident", actor, **{"title": "Checkout down", "severity": "SEV2", **fields})
    assert result["errors"] == [], result["errors"]
    return result["incident"]


def codes(result: dict[str, Any]) -> list[tuple[str, str | None]]:
    return [(e["code"], e["field"]) for e in result["errors"]]


async def test_declare_incident(gql: GraphQLClient, responder: Actor, admin: Actor) -> None:
    service = (await run(gql, "CreateService", admin, name="checkout", description="Orders", ownerTeam="commerce"))[
        "service"
    ]
    incident = await declare(gql, responder, summary="Orders fail", serviceIds=[service["id"]], private=True)
    assert incident["reference"] == "INC-1" and incident["number"] == 1
    assert (incident["status"], incident["severity"], incident["private"], incident["version"]) == (
        "TRIAGE",
        "SEV2",
        True,
        1,
    )
    assert incident["services"][0]["name"] == "checkout"
    assert incident["allowedTransitions"] == [
        "INVESTIGATING",
        "IDENTIFIED",
        "MONITORING",
        "RESOLVED",
        "DECLINED",
        "MERGED",
    ]
    assert incident["declaredAt"].endswith("Z")


async def test_declare_incident_errors(gql: GraphQLClient, responder: Actor, viewer: Actor) -> None:
    assert codes(await run(gql, "DeclareIncident", responder, title=" ", severity="SEV1")) == [("VALIDATION", "title")]
    assert codes(await run(gql, "DeclareIncident", responder, title="t", severity="SEV1", serviceIds=["bogus"])) == [
        ("NOT_FOUND", "serviceIds")
    ]
    assert codes(await run(gql, "DeclareIncident", viewer, title="t", severity="SEV1")) == [("FORBIDDEN", None)]
    assert codes(await run(gql, "DeclareIncident", responder, title="t", severity="SEV1", status="CLOSED")) == [
        ("VALIDATION", "status")
    ]


async def test_update_status_and_errors(gql: GraphQLClient, responder: Actor) -> None:
    incident = await declare(gql, responder)
    moved = await run(
        gql,
        "UpdateIncidentStatus",
        responder,
        incidentId=incident["id"],
        status="MONITORING",
        message="Rolled back",
        expectedVersion=1,
    )
    assert moved["errors"] == []
    assert moved["incident"]["status"] == "MONITORING" and moved["incident"]["version"] == 2
    assert moved["incident"]["mitigatedAt"] and moved["incident"]["acknowledgedAt"]
    refused = await run(gql, "UpdateIncidentStatus", responder, incidentId=incident["id"], status="TRIAGE")
    assert codes(refused) == [("INVALID_TRANSITION", "status")]
    assert "MONITORING" in refused["errors"][0]["message"] and "RESOLVED" in refused["errors"][0]["message"]
    assert codes(
        await run(
            gql, "UpdateIncidentStatus", responder, incidentId=incident["id"], status="RESOLVED", expectedVersion=1
        )
    ) == [("VERSION_CONFLICT", "expectedVersion")]
    assert codes(await run(gql, "UpdateIncidentStatus", responder, incidentId="nope", status="RESOLVED")) == [
        ("NOT_FOUND", "incidentId")
    ]


async def test_change_severity_and_errors(gql: GraphQLClient, responder: Actor, viewer: Actor) -> None:
    incident = await declare(gql, responder)
    changed = await run(
        gql, "ChangeIncidentSeverity", responder, incidentId=incident["id"], severity="SEV1", message="Spreading"
    )
    assert changed["incident"]["severity"] == "SEV1"
    assert codes(await run(gql, "ChangeIncidentSeverity", responder, incidentId=incident["id"], severity="SEV1")) == [
        ("VALIDATION", "severity")
    ]
    assert codes(await run(gql, "ChangeIncidentSeverity", viewer, incidentId=incident["id"], severity="SEV3")) == [
        ("FORBIDDEN", None)
    ]
    assert codes(
        await run(
            gql, "ChangeIncidentSeverity", responder, incidentId=incident["id"], severity="SEV3", expectedVersion=1
        )
    ) == [("VERSION_CONFLICT", "expectedVersion")]


async def test_update_incident_and_errors(gql: GraphQLClient, responder: Actor, admin: Actor) -> None:
    service = (await run(gql, "CreateService", admin, name="payments"))["service"]
    incident = await declare(gql, responder)
    updated = await run(
        gql,
        "UpdateIncident",
        responder,
        incidentId=incident["id"],
        title="Payments down",
        serviceIds=[service["id"]],
        expectedVersion=1,
    )
    assert updated["errors"] == []
    assert updated["incident"]["title"] == "Payments down" and [s["name"] for s in updated["incident"]["services"]] == [
        "payments"
    ]
    assert updated["incident"]["summary"] == ""  # omitted fields stay
    assert codes(await run(gql, "UpdateIncident", responder, incidentId=incident["id"], title="x" * 201)) == [
        ("VALIDATION", "title")
    ]
    assert codes(
        await run(gql, "UpdateIncident", responder, incidentId=incident["id"], summary="y", expectedVersion=1)
    ) == [("VERSION_CONFLICT", "expectedVersion")]


async def test_roles_and_errors(gql: GraphQLClient, responder: Actor, admin: Actor, viewer: Actor) -> None:
    incident = await declare(gql, responder)
    assigned = await run(
        gql,
        "AssignIncidentRole",
        responder,
        incidentId=incident["id"],
        role="INCIDENT_COMMANDER",
        userId=responder.global_id,
    )
    assert [(r["role"], r["user"]["name"]) for r in assigned["incident"]["roles"]] == [
        ("INCIDENT_COMMANDER", "Responder User")
    ]
    handed = await run(
        gql,
        "AssignIncidentRole",
        responder,
        incidentId=incident["id"],
        role="INCIDENT_COMMANDER",
        userId=admin.global_id,
    )
    assert [r["user"]["id"] for r in handed["incident"]["roles"]] == [admin.global_id]
    assert codes(
        await run(gql, "AssignIncidentRole", responder, incidentId=incident["id"], role="SCRIBE", userId="bad")
    ) == [("NOT_FOUND", "userId")]
    assert codes(
        await run(
            gql, "AssignIncidentRole", responder, incidentId=incident["id"], role="SCRIBE", userId=viewer.global_id
        )
    ) == [("VALIDATION", "userId")]
    unassigned = await run(gql, "UnassignIncidentRole", responder, incidentId=incident["id"], role="INCIDENT_COMMANDER")
    assert unassigned["incident"]["roles"] == []
    assert codes(
        await run(gql, "UnassignIncidentRole", responder, incidentId=incident["id"], role="INCIDENT_COMMANDER")
    ) == [("NOT_FOUND", "role")]


async def test_add_timeline_note_and_errors(gql: GraphQLClient, responder: Actor, viewer: Actor) -> None:
    incident = await declare(gql, responder)
    added = await run(
        gql,
        "AddTimelineNote",
        responder,
        incidentId=incident["id"],
        body="**Bold** <b>kept</b>",
        occurredAt="2026-11-27T01:00:00+01:00",
    )
    assert added["errors"] == []
    event = added["event"]
    assert (event["sequence"], event["kind"], event["message"]) == (2, "NOTE", "**Bold** <b>kept</b>")
    assert event["occurredAt"] == "2026-11-27T00:00:00Z" and event["actor"]["name"] == "Responder User"
    assert codes(await run(gql, "AddTimelineNote", viewer, incidentId=incident["id"], body="x")) == [
        ("FORBIDDEN", None)
    ]
    assert codes(await run(gql, "AddTimelineNote", responder, incidentId=incident["id"], body="")) == [
        ("VALIDATION", "body")
    ]
    assert codes(
        await run(
            gql, "AddTimelineNote", responder, incidentId=incident["id"], body="x", occurredAt="2999-01-01T00:00:00Z"
        )
    ) == [("VALIDATION", "occurredAt")]
    naive = await gql.post(
        document("AddTimelineNote"),
        {"input": {"incidentId": incident["id"], "body": "x", "occurredAt": "2026-01-01T00:00:00"}},
        actor=responder,
    )
    assert "time zone" in naive.json()["errors"][0]["message"]


async def test_merge_incident_and_errors(gql: GraphQLClient, responder: Actor) -> None:
    source = await declare(gql, responder, title="Dup")
    target = await declare(gql, responder, title="Main")
    merged = await run(gql, "MergeIncident", responder, incidentId=source["id"], intoIncidentId=target["id"])
    assert merged["incident"]["status"] == "MERGED" and merged["incident"]["mergedInto"]["reference"] == "INC-2"
    assert codes(await run(gql, "MergeIncident", responder, incidentId=target["id"], intoIncidentId=source["id"])) == [
        ("INVALID_TRANSITION", "intoIncidentId")
    ]
    assert codes(await run(gql, "MergeIncident", responder, incidentId=target["id"], intoIncidentId="x")) == [
        ("NOT_FOUND", "intoIncidentId")
    ]


async def test_admin_mutations_and_errors(gql: GraphQLClient, admin: Actor, responder: Actor) -> None:
    created = await run(gql, "CreateUser", admin, email="New.Person@Example.com", name="New Person", role="RESPONDER")
    assert created["user"]["email"] == "new.person@example.com" and created["user"]["role"] == "RESPONDER"
    assert codes(await run(gql, "CreateUser", admin, email="new.person@example.com", name="Dup", role="VIEWER")) == [
        ("CONFLICT", "email")
    ]
    assert codes(await run(gql, "CreateUser", admin, email="not-an-email", name="X", role="VIEWER")) == [
        ("VALIDATION", "email")
    ]
    assert codes(await run(gql, "CreateUser", responder, email="x@example.com", name="X", role="ADMIN")) == [
        ("FORBIDDEN", None)
    ]
    assert (await run(gql, "CreateService", admin, name="search"))["errors"] == []
    assert codes(await run(gql, "CreateService", admin, name="search")) == [("CONFLICT", "name")]
    assert codes(await run(gql, "CreateService", responder, name="other")) == [("FORBIDDEN", None)]


async def test_api_tokens_lifecycle(gql: GraphQLClient, admin: Actor, responder: Actor) -> None:
    issued = await run(
        gql, "CreateApiToken", admin, userId=responder.global_id, name="ci", expiresAt="2099-01-01T00:00:00Z"
    )
    assert issued["errors"] == [] and issued["token"].startswith("fbk_")
    assert issued["apiToken"]["prefix"] == issued["token"][:10]
    check = await gql.post(document("Viewer"), headers={"Authorization": f"Bearer {issued['token']}"})
    assert check.json()["data"]["viewer"]["email"] == "responder@example.com"
    revoked = await run(gql, "RevokeApiToken", admin, apiTokenId=issued["apiToken"]["id"])
    assert revoked["apiToken"]["revokedAt"]
    after = await gql.post(document("Viewer"), headers={"Authorization": f"Bearer {issued['token']}"})
    assert after.status_code == 401
    assert codes(
        await run(
            gql, "CreateApiToken", admin, userId=responder.global_id, name="old", expiresAt="2000-01-01T00:00:00Z"
        )
    ) == [("VALIDATION", "expiresAt")]
    assert codes(await run(gql, "CreateApiToken", responder, userId=admin.global_id, name="steal")) == [
        ("FORBIDDEN", "userId")
    ]
    assert codes(await run(gql, "RevokeApiToken", admin, apiTokenId="nope")) == [("NOT_FOUND", "apiTokenId")]
    own = await run(gql, "CreateApiToken", responder, userId=responder.global_id, name="mine")
    assert own["errors"] == []


@pytest.mark.parametrize("name", ["DeclareIncident", "AddTimelineNote"])
async def test_unexpected_errors_are_masked_with_a_request_id(
    gql: GraphQLClient, responder: Actor, monkeypatch: pytest.MonkeyPatch, name: str, caplog: pytest.LogCaptureFixture
) -> None:
    from app.incidents import service

    async def broken(**_: Any) -> None:
        raise RuntimeError("secret database detail")

    monkeypatch.setattr(service, "declare_incident", broken)
    monkeypatch.setattr(service, "add_note", broken)
    variables = {
        "input": {"title": "t", "severity": "SEV1"}
        if name == "DeclareIncident"
        else {"incidentId": "SW5jaWRlbnQ6MQ", "body": "b"}
    }
    response = await gql.post(document(name), variables, actor=responder, headers={"X-Request-ID": "req-123"})
    error = response.json()["errors"][0]
    assert error["message"] == "Unexpected error (request id req-123)"
    assert error["extensions"] == {"code": "INTERNAL_SERVER_ERROR", "requestId": "req-123"}
    assert "secret" not in response.text
    assert response.headers["x-request-id"] == "req-123"
    assert any("req-123" in r.getMessage() for r in caplog.records)
