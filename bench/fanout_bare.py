"""The practical limit for the fan-out bench: a bare `websockets` server that answers the same
handshake and, on each trigger, broadcasts an equal payload to every subscriber with
`websockets.broadcast` (no GraphQL, no database, no broker)."""

from __future__ import annotations

import asyncio
import json
import sys

import websockets
from websockets.asyncio.server import ServerConnection, broadcast

subscribers: set[ServerConnection] = set()


async def handle(ws: ServerConnection) -> None:
    async for text in ws:
        message = json.loads(text)
        if message["type"] == "connection_init":
            await ws.send('{"type":"connection_ack"}')
        elif message["type"] == "subscribe":
            subscribers.add(ws)
        elif message["type"] == "trigger":  # from the bench driver
            broadcast(subscribers, message["payload"])
    subscribers.discard(ws)


async def main(port: int) -> None:
    async with websockets.serve(
        handle,
        "127.0.0.1",
        port,
        subprotocols=["graphql-transport-ws"],
        max_size=None,
        ping_interval=None,
        compression=None,
    ):  # type: ignore[list-item]
        await asyncio.Future()


if __name__ == "__main__":
    import uvloop

    uvloop.install()
    asyncio.run(main(int(sys.argv[1])))
