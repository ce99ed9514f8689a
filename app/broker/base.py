"""The broker interface: a backend moves bytes between processes; the Broker fans out locally."""

from __future__ import annotations

import abc


class Backend(abc.ABC):
    """Transport between processes. One upstream subscription per topic per process."""

    @abc.abstractmethod
    async def connect(self) -> None: ...

    @abc.abstractmethod
    async def disconnect(self) -> None: ...

    @abc.abstractmethod
    async def subscribe(self, topic: str) -> None: ...

    @abc.abstractmethod
    async def unsubscribe(self, topic: str) -> None: ...

    @abc.abstractmethod
    async def publish(self, topic: str, message: bytes) -> None: ...

    async def publish_many(self, messages: list[tuple[str, bytes]]) -> None:
        """Publish in order; backends with a network hop send them in one round trip."""
        for topic, message in messages:
            await self.publish(topic, message)

    @abc.abstractmethod
    async def next_published(self) -> tuple[str, bytes | None]:
        """The next (topic, message); a None message means "messages may have been lost"."""

    @property
    def state(self) -> str:
        """`connected`, `connecting` or `disconnected`."""
        return "connected"
