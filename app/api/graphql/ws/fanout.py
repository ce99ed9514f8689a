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
from app.api.websocket_protocol import Message
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
        self.sent = False  # a late joiner of a stream that replays would miss what was sent

    def add(self, subscriber: Subscriber) -> None:
        self.subscribers[(id(subscriber.connection), subscriber.operation_id)] = subscriber
        if self.task is None:
            self.task = asyncio.create_task(self._run(), name=f"subscription-group-{id(self)}")

    def remove(self, subscriber: Subscriber) -> None:
        self.subscribers.pop((id(subscriber.connection), subscriber.operation_id), None)
        if not self.subscribers:
            self._unlist()
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
                self.sent = True
                messages: dict[str, Message] = {}  # by prefix: the same operation id gets the same bytes
                for subscriber in list(self.subscribers.values()):
                    message = messages.get(subscriber.prefix)
                    if message is None:
                        message = messages[subscriber.prefix] = Message(subscriber.prefix + payload + subscriber.suffix)
                    subscriber.connection.deliver(message)
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
            self._finish(
                error={"errors": [{"message": "Unexpected error", "extensions": {"code": "INTERNAL_SERVER_ERROR"}}]}
            )
        finally:
            if stream is not None and hasattr(stream, "aclose"):
                with contextlib.suppress(Exception):
                    await stream.aclose()  # type: ignore[union-attr]
            self._unlist()

    def _unlist(self) -> None:
        self.fanout.running.discard(self)
        if self.fanout.groups.get(self.key) is self:
            del self.fanout.groups[self.key]

    def _finish(self, *, error: dict[str, Any] | None = None, notify: bool = True) -> None:
        subscribers = list(self.subscribers.values())
        self.subscribers.clear()
        self._unlist()
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
        self.groups: dict[Hashable, Group] = {}  # the group a new subscriber of each key joins
        self.running: set[Group] = set()

    def join(
        self, key: Hashable, subscriber: Subscriber, start: Start, format_result: Format, *, replays: bool = False
    ) -> Group:
        """Add the subscriber to the running group of `key`, or start one. A stream that `replays`
        (begins with stored events or the current state) is joined only before it sent anything;
        after that a new group takes the key and the earlier one runs on for its subscribers."""
        group = self.groups.get(key)
        if group is None or (replays and group.sent):
            group = self.groups[key] = Group(self, key, start, format_result)
            self.running.add(group)
        group.add(subscriber)
        return group

    def subscriber_count(self) -> int:
        return sum(len(group.subscribers) for group in self.running)
