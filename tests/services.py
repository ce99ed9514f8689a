"""Reaching the real PostgreSQL and Redis the tests use; a missing one skips with a reason,
or fails when FIREBREAK_TEST_REQUIRE_SERVICES=1 (as `.ci/run` sets)."""

from __future__ import annotations

import os
import socket
from urllib.parse import urlsplit

import pytest

POSTGRES_URL = os.environ.get("FIREBREAK_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("FIREBREAK_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def services_required() -> bool:
    return os.environ.get("FIREBREAK_TEST_REQUIRE_SERVICES") == "1"


def unavailable(reason: str) -> None:
    """Skip visibly, or fail when the services are required."""
    if services_required():
        pytest.fail(f"required service unavailable: {reason}", pytrace=False)
    pytest.skip(reason)


def reachable(url: str) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 0), timeout=1.0):
            return True
    except OSError:
        return False


def require_postgres() -> str:
    if not reachable(POSTGRES_URL):
        unavailable(f"PostgreSQL is not reachable at {POSTGRES_URL}")
    return POSTGRES_URL


def require_redis() -> str:
    if not reachable(REDIS_URL):
        unavailable(f"Redis is not reachable at {REDIS_URL}")
    return REDIS_URL


async def kill_pubsub_connections(prefix: str) -> int:
    """Drop the Redis pub/sub connections of the brokers using `prefix` (and no one else's)."""
    import redis.asyncio as aioredis

    client = aioredis.Redis.from_url(REDIS_URL)
    try:
        killed = 0
        for entry in await client.client_list(_type="pubsub"):
            if entry.get("name") == f"{prefix}broker":
                await client.client_kill_filter(_id=entry["id"])
                killed += 1
        return killed
    finally:
        await client.aclose()
