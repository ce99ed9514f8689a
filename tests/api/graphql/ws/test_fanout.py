"""Across processes through Redis, and what happens when pub/sub loses messages or a reader
falls behind: every sequence arrives once, in order, and a slow reader harms no one else."""

from __future__ import annotations

import asyncio
import socket
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets

from app.ids import to_global_id
from app.incidents import service
from app.incidents.enums import Severity
from tests.api.graphql.ws.conftest import TIMELINE, closed_with, init, receive, send
from tests.api.graphql.ws.test_subscriptions import note
from tests.conftest import Actor, Backend
from tests.live import LiveServer, live_server
from tests.services import kill_pubsub_connections, require_redis

pytestmark = pytest.mark.parametrize("backend", ["postgres"], indirect=True)


async def declared(actor: Actor) -> tuple[int, str]:
    incident = await service.declare_incident(actor=actor.principal, title="Shared", severity=Severity.SEV1)
    return incident.id, to_global_id("Incident", incident.id)


async def subscribe(
    server: LiveServer, actor: Actor, incident_id: str, after: int | None = None, **connect: Any
) -> websockets.ClientConnection:
    ws = await websockets.connect(server.ws_url, subprotocols=["graphql-transport-ws"], **connect)  # type: ignore[list-item]
    await init(ws, actor.token)
    await send(
        ws,
        {
            "id": "t",
            "type": "subscribe",
            "payload": {"query": TIMELINE, "variables": {"id": incident_id, "after": after}},
        },
    )
    return ws


async def sequences(ws: websockets.ClientConnection, count: int, timeout: float = 15) -> list[int]:
    found = []
    for _ in range(count):
        message = await receive(ws, timeout)
        assert message["type"] == "next", message
        found.append(message["payload"]["data"]["incidentTimeline"]["sequence"])
    return found


@pytest.fixture
def pair(backend: Backend, tmp_path: Path) -> Any:
    prefix = f"test-{uuid.uuid4().hex[:8]}:"
    redis_url = require_redis()
    with (
        live_server(backend.url, tmp_path, redis_url=redis_url, redis_prefix=prefix) as a,
        live_server(backend.url, tmp_path, redis_url=redis_url, redis_prefix=prefix) as b,
    ):
        yield a, b, prefix


async def test_a_mutation_on_one_process_reaches_a_subscriber_on_another(
    pair: Any, clean_db: object, responder: Actor, viewer: Actor
) -> None:
    a, b, _ = pair
    _, incident_id = await declared(responder)
    ws = await subscribe(b, viewer, incident_id)
    try:
        await asyncio.sleep(0.5)
        assert await note(a, responder, incident_id, "from A") == 2
        assert await sequences(ws, 1) == [2]
    finally:
        await ws.close()


async def test_a_lost_message_is_backfilled_from_the_database(
    pair: Any, clean_db: object, responder: Actor, viewer: Actor
) -> None:
    a, b, _ = pair
    pk, incident_id = await declared(responder)
    ws = await subscribe(b, viewer, incident_id)
    try:
        await asyncio.sleep(0.5)
        # Committed in this test process, which has no broker: its message is never published.
        await service.add_note(actor=responder.principal, incident_id=pk, body="never published")
        await note(a, responder, incident_id, "published")
        assert await sequences(ws, 2) == [2, 3]
    finally:
        await ws.close()


async def test_a_redis_reconnect_mid_stream_loses_nothing(
    pair: Any, clean_db: object, responder: Actor, viewer: Actor
) -> None:
    a, b, prefix = pair
    _, incident_id = await declared(responder)
    ws = await subscribe(b, viewer, incident_id)
    try:
        await asyncio.sleep(0.5)
        await note(a, responder, incident_id, "before")
        assert await kill_pubsub_connections(prefix) >= 1
        for n in range(5):  # some of these are published while B is reconnecting
            await note(a, responder, incident_id, f"during {n}")
        await asyncio.sleep(1.5)
        await note(a, responder, incident_id, "after")
        assert await sequences(ws, 7) == list(range(2, 9))
        await send(ws, {"type": "ping"})
        assert (await receive(ws))["type"] == "pong"  # and nothing twice
    finally:
        await ws.close()


async def test_a_slow_consumer_is_cut_off_without_delaying_a_fast_one(
    backend: Backend, clean_db: object, responder: Actor, viewer: Actor, tmp_path: Path
) -> None:
    with live_server(backend.url, tmp_path, ws_send_buffer="8", ws_ping_interval="300") as server:
        _, incident_id = await declared(responder)
        tiny = socket.create_connection(("127.0.0.1", server.port))
        tiny.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
        slow = await subscribe(server, viewer, incident_id, sock=tiny, max_queue=1, ping_interval=None)
        fast = await subscribe(server, viewer, incident_id)
        try:
            await asyncio.sleep(0.5)
            body = "x" * 20_000
            count = 120
            received: list[int] = []

            async def read_fast() -> None:
                received.extend(await sequences(fast, count, timeout=30))

            reader = asyncio.create_task(read_fast())
            for n in range(count):
                await note(server, responder, incident_id, f"{n} {body}"[:20_000])
            await asyncio.wait_for(reader, 60)
            assert received == list(range(2, count + 2))
            async with httpx.AsyncClient(base_url=server.url) as http:
                assert (await http.get("/health/ready")).json()["websockets"]["subscriptions"] == 1  # only the fast one
            code, reason = await closed_with(slow, timeout=30)
            assert code == 1013 and "afterSequence" in (reason or "")
        finally:
            await slow.close()
            await fast.close()


async def test_health_reports_an_unreachable_broker_and_queries_still_work(
    backend: Backend, clean_db: object, viewer: Actor, tmp_path: Path
) -> None:
    with live_server(backend.url, tmp_path, redis_url="redis://127.0.0.1:1/0") as server:
        async with httpx.AsyncClient(base_url=server.url) as http:
            ready = (await http.get("/health/ready")).json()
            assert ready["status"] == "degraded" and ready["database"] == "ok" and ready["broker"] != "connected"
            response = await http.post("/graphql", json={"query": "{ viewer { email } }"}, headers=viewer.headers)
            assert response.json()["data"]["viewer"]["email"] == "viewer@example.com"
