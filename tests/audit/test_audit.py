"""The audit log: every mutation and security event, with who, when, from where, and how it
ended; never a secret; readable by admins only."""

from __future__ import annotations

import orjson

from app.audit.models import AuditEntry
from app.identity import service as identity
from tests.conftest import Actor, GraphQLClient
from tests.contract import document


async def entries() -> list[AuditEntry]:
    return await AuditEntry.all().order_by("id")


async def test_mutations_are_recorded_with_their_outcome(gql: GraphQLClient, responder: Actor, viewer: Actor) -> None:
    declared = await gql.execute(
        document("DeclareIncident"), {"input": {"title": "Audit me", "severity": "SEV2"}}, actor=responder
    )
    incident_id = declared["declareIncident"]["incident"]["id"]
    no_errors_selected = "mutation($id: ID!) { updateIncidentStatus(input: {incidentId: $id, status: RESOLVED, expectedVersion: 9}) { incident { id } } }"
    await gql.post(no_errors_selected, {"id": incident_id}, actor=responder, headers={"X-Request-ID": "req-audit"})
    await gql.post(document("DeclareIncident"), {"input": {"title": "Nope", "severity": "SEV2"}}, actor=viewer)
    rows = await entries()
    assert [(r.operation, r.outcome, r.actor_label) for r in rows] == [
        ("declareIncident", "ok", f"user:{responder.user_id}"),
        ("updateIncidentStatus", "error:VERSION_CONFLICT", f"user:{responder.user_id}"),
        ("declareIncident", "forbidden", f"user:{viewer.user_id}"),
    ]
    assert rows[0].target == incident_id and rows[1].target == incident_id
    assert rows[1].request_id == "req-audit" and rows[1].client_ip == "127.0.0.1"
    assert rows[0].actor_id == responder.user_id


async def test_security_events(gql: GraphQLClient, viewer: Actor) -> None:
    await gql.post("{ viewer { id } }", headers={"Authorization": "Bearer fbk_wrong"})
    await identity.revoke_token(token_id=viewer.principal.token_id)  # type: ignore[arg-type]
    await gql.post("{ viewer { id } }", actor=viewer)
    rows = await entries()
    assert [(r.operation, r.outcome) for r in rows] == [
        ("authenticate", "denied"),
        ("token.used_after_revocation", "denied"),
    ]
    assert rows[1].actor_id == viewer.user_id and rows[1].details == {"via": "POST /graphql"}


async def test_no_secret_ever_reaches_the_log(gql: GraphQLClient, admin: Actor, viewer: Actor) -> None:
    created = await gql.execute(
        document("CreateApiToken"), {"input": {"userId": viewer.global_id, "name": "ci"}}, actor=admin
    )
    secret = created["createApiToken"]["token"]
    await gql.post("{ viewer { id } }", headers={"Authorization": f"Bearer {secret}x"})
    dump = orjson.dumps([dict(r) for r in await AuditEntry.all().values()], default=str).decode()
    assert "createApiToken" in dump and secret not in dump and secret[:20] not in dump


async def test_audit_log_is_for_admins(gql: GraphQLClient, admin: Actor, responder: Actor) -> None:
    await gql.post(document("DeclareIncident"), {"input": {"title": "One", "severity": "SEV4"}}, actor=responder)
    data = await gql.execute(document("AuditLog"), {"filter": {"operation": "declareIncident"}}, actor=admin)
    nodes = [e["node"] for e in data["auditLog"]["edges"]]
    assert [(n["operation"], n["outcome"], n["actor"]["name"]) for n in nodes] == [
        ("declareIncident", "ok", "Responder User")
    ]
    refused = await gql.post(document("AuditLog"), actor=responder)
    assert refused.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert (await AuditEntry.filter(operation="auditLog").values_list("outcome", flat=True)) == ["forbidden"]
