"""graphql-transport-ws as PROTOCOL.md specifies, the legacy graphql-ws, and authentication."""

from __future__ import annotations

import asyncio

import httpx
import websockets

from app.identity import service as identity
from app.ids import to_global_id
from app.incidents import service
from app.incidents.enums import Severity
from tests.api.graphql.ws.conftest import TIMELINE, closed_with, connect, init, receive, send
from tests.conftest import Actor
from tests.live import LiveServer


async def declared(actor: Actor) -> str:
    incident = await service.declare_incident(actor=actor.principal, title="Live", severity=Severity.SEV2)
    return to_global_id("Incident", incident.id)


async def test_init_ack_and_ping_pong(server: LiveServer, viewer: Actor) -> None:
    async with await connect(server) as ws:
        assert await init(ws, viewer.token) == {"type": "connection_ack"}
        await send(ws, {"type": "ping", "payload": {"n": 1}})
        assert await receive(ws) == {"type": "pong", "payload": {"n": 1}}


async def test_invalid_token_closes_4403(server: LiveServer, clean_db: object) -> None:
    async with await connect(server) as ws:
        await send(ws, {"type": "connection_init", "payload": {"authorization": "Bearer fbk_nope"}})
        assert (await closed_with(ws))[0] == 4403


async def test_revoked_token_closes_4403_before_anything_runs(server: LiveServer, viewer: Actor) -> None:
    await identity.revoke_token(token_id=viewer.principal.token_id)  # type: ignore[arg-type]
    async with await connect(server) as ws:
        await init_and_expect_close(ws, viewer.token, 4403)


