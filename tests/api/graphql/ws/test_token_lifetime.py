"""A websocket lives no longer than its token: expiry and revocation (through the API) close it
with 4403 within seconds; a routing key is no token; a read-only token subscribes but mutates
nothing, over the socket as over HTTP."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx

from app import clock
from app.alerts import integrations
from app.alerts.enums import IntegrationKind
from app.catalog import service as catalog
from app.identity import service as identity
from app.ids import to_global_id
from app.incidents import service
from app.incidents.enums import Severity
from tests.api.graphql.ws.conftest import TIMELINE, closed_with, connect, init, receive, send
from tests.conftest import Actor
from tests.live import LiveServer


async def timeline_of(responder: Actor) -> str:
    incident = await service.declare_incident(actor=responder.principal, title="Live", severity=Severity.SEV2)
    return to_global_id("Incident", incident.id)


async def test_an_expiring_token_closes_its_socket(server: LiveServer, viewer: Actor, responder: Actor) -> None:
    incident_id = await timeline_of(responder)
    issued = await identity.create_token(
        user_id=viewer.user_id, name="brief", expires_at=clock.now() + timedelta(seconds=2)
    )
    async with await connect(server) as ws:
        assert await init(ws, issued.secret) == {"type": "connection_ack"}
        await send(
            ws,
            {
                "id": "1",
                "type": "subscribe",
                "payload": {"query": TIMELINE, "variables": {"id": incident_id, "after": 0}},
            },
        )
        assert (await receive(ws))["payload"]["data"]["incidentTimeline"]["sequence"] == 1
        started = asyncio.get_running_loop().time()
        code, _ = await closed_with(ws, timeout=12)
        assert code == 4403 and asyncio.get_running_loop().time() - started < 9


async def test_revoking_through_the_api_closes_the_socket(
    server: LiveServer, viewer: Actor, admin: Actor, responder: Actor
) -> None:
    incident_id = await timeline_of(responder)
    async with await connect(server) as ws:
        await init(ws, viewer.token)
        await send(
            ws,
            {
                "id": "1",
                "type": "subscribe",
                "payload": {"query": TIMELINE, "variables": {"id": incident_id, "after": 0}},
            },
        )
        assert (await receive(ws))["type"] == "next"
        mutation = "mutation($id: ID!) { revokeApiToken(input: {apiTokenId: $id}) { errors { code } } }"
        async with httpx.AsyncClient(base_url=server.url, headers=admin.headers) as http:
            response = await http.post(
                "/graphql",
                json={"query": mutation, "variables": {"id": to_global_id("ApiToken", viewer.principal.token_id or 0)}},
            )
        assert response.json()["data"]["revokeApiToken"]["errors"] == []
        started = asyncio.get_running_loop().time()
        code, _ = await closed_with(ws, timeout=12)
        assert code == 4403 and asyncio.get_running_loop().time() - started < 8


async def test_a_routing_key_does_not_open_a_socket(server: LiveServer, admin: Actor) -> None:
    checkout = await catalog.create_service(name="Checkout")
    key = (
        await integrations.create_integration(
            actor=admin.principal, service_id=checkout.id, kind=IntegrationKind.GENERIC, name="x"
        )
    ).key
    async with await connect(server) as ws:
        await send(ws, {"type": "connection_init", "payload": {"authorization": f"Bearer {key}"}})
        assert (await closed_with(ws))[0] == 4403


async def test_a_read_only_token_subscribes_but_mutates_nothing_over_the_socket(
    server: LiveServer, responder: Actor
) -> None:
    incident_id = await timeline_of(responder)
    reader = await identity.create_token(user_id=responder.user_id, name="ro", scopes=["read"])
    async with await connect(server) as ws:
        await init(ws, reader.secret)
        note = 'mutation($id: ID!) { addTimelineNote(input: {incidentId: $id, body: "x"}) { event { sequence } errors { code } } }'
        await send(ws, {"id": "m", "type": "subscribe", "payload": {"query": note, "variables": {"id": incident_id}}})
        result = await receive(ws)
        assert result["payload"]["data"]["addTimelineNote"] == {"event": None, "errors": [{"code": "FORBIDDEN"}]}
        await send(
            ws,
            {
                "id": "s",
                "type": "subscribe",
                "payload": {"query": TIMELINE, "variables": {"id": incident_id, "after": 0}},
            },
        )
        message = await receive(ws)
        while message.get("id") != "s":
            message = await receive(ws)
        assert message["payload"]["data"]["incidentTimeline"]["sequence"] == 1
