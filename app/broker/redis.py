"""Redis pub/sub backend: at-most-once delivery. One pub/sub connection per process holds one
SUBSCRIBE per topic; a reconnect (with backoff) is reported as a possible gap so that
subscribers backfill from the database."""

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
_IDLE_CHECK = 2.0


class RedisBackend(Backend):
    def __init__(self, url: str, *, prefix: str = "firebreak:") -> None:
        self.url = url
        self.prefix = prefix
        self._client: aioredis.Redis | None = None
        self._pubsub: aioredis.client.PubSub | None = None
        self._topics: set[str] = set()
        self._state = "disconnected"
        self._pending_gap = False
        self._lock = asyncio.Lock()
        self._wake = asyncio.Event()

    @property
    def state(self) -> str:
        return self._state

    async def connect(self) -> None:
        self._client = aioredis.Redis.from_url(
            self.url,
            socket_connect_timeout=2,
            socket_timeout=5,
            health_check_interval=10,
            client_name=f"{self.prefix}broker",
        )
        try:
            await self._connect_pubsub()
        except (RedisError, OSError) as exc:
            # Queries and mutations work without the broker; the reader keeps retrying.
            log.warning("redis broker unreachable at start (%s); retrying in background", type(exc).__name__)
            self._state = "connecting"

    async def _connect_pubsub(self) -> None:
        assert self._client is not None
        async with self._lock:
            if self._pubsub is not None:
                with contextlib.suppress(Exception):
                    await self._pubsub.aclose()
            self._pubsub = self._client.pubsub(ignore_subscribe_messages=True)
            await self._client.ping()
            if self._topics:
                await self._pubsub.subscribe(*(self.prefix + t for t in self._topics))
            self._state = "connected"

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
        await self._apply("subscribe", topic)
        self._wake.set()

    async def unsubscribe(self, topic: str) -> None:
        self._topics.discard(topic)
        await self._apply("unsubscribe", topic)

    async def _apply(self, command: str, topic: str) -> None:
        async with self._lock:
            if self._pubsub is None or self._state != "connected":
                return  # applied on reconnect
            try:
                await getattr(self._pubsub, command)(self.prefix + topic)
            except (RedisError, OSError):
                self._state = "connecting"

    async def publish(self, topic: str, message: bytes) -> None:
        if self._client is None or self._state != "connected":
            return  # at-most-once: subscribers backfill from the database after the reconnect
        try:
            await self._client.publish(self.prefix + topic, message)
        except (RedisError, OSError) as exc:
            log.warning("redis publish failed (%s); subscribers will backfill", type(exc).__name__)
            self._state = "connecting"

    async def publish_many(self, messages: list[tuple[str, bytes]]) -> None:
        """A transaction's messages in one round trip (a pipeline, not a Redis transaction)."""
        if self._client is None or self._state != "connected":
            return  # at-most-once: subscribers backfill from the database after the reconnect
        try:
            async with self._client.pipeline(transaction=False) as pipe:
                for topic, message in messages:
                    pipe.publish(self.prefix + topic, message)
                await pipe.execute()
        except (RedisError, OSError) as exc:
            log.warning("redis publish failed (%s); subscribers will backfill", type(exc).__name__)
            self._state = "connecting"

    async def next_published(self) -> tuple[str, bytes | None]:
        backoff = _BACKOFF_START
        while True:
            if self._pending_gap:
                self._pending_gap = False
                return "*", None
            try:
                if self._state != "connected":
                    await self._connect_pubsub()
                    log.info("redis broker connected; %d topics subscribed", len(self._topics))
                    self._pending_gap = True
                    backoff = _BACKOFF_START
                    continue
                assert self._pubsub is not None and self._client is not None
                if not self._pubsub.subscribed:  # nothing to read: check the server is still there
                    self._wake.clear()
                    try:
                        await asyncio.wait_for(self._wake.wait(), _IDLE_CHECK)
                    except TimeoutError:
                        await self._client.ping()
                    continue
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
