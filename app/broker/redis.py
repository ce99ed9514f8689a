"""Redis pub/sub backend: at-most-once delivery; a reconnect is reported as a possible gap."""

from __future__ import annotations

import asyncio
import contextlib
import logging

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from app.broker.base import Backend

log = logging.getLogger(__name__)

_BACKOFF_START = 0.1
_BACKOFF_MAX = 5.0


class RedisBackend(Backend):
    def __init__(self, url: str, *, prefix: str = "firebreak:") -> None:
        self.url = url
        self.prefix = prefix
        self._client: aioredis.Redis | None = None
        self._pubsub: aioredis.client.PubSub | None = None
        self._topics: set[str] = set()
        self._has_topics = asyncio.Event()
        self._state = "disconnected"
        self._pending_gap = False
        self._lock = asyncio.Lock()

    @property
    def state(self) -> str:
        return self._state

    async def connect(self) -> None:
        self._client = aioredis.Redis.from_url(
            self.url, socket_connect_timeout=2, socket_timeout=None, health_check_interval=10
        )
        try:
            await self._client.ping()
            self._state = "connected"
        except (RedisError, OSError) as exc:
            # Queries and mutations work without the broker; the reader keeps retrying.
            log.warning("redis broker unreachable at start (%s); retrying in background", type(exc).__name__)
            self._state = "connecting"
        self._pubsub = self._client.pubsub(ignore_subscribe_messages=True)

    async def disconnect(self) -> None:
        self._state = "disconnected"
        if self._pubsub is not None:
            with contextlib.suppress(Exception):
                await self._pubsub.aclose()
        if self._client is not None:
            with contextlib.suppress(Exception):
                await self._client.aclose()

    async def subscribe(self, topic: str) -> None:
        self._topics.add(topic)
        self._has_topics.set()
        async with self._lock:
            if self._pubsub is not None and self._state == "connected":
                with contextlib.suppress(RedisError, OSError):
                    await self._pubsub.subscribe(self.prefix + topic)

    async def unsubscribe(self, topic: str) -> None:
        self._topics.discard(topic)
        if not self._topics:
            self._has_topics.clear()
        async with self._lock:
            if self._pubsub is not None and self._state == "connected":
                with contextlib.suppress(RedisError, OSError):
                    await self._pubsub.unsubscribe(self.prefix + topic)

    async def publish(self, topic: str, message: bytes) -> None:
        assert self._client is not None
        try:
            await self._client.publish(self.prefix + topic, message)
        except (RedisError, OSError) as exc:
            # At-most-once: subscribers recover the lost message from the database.
            log.warning("redis publish failed (%s); subscribers will backfill", type(exc).__name__)

    async def publish_many(self, messages: list[tuple[str, bytes]]) -> None:
        assert self._client is not None
        try:
            async with self._client.pipeline(transaction=False) as pipe:
                for topic, message in messages:
                    pipe.publish(self.prefix + topic, message)
                await pipe.execute()
        except (RedisError, OSError) as exc:
            log.warning("redis publish failed (%s); subscribers will backfill", type(exc).__name__)

    async def next_published(self) -> tuple[str, bytes | None]:
        backoff = _BACKOFF_START
        while True:
            if self._pending_gap:
                self._pending_gap = False
                return "*", None
            await self._has_topics.wait()
            try:
                if self._state != "connected":
                    await self._reconnect()
                    backoff = _BACKOFF_START
                    continue
                assert self._pubsub is not None
                message = await self._pubsub.get_message(timeout=1.0)
            except (RedisError, OSError, RuntimeError) as exc:
                if self._state == "connected":
                    log.warning("redis broker connection lost (%s); reconnecting", type(exc).__name__)
                self._state = "connecting"
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, _BACKOFF_MAX)
                continue
            if message is None or message.get("type") != "message":
                continue
            channel = message["channel"]
            topic = channel.decode() if isinstance(channel, bytes) else channel
            return topic.removeprefix(self.prefix), message["data"]

    async def _reconnect(self) -> None:
        async with self._lock:
            assert self._client is not None
            if self._pubsub is not None:
                with contextlib.suppress(Exception):
                    await self._pubsub.aclose()
            self._pubsub = self._client.pubsub(ignore_subscribe_messages=True)
            await self._client.ping()
            if self._topics:
                await self._pubsub.subscribe(*(self.prefix + t for t in self._topics))
            self._state = "connected"
            self._pending_gap = True
            log.info("redis broker connected; %d topics subscribed", len(self._topics))
