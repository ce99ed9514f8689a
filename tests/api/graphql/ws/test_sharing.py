"""Who shares one execution of a subscription, and what a subscriber joining a running one gets:
readers who see only public incidents share across users without seeing more than any of them
may, and a stream that begins with a replay or a snapshot is never joined halfway."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection

from app.identity.models import Role
from app.ids import to_global_id
from app.incidents import access, service
from app.incidents.enums import Severity
from tests.api.graphql.ws.conftest import TIMELINE, connect, init, receive, send
from tests.api.graphql.ws.test_access_changes import merge
from tests.api.graphql.ws.test_subscriptions import note
from tests.conftest import Actor, make_actor
from tests.live import LiveServer

MERGED = "subscription($id: ID!) { incidentUpdated(incidentId: $id) { status mergedInto { title } } }"
STATUS_PAGE = "subscription { statusPageUpdated { indicator } }"


async def streams(server: LiveServer, subscriptions: int) -> int:
    """The number of running executions once `subscriptions` subscribers are in."""
    async with httpx.AsyncClient(base_url=server.url, timeout=5) as http:
        for _ in range(50):
            sockets = (await http.get("/health")).json()["websockets"]
            if sockets["subscriptions"] == subscriptions:
                return int(sockets["streams"])
            await asyncio.sleep(0.1)
    raise AssertionError(f"expected {subscriptions} subscriptions, server has {sockets}")


async def subscribe(server: LiveServer, actor: Actor | None, query: str, variables: dict[str, Any]) -> ClientConnection:
    ws = await connect(server)
    await init(ws, actor.token if actor else None)
    await send(ws, {"id": "s", "type": "subscribe", "payload": {"query": query, "variables": variables}})
    return ws


async def timeline(ws: ClientConnection, count: int) -> list[int]:
    return [(await receive(ws))["payload"]["data"]["incidentTimeline"]["sequence"] for _ in range(count)]


async def test_readers_of_public_incidents_share_one_stream(
    server: LiveServer, responder: Actor, viewer: Actor
) -> None:
    incident = await service.declare_incident(actor=responder.principal, title="Shared", severity=Severity.SEV2)
    incident_id = to_global_id("Incident", incident.id)
    second = await make_actor(Role.VIEWER)
    member = await make_actor(Role.VIEWER)  # sees a private incident: shares only with itself
    hidden = await service.declare_incident(
        actor=responder.principal, title="Hidden", severity=Severity.SEV3, private=True
    )
    await access.add_member(actor=responder.principal, incident_id=hidden.id, user_id=member.user_id)
    sockets = [await subscribe(server, actor, TIMELINE, {"id": incident_id}) for actor in (viewer, second, member)]
    try:
        assert await streams(server, 3) == 2
        sequence = await note(server, responder, incident_id, "to everyone")
        for ws in sockets:
            assert await timeline(ws, 1) == [sequence]
    finally:
        for ws in sockets:
            await ws.close()


async def test_a_shared_stream_shows_no_private_incident(
    server: LiveServer, responder: Actor, viewer: Actor, admin: Actor
) -> None:
    public = await service.declare_incident(actor=responder.principal, title="Public", severity=Severity.SEV2)
    secret = await service.declare_incident(
        actor=responder.principal, title="Nightjar", severity=Severity.SEV2, private=True
    )
    second = await make_actor(Role.VIEWER)
    incident_id = to_global_id("Incident", public.id)
    sockets = [await subscribe(server, actor, MERGED, {"id": incident_id}) for actor in (viewer, second)]
    try:
        assert await streams(server, 2) == 1
        await merge(server, admin, incident_id, secret.id)
        for ws in sockets:
            message = await receive(ws)
            assert message["payload"]["data"]["incidentUpdated"] == {"status": "MERGED", "mergedInto": None}
    finally:
        for ws in sockets:
            await ws.close()


async def test_a_late_subscriber_gets_the_replay_a_running_stream_already_sent(
    server: LiveServer, responder: Actor, viewer: Actor
) -> None:
    incident = await service.declare_incident(actor=responder.principal, title="Replay", severity=Severity.SEV2)
    incident_id = to_global_id("Incident", incident.id)
    early = await subscribe(server, viewer, TIMELINE, {"id": incident_id, "after": 0})
    late: ClientConnection | None = None
    try:
        assert await timeline(early, 1) == [1]
        await note(server, responder, incident_id, "before the late one")
        assert await timeline(early, 1) == [2]
        late = await subscribe(server, await make_actor(Role.VIEWER), TIMELINE, {"id": incident_id, "after": 0})
        assert await timeline(late, 2) == [1, 2]
        assert await streams(server, 2) == 2
        await note(server, responder, incident_id, "to both")
        assert await timeline(early, 1) == [3]
        assert await timeline(late, 1) == [3]
    finally:
        await early.close()
        if late is not None:
            await late.close()


async def test_a_late_status_page_subscriber_gets_the_page_now(server: LiveServer, clean_db: object) -> None:
    early = await subscribe(server, None, STATUS_PAGE, {})
    late: ClientConnection | None = None
    try:
        assert (await receive(early))["payload"]["data"]["statusPageUpdated"]["indicator"] == "NONE"
        late = await subscribe(server, None, STATUS_PAGE, {})
        assert (await receive(late))["payload"]["data"]["statusPageUpdated"]["indicator"] == "NONE"
    finally:
        await early.close()
        if late is not None:
            await late.close()
