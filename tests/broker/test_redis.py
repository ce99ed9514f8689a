"""The Redis backend against the real Redis: one SUBSCRIBE per topic per process, delivery
across brokers, and a reconnect reported as a gap."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis

from app.broker import GAP, Broker, create_broker
from tests.services import kill_pubsub_connections, require_redis


@pytest.fixture
async def prefix() -> str:
    return f"test-{uuid.uuid4().hex[:8]}:"


@pytest.fixture
async def brokers(prefix: str) -> AsyncIterator[tuple[Broker, Broker]]:
    url = require_redis()
    first, second = create_broker(url, prefix=prefix), create_broker(url, prefix=prefix)
    await first.connect()
    await second.connect()
    yield first, second
    await first.close()
    await second.close()


async def receive(listener: object, timeout: float = 5) -> bytes | None:
    return await asyncio.wait_for(listener.__anext__(), timeout)  # type: ignore[attr-defined]


async def test_messages_cross_processes_with_one_subscription_per_topic(
    brokers: tuple[Broker, Broker], prefix: str
) -> None:
    publisher, subscriber = brokers
    redis = aioredis.Redis.from_url(require_redis())
    try:
        async with (
            subscriber.subscribe("incident:1") as a,
            subscriber.subscribe("incident:1") as b,
            subscriber.subscribe("incident:1") as c,
        ):
            await asyncio.sleep(0.2)
            counts = dict(await redis.pubsub_numsub(prefix + "incident:1"))
            assert counts[(prefix + "incident:1").encode()] == 1  # three local listeners, one Redis subscription
            await publisher.publish("incident:1", b"hello")
            assert [await receive(x) for x in (a, b, c)] == [b"hello"] * 3
        await asyncio.sleep(0.2)
        counts = dict(await redis.pubsub_numsub(prefix + "incident:1"))
        assert counts[(prefix + "incident:1").encode()] == 0  # unsubscribed with the last listener
    finally:
        await redis.aclose()


async def test_a_dropped_connection_is_reported_as_a_gap_and_recovers(
    brokers: tuple[Broker, Broker], prefix: str
) -> None:
    publisher, subscriber = brokers
    redis = aioredis.Redis.from_url(require_redis())
    try:
        async with subscriber.subscribe("incident:2") as listener:
            await asyncio.sleep(0.2)
            assert await kill_pubsub_connections(prefix) == 1
            assert await receive(listener, 10) is GAP
            assert subscriber.state == "connected"
            await publisher.publish("incident:2", b"after")
            assert await receive(listener) == b"after"
    finally:
        await redis.aclose()


async def test_unreachable_redis_does_not_break_publishing(prefix: str) -> None:
    broker = create_broker("redis://127.0.0.1:1/0", prefix=prefix)
    await broker.connect()
    try:
        assert broker.state == "connecting"
        await broker.publish("incident:3", b"dropped")  # returns at once; nothing raised
        await broker.publish_many([("incident:3", b"dropped too")])
    finally:
        await broker.close()


async def test_a_batch_is_published_in_order_in_one_round_trip(brokers: tuple[Broker, Broker]) -> None:
    publisher, subscriber = brokers
    async with subscriber.subscribe("incident:4") as timeline, subscriber.subscribe("alerts:feed") as alerts:
        await asyncio.sleep(0.2)
        await publisher.publish_many(
            [("incident:4", b"1"), ("alerts:feed", b"a"), ("incident:4", b"2"), ("incident:4", b"3")]
        )
        assert [await receive(timeline) for _ in range(3)] == [b"1", b"2", b"3"]
        assert await receive(alerts) == b"a"