async def init_and_expect_close(ws: websockets.ClientConnection, token: str, code: int) -> None:
    await send(ws, {"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}})
    assert (await closed_with(ws))[0] == code


async def test_authorization_header_on_upgrade(server: LiveServer, viewer: Actor, responder: Actor) -> None:
    incident_id = await declared(responder)
    async with await connect(server, additional_headers=viewer.headers) as ws:
        assert await init(ws, None) == {"type": "connection_ack"}
        await send(
            ws,
            {
                "id": "a",
                "type": "subscribe",
                "payload": {"query": TIMELINE, "variables": {"id": incident_id, "after": 0}},
            },
        )
        message = await receive(ws)
        assert message["type"] == "next" and message["payload"]["data"]["incidentTimeline"]["sequence"] == 1


async def test_anonymous_gets_an_error_and_no_data(server: LiveServer, responder: Actor) -> None:
    incident_id = await declared(responder)
    async with await connect(server) as ws:
        assert await init(ws, None) == {"type": "connection_ack"}
        await send(
            ws,
            {
                "id": "1",
                "type": "subscribe",
                "payload": {"query": TIMELINE, "variables": {"id": incident_id, "after": 0}},
            },
        )
        message = await receive(ws)
        assert message["type"] == "error" and message["id"] == "1"
        assert message["payload"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        await send(ws, {"type": "ping"})
        assert (await receive(ws))["type"] == "pong"  # no data arrived in between


async def test_subscribe_before_init_closes_4401(server: LiveServer, clean_db: object) -> None:
    async with await connect(server) as ws:
        await send(ws, {"id": "1", "type": "subscribe", "payload": {"query": TIMELINE}})
        assert (await closed_with(ws))[0] == 4401


async def test_duplicate_id_closes_4409(server: LiveServer, responder: Actor) -> None:
    incident_id = await declared(responder)
    async with await connect(server) as ws:
        await init(ws, responder.token)
        subscribe = {
            "id": "same",
            "type": "subscribe",
            "payload": {"query": TIMELINE, "variables": {"id": incident_id}},
        }
        await send(ws, subscribe)
        await send(ws, subscribe)
        code, reason = await closed_with(ws)
        assert code == 4409 and reason == "Subscriber for same already exists"


async def test_second_init_closes_4429(server: LiveServer, viewer: Actor) -> None:
    async with await connect(server) as ws:
        await init(ws, viewer.token)
        await send(ws, {"type": "connection_init"})
        assert (await closed_with(ws))[0] == 4429


async def test_init_timeout_closes_4408(server: LiveServer, clean_db: object) -> None:
    async with await connect(server) as ws:
        code, reason = await closed_with(ws, timeout=5)
        assert code == 4408 and reason == "Connection initialisation timeout"


async def test_invalid_messages_close_4400(server: LiveServer, viewer: Actor) -> None:
    for bad in ("not json", '{"no": "type"}', '{"type": "mystery"}'):
        async with await connect(server) as ws:
            await init(ws, viewer.token)
            await ws.send(bad)
            assert (await closed_with(ws))[0] == 4400


async def test_unknown_subprotocol_closes_4406(server: LiveServer, clean_db: object) -> None:
    async with await websockets.connect(server.ws_url) as ws:
        assert (await closed_with(ws))[0] == 4406


async def test_operation_cap_per_connection(server: LiveServer, responder: Actor) -> None:
    incident_id = await declared(responder)
    async with await connect(server) as ws:
        await init(ws, responder.token)
        for n in range(4):
            await send(
                ws,
                {"id": str(n), "type": "subscribe", "payload": {"query": TIMELINE, "variables": {"id": incident_id}}},
            )
        refused = await receive(ws)
        assert refused["id"] == "3" and refused["payload"][0]["extensions"]["code"] == "TOO_MANY_OPERATIONS"


async def test_validation_errors_and_queries(server: LiveServer, viewer: Actor) -> None:
    async with await connect(server) as ws:
        await init(ws, viewer.token)
        await send(ws, {"id": "bad", "type": "subscribe", "payload": {"query": "subscription { nope }"}})
        error = await receive(ws)
        assert error["type"] == "error" and "nope" in error["payload"][0]["message"]
        await send(ws, {"id": "q", "type": "subscribe", "payload": {"query": "{ viewer { email } }"}})
        assert (await receive(ws))["payload"] == {"data": {"viewer": {"email": "viewer@example.com"}}}
        assert await receive(ws) == {"id": "q", "type": "complete"}


async def test_not_found_incident_is_an_error(server: LiveServer, viewer: Actor) -> None:
    async with await connect(server) as ws:
        await init(ws, viewer.token)
        await send(
            ws,
            {
                "id": "x",
                "type": "subscribe",
                "payload": {"query": TIMELINE, "variables": {"id": to_global_id("Incident", 999)}},
            },
        )
        error = await receive(ws)
        assert error["type"] == "error" and error["payload"][0]["extensions"] == {
            "code": "NOT_FOUND",
            "field": "incidentId",
        }


async def test_client_complete_stops_the_stream(server: LiveServer, responder: Actor) -> None:
    incident_id = await declared(responder)
    async with await connect(server) as ws:
        await init(ws, responder.token)
        await send(
            ws, {"id": "s", "type": "subscribe", "payload": {"query": TIMELINE, "variables": {"id": incident_id}}}
        )
        await asyncio.sleep(0.3)
        await send(ws, {"id": "s", "type": "complete"})
        await asyncio.sleep(0.2)
        mutation = 'mutation($id: ID!) { addTimelineNote(input: {incidentId: $id, body: "after stop"}) { event { sequence } } }'
        async with httpx.AsyncClient(base_url=server.url, headers=responder.headers) as http:
            response = await http.post("/graphql", json={"query": mutation, "variables": {"id": incident_id}})
        assert response.json()["data"]["addTimelineNote"]["event"]["sequence"] == 2
        await asyncio.sleep(0.3)
        await send(ws, {"type": "ping"})
        assert (await receive(ws))["type"] == "pong"  # no `next` for the completed operation


async def test_legacy_graphql_ws(server: LiveServer, responder: Actor) -> None:
    incident_id = await declared(responder)
    async with await connect(server, "graphql-ws") as ws:
        assert ws.subprotocol == "graphql-ws"
        assert await init(ws, responder.token) == {"type": "connection_ack"}
        assert await receive(ws) == {"type": "ka"}
        await send(
            ws,
            {"id": "1", "type": "start", "payload": {"query": TIMELINE, "variables": {"id": incident_id, "after": 0}}},
        )
        data = await receive(ws)
        assert data["type"] == "data" and data["payload"]["data"]["incidentTimeline"]["kind"] == "DECLARED"
        await send(ws, {"id": "1", "type": "stop"})
        await send(ws, {"type": "connection_terminate"})
        assert (await closed_with(ws))[0] == 1000


async def test_legacy_bad_token_gets_connection_error(server: LiveServer, clean_db: object) -> None:
    async with await connect(server, "graphql-ws") as ws:
        await send(ws, {"type": "connection_init", "payload": {"authorization": "Bearer fbk_bad"}})
        assert (await receive(ws))["type"] == "connection_error"
        assert (await closed_with(ws))[0] == 4403


async def test_revoking_a_token_closes_its_open_sockets(server: LiveServer, viewer: Actor, responder: Actor) -> None:
    incident_id = await declared(responder)
    async with await connect(server) as ws:
        await init(ws, viewer.token)
        await send(
            ws, {"id": "1", "type": "subscribe", "payload": {"query": TIMELINE, "variables": {"id": incident_id}}}
        )
        await asyncio.sleep(0.2)
        await identity.revoke_token(token_id=viewer.principal.token_id)  # type: ignore[arg-type]
        started = asyncio.get_running_loop().time()
        code, _ = await closed_with(ws, timeout=10)
        assert code == 4403 and asyncio.get_running_loop().time() - started < 8


async def test_removing_a_member_ends_their_subscription(server: LiveServer, responder: Actor, viewer: Actor) -> None:
    secret = await service.declare_incident(
        actor=responder.principal, title="Private", severity=Severity.SEV1, private=True
    )
    incident_id = to_global_id("Incident", secret.id)
    mutation = "mutation($input: IncidentMemberInput!) { %s(input: $input) { errors { code } } }"
    async with httpx.AsyncClient(base_url=server.url, headers=responder.headers) as http:
        added = await http.post(
            "/graphql",
            json={
                "query": mutation % "addIncidentMember",
                "variables": {"input": {"incidentId": incident_id, "userId": viewer.global_id}},
            },
        )
        assert added.json()["data"]["addIncidentMember"]["errors"] == []
        async with await connect(server) as ws:
            await init(ws, viewer.token)
            await send(
                ws,
                {
                    "id": "p",
                    "type": "subscribe",
                    "payload": {"query": TIMELINE, "variables": {"id": incident_id, "after": 0}},
                },
            )
            assert (await receive(ws))["payload"]["data"]["incidentTimeline"]["sequence"] == 1
            assert (await receive(ws))["payload"]["data"]["incidentTimeline"]["kind"] == "MEMBER_ADDED"
            removed = await http.post(
                "/graphql",
                json={
                    "query": mutation % "removeIncidentMember",
                    "variables": {"input": {"incidentId": incident_id, "userId": viewer.global_id}},
                },
            )
            assert removed.json()["data"]["removeIncidentMember"]["errors"] == []
            message = await receive(ws)
            while message["type"] == "next":  # the MEMBER_REMOVED event may come first
                message = await receive(ws)
            assert message["type"] == "error" and message["payload"][0]["extensions"]["code"] == "FORBIDDEN"
