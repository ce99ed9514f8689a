"""The PostgreSQL pool: a connection goes back without a reset round trip, and still clean."""

from __future__ import annotations

import asyncpg

from app import db
from tests.services import require_postgres


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
