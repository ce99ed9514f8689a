"""Shared subscription streams: one execution per distinct (document, variables, audience),
its serialized result sent to every subscriber of the group."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable
from typing import TYPE_CHECKING, Any

from graphql import ExecutionResult

from app.api.graphql.ws.protocols import SLOW_CONSUMER, SLOW_CONSUMER_REASON, dumps
from app.broker import Overflow
from app.errors import DomainError

if TYPE_CHECKING:
    from app.api.graphql.ws.connection import Connection

log = logging.getLogger(__name__)

Start = Callable[[], Awaitable[AsyncIterator[ExecutionResult] | ExecutionResult]]
Format = Callable[[ExecutionResult], dict[str, Any]]


class Subscriber:
    __slots__ = ("connection", "operation_id", "prefix", "suffix")

    def __init__(self, connection: Connection, operation_id: str) -> None:
        self.connection = connection
        self.operation_id = operation_id
        self.prefix, self.suffix = connection.wire.next_frame(operation_id)


class Group:
    def __init__(self, fanout: Fanout, key: Hashable, start: Start, format_result: Format) -> None:
        self.fanout = fanout
        self.key = key
        self.subscribers: dict[tuple[int, str], Subscriber] = {}
        self._start = start
        self._format = format_result
        self.task: asyncio.Task[None] | None = None

    def add(self, subscriber: Subscriber) -> None:
        self.subscribers[(id(subscriber.connection), subscriber.operation_id)] = subscriber
        if self.task is None:
            self.task = asyncio.create_task(self._run(), name=f"subscription-group-{id(self)}")

    def remove(self, subscriber: Subscriber) -> None:
        self.subscribers.pop((id(subscriber.connection), subscriber.operation_id), None)
        if not self.subscribers:
            self.fanout.groups.pop(self.key, None)
            if self.task is not None and self.task is not asyncio.current_task():
                self.task.cancel()

    async def _run(self) -> None:
        stream: AsyncIterator[ExecutionResult] | ExecutionResult | None = None
        try:
            stream = await self._start()
            if isinstance(stream, ExecutionResult):  # refused before it started
                self._finish(error=self._format(stream))
                return
            async for result in stream:
                payload = dumps(self._format(result))
                for subscriber in list(self.subscribers.values()):
                    subscriber.connection.deliver(subscriber.prefix + payload + subscriber.suffix)
            self._finish()
        except Overflow:
            # This stream fell behind the broker: its subscribers resume from storage.
            for subscriber in list(self.subscribers.values()):
                subscriber.connection.close_soon(SLOW_CONSUMER, SLOW_CONSUMER_REASON, discard_pending=True)
            self._finish(notify=False)
        except asyncio.CancelledError:
            raise
        except DomainError as error:
            extensions = {"code": error.code.value, **({"field": error.field} if error.field else {})}
            self._finish(error={"errors": [{"message": error.message, "extensions": extensions}]})
        except Exception:  # noqa: BLE001 - one broken stream must not take others down
            log.exception("subscription stream failed")
            self._finish(error={"errors": [{"message": "Unexpected error", "extensions": {"code": "INTERNAL_SERVER_ERROR"}}]})
        finally:
            if stream is not None and hasattr(stream, "aclose"):
                with contextlib.suppress(Exception):
                    await stream.aclose()  # type: ignore[union-attr]
            if self.fanout.groups.get(self.key) is self:
                self.fanout.groups.pop(self.key, None)

    def _finish(self, *, error: dict[str, Any] | None = None, notify: bool = True) -> None:
        subscribers = list(self.subscribers.values())
        self.subscribers.clear()
        self.fanout.groups.pop(self.key, None)
        for subscriber in subscribers:
            connection = subscriber.connection
            connection.forget(subscriber.operation_id)
            if not notify:
                continue
            if error is not None:
                connection.deliver(connection.wire.error_message(subscriber.operation_id, error.get("errors", [])))
                if connection.wire.name == "graphql-ws":
                    connection.deliver(connection.wire.complete_message(subscriber.operation_id))
            else:
                connection.deliver(connection.wire.complete_message(subscriber.operation_id))


class Fanout:
    """The running groups of one process."""

    def __init__(self) -> None:
        self.groups: dict[Hashable, Group] = {}

    def join(self, key: Hashable, subscriber: Subscriber, start: Start, format_result: Format) -> Group:
        group = self.groups.get(key)
        if group is None:
            group = self.groups[key] = Group(self, key, start, format_result)
        group.add(subscriber)
        return group

    def subscriber_count(self) -> int:
        return sum(len(group.subscribers) for group in self.groups.values())
