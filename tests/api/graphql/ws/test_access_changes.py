"""Open subscriptions follow access: an incident made private ends the subscriptions of those who
may no longer see it (while its members' go on), and so does losing the role that let someone
see a private incident."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection

from app.identity.models import Role
from app.ids import to_global_id
from app.incidents import service
from app.incidents.enums import IncidentRole, Severity
from tests.api.graphql.ws.conftest import TIMELINE, connect, init, receive, send
from tests.conftest import Actor, make_actor
from tests.live import LiveServer

UPDATED = "subscription($id: ID!) { incidentUpdated(incidentId: $id) { id private } }"


async def mutate(server: LiveServer, actor: Actor, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=server.url, headers=actor.headers, timeout=10) as http:
        body = (await http.post("/graphql", json={"query": query, "variables": variables})).json()
    assert "errors" not in body, body
    return body["data"]  # type: ignore[no-any-return]


async def merge(server: LiveServer, actor: Actor, incident_id: str, into_pk: int) -> None:
    query = "mutation($id: ID!, $into: ID!) { mergeIncident(input: {incidentId: $id, intoIncidentId: $into}) { errors { code } } }"
    merged = await mutate(server, actor, query, {"id": incident_id, "into": to_global_id("Incident", into_pk)})
    assert merged["mergeIncident"]["errors"] == []


async def subscribed(server: LiveServer, actor: Actor, incident_id: str) -> ClientConnection:
    ws = await connect(server)
    await init(ws, actor.token)
    # A document of its own per user: each replays the timeline from the start.
    timeline = TIMELINE.replace("subscription(", f"subscription User{actor.user_id}(", 1)
    await send(
        ws,
        {"id": "t", "type": "subscribe", "payload": {"query": timeline, "variables": {"id": incident_id, "after": 0}}},
    )
    await send(ws, {"id": "u", "type": "subscribe", "payload": {"query": UPDATED, "variables": {"id": incident_id}}})
    assert (await receive(ws))["payload"]["data"]["incidentTimeline"]["sequence"] == 1
    return ws


async def ended(ws: ClientConnection) -> set[str]:
    """The operations the server ended with FORBIDDEN (events that came before are skipped)."""
    done: set[str] = set()
    while done != {"t", "u"}:
        message = await receive(ws)
        if message["type"] == "error":
            assert message["payload"][0]["extensions"]["code"] == "FORBIDDEN"
            done.add(message["id"])
    return done


async def still_streams(ws: ClientConnection) -> None:
    message = await receive(ws)
    while message["type"] == "next" and "incidentUpdated" not in message["payload"]["data"]:
        message = await receive(ws)
    assert message["type"] == "next" and message["payload"]["data"]["incidentUpdated"]["private"] is True


async def test_making_an_incident_private_ends_outsiders_subscriptions(
    server: LiveServer, responder: Actor, viewer: Actor
) -> None:
    member = await make_actor(Role.VIEWER)
    incident = await service.declare_incident(
        actor=responder.principal, title="Turns out sensitive", severity=Severity.SEV2
    )
    incident_id = to_global_id("Incident", incident.id)
    await mutate(
        server,
        responder,
        "mutation($i: IncidentMemberInput!) { addIncidentMember(input: $i) { errors { code } } }",
        {"i": {"incidentId": incident_id, "userId": member.global_id}},
    )
    outsider_ws = await subscribed(server, viewer, incident_id)
    member_ws = await subscribed(server, member, incident_id)
    try:
        changed = await mutate(
            server,
            responder,
            "mutation($id: ID!) { updateIncident(input: {incidentId: $id, private: true}) { errors { code } } }",
            {"id": incident_id},
        )
        assert changed["updateIncident"]["errors"] == []
        assert await ended(outsider_ws) == {"t", "u"}
        await still_streams(member_ws)
    finally:
        await outsider_ws.close()
        await member_ws.close()


async def test_losing_the_role_on_a_private_incident_ends_the_subscriptions(
    server: LiveServer, responder: Actor, admin: Actor
) -> None:
    secret = await service.declare_incident(actor=admin.principal, title="Breach", severity=Severity.SEV1, private=True)
    await service.assign_role(
        actor=admin.principal, incident_id=secret.id, role=IncidentRole.SCRIBE, user_id=responder.user_id
    )
    incident_id = to_global_id("Incident", secret.id)
    ws = await subscribed(server, responder, incident_id)
    try:
        query = (
            "mutation($id: ID!) { unassignIncidentRole(input: {incidentId: $id, role: SCRIBE}) { errors { code } } }"
        )
        assert (await mutate(server, admin, query, {"id": incident_id}))["unassignIncidentRole"]["errors"] == []
        assert await ended(ws) == {"t", "u"}
    finally:
        await ws.close()


async def test_readers_who_see_different_incidents_never_share_a_stream(
    server: LiveServer, admin: Actor, responder: Actor, viewer: Actor
) -> None:
    public = await service.declare_incident(actor=responder.principal, title="Checkout errors", severity=Severity.SEV3)
    secret = await service.declare_incident(
        actor=admin.principal, title="Breach at the vendor", severity=Severity.SEV1, private=True
    )
    incident_id = to_global_id("Incident", public.id)
    query = "subscription($id: ID!) { incidentUpdated(incidentId: $id) { status mergedInto { title } } }"
    sockets = []
    for actor in (admin, viewer):  # the same document and variables: one stream, were it not for what each may see
        ws = await connect(server)
        await init(ws, actor.token)
        await send(ws, {"id": "u", "type": "subscribe", "payload": {"query": query, "variables": {"id": incident_id}}})
        sockets.append(ws)
    try:
        await asyncio.sleep(0.3)
        await merge(server, admin, incident_id, secret.id)
        seen = [(await receive(ws))["payload"]["data"]["incidentUpdated"] for ws in sockets]
        assert seen == [
            {"status": "MERGED", "mergedInto": {"title": "Breach at the vendor"}},
            {"status": "MERGED", "mergedInto": None},
        ]
    finally:
        for ws in sockets:
            await ws.close()


async def test_the_change_that_makes_an_incident_private_never_reaches_outsiders(
    server: LiveServer, responder: Actor, viewer: Actor
) -> None:
    incident = await service.declare_incident(actor=responder.principal, title="Odd logins", severity=Severity.SEV2)
    incident_id = to_global_id("Incident", incident.id)
    query = "subscription($id: ID!) { incidentUpdated(incidentId: $id) { title private } }"
    watchers = []
    for n in range(3):  # several outsiders, so the stream cannot lean on who is cut off first
        ws = await connect(server)
        await init(ws, viewer.token)
        await send(
            ws, {"id": f"u{n}", "type": "subscribe", "payload": {"query": query, "variables": {"id": incident_id}}}
        )
        timeline = TIMELINE.replace("subscription(", f"subscription Outsider{n}(", 1)
        await send(
            ws,
            {
                "id": f"t{n}",
                "type": "subscribe",
                "payload": {"query": timeline, "variables": {"id": incident_id, "after": 1}},
            },
        )
        watchers.append(ws)
    try:
        await asyncio.sleep(0.3)
        change = 'mutation($id: ID!) { updateIncident(input: {incidentId: $id, private: true, title: "Breach at Acme"}) { errors { code } } }'
        assert (await mutate(server, responder, change, {"id": incident_id}))["updateIncident"]["errors"] == []
        for ws in watchers:
            seen = []
            while len([m for m in seen if m["type"] == "error"]) < 2:
                seen.append(await receive(ws))
            assert all(m["type"] == "error" for m in seen), seen  # no event of the change came first
            assert "Acme" not in str(seen)
    finally:
        for ws in watchers:
            await ws.close()
