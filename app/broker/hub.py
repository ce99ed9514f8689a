"""Local fan-out: one upstream subscription per topic, bounded queues per local listener."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from app.broker.base import Backend

log = logging.getLogger(__name__)

GAP = None  # what a listener reads when messages may have been lost upstream


class Overflow(Exception):
    """The listener fell behind by more than its buffer; it must resume from storage."""


class Listener:
    """One local listener of a topic: an async iterator of messages (or GAP)."""

    def __init__(self, topic: str, maxsize: int) -> None:
        self.topic = topic
        self._queue: asyncio.Queue[bytes | None] = asyncio.Queue(maxsize)
        self.overflowed = False

    def deliver(self, message: bytes | None) -> None:
        if self.overflowed:
            return
        try:
            self._queue.put_nowait(message)
        except asyncio.QueueFull:
            # A full queue means the reader is not waiting; its next read raises Overflow.
            self.overflowed = True

    def __aiter__(self) -> Listener:
        return self

    async def __anext__(self) -> bytes | None:
        message = await self._queue.get()
        if self.overflowed:
            raise Overflow(self.topic)
        return message

    def pending(self) -> int:
        return self._queue.qsize()


class Broker:
    """Publishes through a backend and fans each upstream message out to local listeners."""

    def __init__(self, backend: Backend, *, listener_buffer: int = 1024) -> None:
        self.backend = backend
        self.listener_buffer = listener_buffer
        self._listeners: dict[str, set[Listener]] = {}
        self._lock = asyncio.Lock()
        self._reader: asyncio.Task[None] | None = None

    @property
    def state(self) -> str:
        return self.backend.state

    async def connect(self) -> None:
        await self.backend.connect()
        self._reader = asyncio.create_task(self._read(), name="broker-reader")

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
            self._reader = None
        await self.backend.disconnect()
        self._listeners.clear()

    async def publish(self, topic: str, message: bytes) -> None:
        await self.backend.publish(topic, message)

    async def publish_many(self, messages: list[tuple[str, bytes]]) -> None:
        await self.backend.publish_many(messages)

    @contextlib.asynccontextmanager
    async def subscribe(self, topic: str, *, buffer: int | None = None) -> AsyncIterator[Listener]:
        """Listen to a topic for the duration of the block. Subscribed on entry, before replay."""
        listener = Listener(topic, buffer or self.listener_buffer)
        async with self._lock:
            listeners = self._listeners.setdefault(topic, set())
            if not listeners:
                await self.backend.subscribe(topic)
            listeners.add(listener)
        try:
            yield listener
        finally:
            async with self._lock:
                listeners = self._listeners.get(topic, set())
                listeners.discard(listener)
                if not listeners:
                    self._listeners.pop(topic, None)
                    with contextlib.suppress(Exception):
                        await self.backend.unsubscribe(topic)

    def listener_count(self, topic: str | None = None) -> int:
        if topic is not None:
            return len(self._listeners.get(topic, ()))
        return sum(len(group) for group in self._listeners.values())

    async def _read(self) -> None:
        while True:
            topic, message = await self.backend.next_published()
            if message is GAP and topic == "*":
                for group in list(self._listeners.values()):
                    for listener in list(group):
                        listener.deliver(GAP)
                continue
            for listener in list(self._listeners.get(topic, ())):
                listener.deliver(message)
