"""postmortemUpdated over the websocket of a real server: a co-author's edit arrives live, and
a reader who loses access to the incident loses the subscription."""

from __future__ import annotations

from typing import Any

import httpx

from app.identity.models import Role
from app.ids import to_global_id
from app.incidents import service as incidents
from app.incidents.enums import IncidentStatus as S
from app.incidents.enums import Severity
from app.postmortems.models import Postmortem
from tests.api.graphql.ws.conftest import connect, init, receive, send
from tests.conftest import Actor, make_actor
from tests.contract import document
from tests.live import LiveServer

UPDATED = "subscription($id: ID!) { postmortemUpdated(postmortemId: $id) { changedSections actor { id } postmortem { version title } } }"


async def postmortem_of(responder: Actor, *, private: bool = False) -> tuple[int, str]:
    incident = await incidents.declare_incident(
        actor=responder.principal, title="Live", severity=Severity.SEV3, private=private
    )
    await incidents.update_status(actor=responder.principal, incident_id=incident.id, status=S.RESOLVED)
    await incidents.update_status(actor=responder.principal, incident_id=incident.id, status=S.POSTMORTEM)
    postmortem = await Postmortem.get(incident_id=incident.id)
    return incident.id, to_global_id("Postmortem", postmortem.id)


async def post(server: LiveServer, actor: Actor, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=server.url, headers=actor.headers, timeout=10) as http:
        body = (await http.post("/graphql", json={"query": query, "variables": variables})).json()
    assert "errors" not in body, body
    return body["data"]  # type: ignore[no-any-return]


async def first_update(server: LiveServer, author: Actor, ws: Any, postmortem_id: str) -> dict[str, Any]:
    """Edit until the subscription, live by then, reports one edit (each edit is a new version)."""
    for attempt in range(20):
        data = await post(
            server,
            author,
            document("UpdatePostmortem"),
            {"input": {"postmortemId": postmortem_id, "title": f"Search outage {attempt}"}},
        )
        assert data["updatePostmortem"]["errors"] == []
        try:
            return await receive(ws, timeout=0.5)
        except TimeoutError:
            continue
    raise AssertionError("no update arrived")


async def test_a_co_author_sees_the_edit_live(server: LiveServer, responder: Actor) -> None:
    _, postmortem_id = await postmortem_of(responder)
    co_author = await make_actor(Role.RESPONDER)
    async with await connect(server) as ws:
        await init(ws, co_author.token)
        await send(
            ws, {"id": "pm", "type": "subscribe", "payload": {"query": UPDATED, "variables": {"id": postmortem_id}}}
        )
        message = await first_update(server, responder, ws, postmortem_id)
        update = message["payload"]["data"]["postmortemUpdated"]
        assert update["changedSections"] == ["title"] and update["actor"]["id"] == responder.global_id
        assert update["postmortem"]["title"].startswith("Search outage")


async def test_losing_access_to_the_incident_ends_the_subscription(
    server: LiveServer, responder: Actor, viewer: Actor
) -> None:
    incident_id, postmortem_id = await postmortem_of(responder, private=True)
    members = "mutation($input: IncidentMemberInput!) { %s(input: $input) { errors { code } } }"
    incident_gid = to_global_id("Incident", incident_id)
    await post(
        server,
        responder,
        members % "addIncidentMember",
        {"input": {"incidentId": incident_gid, "userId": viewer.global_id}},
    )
    async with await connect(server) as ws:
        await init(ws, viewer.token)
        await send(
            ws, {"id": "pm", "type": "subscribe", "payload": {"query": UPDATED, "variables": {"id": postmortem_id}}}
        )
        assert (await first_update(server, responder, ws, postmortem_id))["type"] == "next"
        await post(
            server,
            responder,
            members % "removeIncidentMember",
            {"input": {"incidentId": incident_gid, "userId": viewer.global_id}},
        )
        message = await receive(ws)
        while message["type"] == "next":
            message = await receive(ws)
        assert message["type"] == "error" and message["payload"][0]["extensions"]["code"] == "FORBIDDEN"
    async with await connect(server) as ws:
        await init(ws, viewer.token)
        await send(
            ws, {"id": "again", "type": "subscribe", "payload": {"query": UPDATED, "variables": {"id": postmortem_id}}}
        )
        refused = await receive(ws)
        assert refused["type"] == "error" and refused["payload"][0]["extensions"]["code"] == "NOT_FOUND"
