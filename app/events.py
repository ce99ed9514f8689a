"""Domain events, published to the broker only after their transaction commits.

An event is a frozen dataclass that satisfies `Event`: its `topic` is the broker topic it goes
to, and `payload()` the JSON object subscribers receive (the wire contract; its `type` names
the kind of message). Each domain defines its events beside the code that emits them
(`incidents.timeline.TimelineAppended`, `alerts.feed.AlertsChanged`, …); a command adds them to
its unit of work's outbox, which publishes them once, and only once, the transaction commits:

    async with unit_of_work() as outbox:
        ...
        outbox.add(AccessChanged(incident.id, user_id=None))

Subscribers receive the payloads as JSON objects."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import orjson
from tortoise.backends.base.client import BaseDBAsyncClient, TransactionContext
from tortoise.connection import get_connections
from tortoise.transactions import in_transaction

from app.broker import get_broker

log = logging.getLogger(__name__)

FEED_TOPIC = "incidents:feed"
ACCESS_TOPIC = "access"  # who may see an incident changed: live subscriptions re-check


def incident_topic(incident_id: int) -> str:
    return f"incident:{incident_id}"


class Event(Protocol):
    """Something that happened, for the subscribers of one broker topic."""

    @property
    def topic(self) -> str: ...

    def payload(self) -> dict[str, object]: ...


@dataclass(frozen=True)
class AccessChanged:
    """Who may see an incident changed: every process re-checks `user_id`'s live subscriptions
    to it (None: everyone's)."""

    incident_id: int
    user_id: int | None

    @property
    def topic(self) -> str:
        return ACCESS_TOPIC

    def payload(self) -> dict[str, object]:
        return {"type": "access", "incidentId": self.incident_id, "userId": self.user_id}


@dataclass
class Outbox:
    """Events gathered inside a transaction; sent once it has committed."""

    connection: BaseDBAsyncClient | None = None
    events: list[Event] = field(default_factory=list)
    committed: list[Callable[[], object]] = field(default_factory=list)

    def add(self, event: Event) -> None:
        self.events.append(event)

    def after_commit(self, callback: Callable[[], object]) -> None:
        """Run `callback` in this process once the transaction has committed (before publishing)."""
        self.committed.append(callback)


@contextlib.asynccontextmanager
async def unit_of_work() -> AsyncIterator[Outbox]:
    """A database transaction whose events are published after, and only after, it commits."""
    outbox = Outbox()
    async with _transaction() as connection:
        outbox.connection = connection
        yield outbox
    for callback in outbox.committed:
        callback()
    await publish_all(outbox.events)


@contextlib.asynccontextmanager
async def _transaction() -> AsyncIterator[BaseDBAsyncClient]:
    """`in_transaction()`, safe against cancellation (and failure) while it begins and ends.

    A task cancelled during BEGIN (graphql-core cancels the sibling root fields of one that
    fails) would keep the connection it took: SQLite's only connection, or one of the pool's.
    Tortoise gives it back only on exit, which a failed `__aenter__` never reaches; it has
    taken the connection once it has set its context token.

    On exit, Tortoise restores the task's connection only after awaiting the pooled connection's
    release; a cancellation landing there (the release itself is shielded and completes) skipped
    that, and the task went on with a transaction client whose connection was back in the pool.
    """
    context = in_transaction()
    try:
        connection = await context.__aenter__()
    except BaseException as error:
        if hasattr(context, "token"):
            with contextlib.suppress(Exception):
                await _exit(context, error)
        raise
    try:
        yield connection
    except BaseException as error:
        await _exit(context, error)  # rolls back; Tortoise's exit never swallows the error
        raise
    else:
        await _exit(context, None)


async def _exit(context: TransactionContext, error: BaseException | None) -> None:
    """`context.__aexit__`, then the task's own connection back in place however that ended."""
    try:
        if error is None:
            await context.__aexit__(None, None, None)
        else:
            await context.__aexit__(type(error), error, error.__traceback__)
    finally:
        with contextlib.suppress(ValueError, RuntimeError):  # restored already: the exit ran to its end
            get_connections().reset(getattr(context, "token", None))


async def publish_all(events: Sequence[Event]) -> None:
    broker = get_broker()
    if broker is None or not events:
        return
    try:
        await broker.publish_many([(event.topic, orjson.dumps(event.payload())) for event in events])
    except Exception:  # the change is committed; subscribers backfill from the database
        log.exception("publishing %d messages failed", len(events))
