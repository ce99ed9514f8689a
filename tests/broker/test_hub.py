"""Local fan-out: one upstream subscription per topic, bounded listeners, gaps."""

from __future__ import annotations

import asyncio

import pytest

from app.broker import GAP, Broker, Overflow
from app.broker.memory import MemoryBackend


class CountingBackend(MemoryBackend):
    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple[str, str]] = []

    async def subscribe(self, topic: str) -> None:
        self.calls.append(("subscribe", topic))
        await super().subscribe(topic)

    async def unsubscribe(self, topic: str) -> None:
        self.calls.append(("unsubscribe", topic))
        await super().unsubscribe(topic)


async def next_message(listener: object) -> bytes | None:
    return await asyncio.wait_for(listener.__anext__(), 2)  # type: ignore[attr-defined]


async def test_one_upstream_subscription_per_topic_and_fan_out() -> None:
    backend = CountingBackend()
    broker = Broker(backend)
    await broker.connect()
    try:
        async with broker.subscribe("t") as a, broker.subscribe("t") as b, broker.subscribe("other") as c:
            await broker.publish("t", b"1")
            assert (await next_message(a), await next_message(b)) == (b"1", b"1")
            assert c.pending() == 0
            assert backend.calls == [("subscribe", "t"), ("subscribe", "other")]
            assert broker.listener_count("t") == 2
        assert backend.calls[-2:] == [("unsubscribe", "other"), ("unsubscribe", "t")] or set(backend.calls[-2:]) == {
            ("unsubscribe", "t"),
            ("unsubscribe", "other"),
        }
        assert broker.listener_count() == 0
    finally:
        await broker.close()


async def test_unsubscribes_only_when_the_last_listener_leaves() -> None:
    backend = CountingBackend()
    broker = Broker(backend)
    await broker.connect()
    try:
        async with broker.subscribe("t"):
            async with broker.subscribe("t"):
                pass
            assert ("unsubscribe", "t") not in backend.calls
        assert backend.calls.count(("unsubscribe", "t")) == 1
    finally:
        await broker.close()


async def test_a_listener_that_falls_behind_overflows_without_slowing_others() -> None:
    broker = Broker(MemoryBackend(), listener_buffer=3)
    await broker.connect()
    try:
        async with broker.subscribe("t") as slow, broker.subscribe("t", buffer=100) as fast:
            for n in range(10):
                await broker.publish("t", str(n).encode())
            received = [await next_message(fast) for _ in range(10)]
            assert received == [str(n).encode() for n in range(10)]
            with pytest.raises(Overflow):
                for _ in range(4):
                    await next_message(slow)
    finally:
        await broker.close()


async def test_gap_reaches_every_listener() -> None:
    backend = MemoryBackend()
    broker = Broker(backend)
    await broker.connect()
    try:
        async with broker.subscribe("a") as a, broker.subscribe("b") as b:
            backend._queue.put_nowait(("*", None))
            assert await next_message(a) is GAP and await next_message(b) is GAP
    finally:
        await broker.close()
