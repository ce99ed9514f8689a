"""A task cancelled at any await point of a read or of a command (a websocket closed while its
stream checked access, a sibling root field failing, a timeout) gives its connection back and
leaves no transaction open: a leftover one holds locks that stall every later writer and
TRUNCATE."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Coroutine
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import pytest
from tortoise.backends.base.client import TransactionalDBClient
from tortoise.connection import get_connection

from app.events import unit_of_work
from app.incidents import queries, service
from app.incidents.enums import Severity
from app.incidents.models import Incident, TimelineEvent
from tests.cancellation import cancel_at_every_step
from tests.conftest import OPEN_TRANSACTIONS, Actor, Backend, describe_sessions

WRITE_TIMEOUT = 10.0


@pytest.fixture
async def monitor(clean_db: Backend) -> AsyncIterator[asyncpg.Connection | None]:
    """A connection of its own to watch the test database's sessions (a pooled one would be the
    connection just given back, and its first statement would end what the last one left open)."""
    if not clean_db.is_postgres:
        yield None
        return
    connection = await asyncpg.connect(clean_db.url.replace("postgres://", "postgresql://", 1))
    try:
        yield connection
    finally:
        await connection.close()


async def nothing_held(monitor: asyncpg.Connection | None, incident_id: int, step: int) -> None:
    """The task back on its own connection, no session in a transaction, every pooled connection
    back, and the incident writable."""
    inside = get_connection("default")
    assert not isinstance(inside, TransactionalDBClient), f"cancelled after await {step}: still in {inside!r}"
    if monitor is not None:
        assert describe_sessions(await monitor.fetch(OPEN_TRANSACTIONS)) == [], f"cancelled after await {step}"
        pool = get_connection("default")._pool
        assert pool.get_idle_size() == pool.get_size(), f"cancelled after await {step}"
    async with asyncio.timeout(WRITE_TIMEOUT), unit_of_work() as outbox:
        await Incident.filter(id=incident_id).using_db(outbox.connection).select_for_update().first()


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
async def test_an_access_check_cancelled_anywhere_leaves_nothing_open(
    monitor: asyncpg.Connection | None, responder: Actor, viewer: Actor
) -> None:
    incident = await service.declare_incident(
        actor=responder.principal, title="Checkout errors", severity=Severity.SEV2, private=True
    )

    async def check(step: int) -> None:
        await nothing_held(monitor, incident.id, step)

    steps = await cancel_at_every_step(lambda: queries.can_see(viewer.principal, incident.id), check)
    assert steps >= 2  # the statement's two exchanges with the server


async def test_a_command_cancelled_anywhere_leaves_nothing_open(
    monitor: asyncpg.Connection | None, responder: Actor
) -> None:
    incident = await service.declare_incident(
        actor=responder.principal, title="Checkout errors", severity=Severity.SEV2
    )

    async def check(step: int) -> None:
        await nothing_held(monitor, incident.id, step)

    def note() -> Coroutine[Any, Any, Any]:
        return service.add_note(actor=responder.principal, incident_id=incident.id, body="Rolled back the deploy")

    steps = await cancel_at_every_step(note, check)
    assert steps >= 4  # acquire, begin, lock, insert, commit: each one cancelled
    sequences = [event.sequence for event in await TimelineEvent.filter(incident_id=incident.id).order_by("sequence")]
    assert sequences == list(range(1, len(sequences) + 1))  # what committed kept the sequence contiguous
