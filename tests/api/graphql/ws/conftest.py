"""A real server process per backend for the websocket tests, and a small protocol client."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import orjson
import pytest
import websockets
from websockets.asyncio.client import ClientConnection

from tests.conftest import Backend
from tests.live import LiveServer, live_server

TIMELINE = "subscription($id: ID!, $after: Int) { incidentTimeline(incidentId: $id, afterSequence: $after) { sequence kind message } }"


@pytest.fixture(scope="module")
def server(backend: Backend, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with live_server(backend.url, tmp_path_factory.mktemp("ws"), ws_init_timeout="1", ws_max_operations="3") as running:
        yield running


async def connect(server: LiveServer, protocol: str = "graphql-transport-ws", **kwargs: Any) -> ClientConnection:
    return await websockets.connect(server.ws_url, subprotocols=[protocol] if protocol else None, **kwargs)  # type: ignore[list-item]


async def send(ws: ClientConnection, message: dict[str, Any]) -> None:
    await ws.send(orjson.dumps(message).decode())


async def receive(ws: ClientConnection, timeout: float = 5) -> dict[str, Any]:
    return orjson.loads(await asyncio.wait_for(ws.recv(), timeout))


async def init(ws: ClientConnection, token: str | None) -> dict[str, Any]:
    await send(ws, {"type": "connection_init", "payload": {"authorization": f"Bearer {token}"} if token else {}})
    return await receive(ws)


async def closed_with(ws: ClientConnection, timeout: float = 5) -> tuple[int | None, str | None]:
    """Read until the server closes; return its close code and reason."""
    try:
        while True:
            await asyncio.wait_for(ws.recv(), timeout)
    except websockets.ConnectionClosed as closed:
        frame = closed.rcvd
        return (frame.code, frame.reason) if frame else (None, None)
