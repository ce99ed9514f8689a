"""Typed domain events, published to the broker only after their transaction commits."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

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


@dataclass
class Outbox:
    """Events gathered inside a transaction; sent once it has committed."""

    connection: BaseDBAsyncClient | None = None
    messages: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    committed: list[Callable[[], None]] = field(default_factory=list)

    def add(self, topic: str, payload: dict[str, Any]) -> None:
        self.messages.append((topic, payload))

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Run `callback` in this process once the transaction has committed (before publishing)."""
        self.committed.append(callback)


def access_changed(outbox: Outbox, incident_id: int, user_id: int | None) -> None:
    """After commit, tell every process to re-check `user_id`'s (None: everyone's) access."""
    outbox.add(ACCESS_TOPIC, {"type": "access", "incidentId": incident_id, "userId": user_id})


@contextlib.asynccontextmanager
async def unit_of_work() -> AsyncIterator[Outbox]:
    """A database transaction whose events are published after, and only after, it commits."""
    outbox = Outbox()
    async with _transaction() as connection:
        outbox.connection = connection
        yield outbox
    for callback in outbox.committed:
        callback()
    await publish_all(outbox.messages)


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


async def publish_all(messages: list[tuple[str, dict[str, Any]]]) -> None:
    broker = get_broker()
    if broker is None or not messages:
        return
    try:
        await broker.publish_many([(topic, orjson.dumps(payload)) for topic, payload in messages])
    except Exception:  # the change is committed; subscribers backfill from the database
        log.exception("publishing %d messages failed", len(messages))
