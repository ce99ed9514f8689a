"""In-process backend: the embedded default, and what tests of one process use."""

from __future__ import annotations

import asyncio

from app.broker.base import Backend


class MemoryBackend(Backend):
    def __init__(self) -> None:
        self._queue: asyncio.Queue[tuple[str, bytes | None]] = asyncio.Queue()
        self._topics: set[str] = set()

    async def connect(self) -> None:
        return None

    async def disconnect(self) -> None:
        self._topics.clear()

    async def subscribe(self, topic: str) -> None:
        self._topics.add(topic)

    async def unsubscribe(self, topic: str) -> None:
        self._topics.discard(topic)

    async def publish(self, topic: str, message: bytes) -> None:
        if topic in self._topics:
            self._queue.put_nowait((topic, message))

    async def next_published(self) -> tuple[str, bytes | None]:
        return await self._queue.get()
