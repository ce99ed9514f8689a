"""The subscribers of the fan-out bench, in their own process: N websockets speaking
graphql-transport-ws, each recording when every event arrives.

Prints READY once every subscription is acknowledged by the server's first message or a short
settle time, then, after receiving `events` messages on every socket (or a timeout), one JSON
line with the latencies in milliseconds (arrival minus the send time embedded in the event).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
import time

import websockets

STAMP = re.compile(r"t=([0-9.]+)")


async def subscriber(
    url: str,
    token: str | None,
    query: str,
    variables: dict,
    events: int,
    latencies: list[float],
    ready: asyncio.Event,
    counter: list[int],
    n: int,
    done: asyncio.Event,
    opening: asyncio.Semaphore,
) -> None:
    await opening.acquire()
    async with websockets.connect(
        url, subprotocols=["graphql-transport-ws"], max_size=None, ping_interval=None, compression=None, open_timeout=60
    ) as ws:  # type: ignore[list-item]
        await ws.send(
            json.dumps({"type": "connection_init", "payload": {"authorization": f"Bearer {token}"} if token else {}})
        )
        await ws.recv()
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": query, "variables": variables}}))
        opening.release()
        counter[0] += 1
        if counter[0] == n:
            ready.set()
        received = 0
        while received < events:
            text = await ws.recv()
            now = time.monotonic()
            match = STAMP.search(text if isinstance(text, str) else text.decode())
            if match is None:
                continue
            latencies.append((now - float(match.group(1))) * 1000)
            received += 1
        counter[1] += 1
        if counter[1] == n:
            done.set()
        await done.wait()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--token", action="append", default=[], help="repeat: subscribers take them in turn")
    parser.add_argument("--query", required=True)
    parser.add_argument("--variables", default="{}")
    parser.add_argument("--subscribers", type=int, default=1000)
    parser.add_argument("--events", type=int, default=12)
    parser.add_argument("--timeout", type=float, default=120)
    parser.add_argument(
        "--opening", type=int, default=50, help="connections being opened at once (the server accepts at its own pace)"
    )
    args = parser.parse_args()
    latencies: list[float] = []
    ready, done = asyncio.Event(), asyncio.Event()
    counter = [0, 0]
    variables = json.loads(args.variables)
    opening = asyncio.Semaphore(args.opening)
    tasks = []
    for n in range(args.subscribers):
        token = args.token[n % len(args.token)] if args.token else None
        tasks.append(
            asyncio.create_task(
                subscriber(
                    args.url,
                    token,
                    args.query,
                    variables,
                    args.events,
                    latencies,
                    ready,
                    counter,
                    args.subscribers,
                    done,
                    opening,
                )
            )
        )
    await asyncio.wait_for(ready.wait(), args.timeout)
    await asyncio.sleep(1.0)  # let the server start every stream
    print("READY", flush=True)
    try:
        await asyncio.wait_for(done.wait(), args.timeout)
    except TimeoutError:
        pass
    for task in tasks:
        task.cancel()
    print(json.dumps({"latencies": latencies, "complete": counter[1]}), flush=True)


if __name__ == "__main__":
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    asyncio.run(main())
    sys.exit(0)
