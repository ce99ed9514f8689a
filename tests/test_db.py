"""The PostgreSQL pool: a connection goes back without a reset round trip, and still clean,
even when the statement it ran was cancelled half-way; and the tests' clean slate fails, naming
who is in its way, rather than waiting forever behind a transaction left open."""

from __future__ import annotations

import uuid

import asyncpg
import pytest

from app import db
from tests import conftest
from tests.cancellation import cancel_at_every_step
from tests.conftest import Backend, wipe
from tests.services import require_postgres


def _dsn(url: str) -> str:
    return url.replace("postgres://", "postgresql://", 1)


async def test_a_transaction_left_open_is_rolled_back_when_its_connection_returns() -> None:
    url = require_postgres()
    reset = db.tortoise_config(url)["connections"]["default"]["credentials"]["reset"]
    pool = await asyncpg.create_pool(
        url.replace("postgres://", "postgresql://", 1), min_size=1, max_size=1, reset=reset
    )
    try:
        async with pool.acquire() as connection:
            server_pid = connection.get_server_pid()
            await connection.execute("CREATE TEMPORARY TABLE abandoned (n int)")
            await connection.execute("BEGIN")
            await connection.execute("INSERT INTO abandoned VALUES (1)")
        async with pool.acquire() as connection:  # the pool's only connection, back from the pool
            assert connection.get_server_pid() == server_pid
            assert not connection.is_in_transaction()
            assert await connection.fetchval("SELECT count(*) FROM abandoned") == 0
    finally:
        await pool.close()


async def test_a_statement_cancelled_anywhere_leaves_no_transaction_on_the_server() -> None:
    """A statement with arguments is two exchanges (Parse/Describe/Flush, then Bind/Execute/Sync).
    A task cancelled between them left the server in the first one's implicit transaction, holding
    the locks of the tables it names, on a connection back in the pool as if idle."""
    url = require_postgres()
    credentials = db.tortoise_config(url)["connections"]["default"]["credentials"]
    name = f"firebreak-test-{uuid.uuid4().hex[:10]}"
    pool = await asyncpg.create_pool(
        _dsn(url),
        min_size=2,
        max_size=2,
        reset=credentials["reset"],
        connection_class=credentials["connection_class"],
        server_settings={"application_name": name},
    )
    monitor = await asyncpg.connect(_dsn(url))

    async def statement() -> None:
        async with pool.acquire() as connection:
            await connection.fetchval("SELECT count(*) FROM pg_class WHERE relname = $1", "pg_class")

    async def nothing_left_open(step: int) -> None:
        sessions = await monitor.fetch(
            "SELECT pid, state, wait_event, query FROM pg_stat_activity"
            " WHERE application_name = $1 AND xact_start IS NOT NULL",
            name,
        )
        assert [dict(s) for s in sessions] == [], f"cancelled after await {step}"
        assert pool.get_idle_size() == pool.get_size()

    try:
        assert await cancel_at_every_step(statement, nothing_left_open) >= 2  # both exchanges
    finally:
        await monitor.close()
        await pool.close()


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
async def test_emptying_the_tables_names_the_transaction_in_its_way(
    clean_db: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A transaction left open fails the next test's clean slate, naming it, instead of hanging."""
    name = f"firebreak-test-{uuid.uuid4().hex[:10]}"
    blocker = await asyncpg.connect(_dsn(clean_db.url), server_settings={"application_name": name})
    try:
        await blocker.execute("BEGIN")
        await blocker.execute("SELECT count(*) FROM incidents")
        monkeypatch.setattr(conftest, "TRUNCATE_LOCK_TIMEOUT", "200ms")
        with pytest.raises(pytest.fail.Exception) as failed:
            await wipe(clean_db)
        assert name in str(failed.value) and "SELECT count(*) FROM incidents" in str(failed.value)
        assert "idle in transaction" in str(failed.value)
        await blocker.execute("ROLLBACK")
        await wipe(clean_db)  # nothing in the way any more
    finally:
        await blocker.close()
