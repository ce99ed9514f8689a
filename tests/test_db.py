"""The PostgreSQL pool: a connection goes back without a reset round trip, and still clean; and
the tests' clean slate fails, naming who is in its way, rather than waiting forever behind a
transaction left open."""

from __future__ import annotations

import uuid

import asyncpg
import pytest

from app import db
from tests import conftest
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
