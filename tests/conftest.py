"""Shared fixtures: a migrated database per backend (SQLite and PostgreSQL), a clean slate
per test, users with tokens, and an HTTP client on the ASGI app."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from tortoise.connection import get_connection
from tortoise.transactions import in_transaction

from app import db
from app.api.app import create_app
from app.broker import create_broker, get_broker, set_broker
from app.config import Settings, load_settings
from app.identity import service as identity
from app.identity.models import Role
from app.identity.policy import Principal
from app.statuspage.cache import public_cache
from tests.live import application_named
from tests.services import require_postgres

os.environ.setdefault("FIREBREAK_LOG_LEVEL", "WARNING")


@dataclass
class Backend:
    name: str
    url: str
    settings: Settings

    @property
    def is_postgres(self) -> bool:
        return self.name == "postgres"


async def _create_pg_database(base_url: str) -> tuple[str, str]:
    name = f"firebreak_test_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(base_url.replace("postgres://", "postgresql://", 1))
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    return base_url.rsplit("/", 1)[0] + "/" + name, name


async def _drop_pg_database(base_url: str, name: str) -> None:
    admin = await asyncpg.connect(base_url.replace("postgres://", "postgresql://", 1))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@pytest.fixture(scope="session", params=["sqlite", "postgres"])
async def backend(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Backend]:
    """A migrated database on each backend; every storage test runs on both."""
    pg_name = None
    if request.param == "postgres":
        base = require_postgres()
        url, pg_name = await _create_pg_database(base)
    else:
        url = f"sqlite://{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
    settings = load_settings(database_url=application_named(url, "firebreak-tests"), db_pool_size=20)
    await db.init(settings)
    await db.migrate()
    try:
        yield Backend(request.param, url, settings)
    finally:
        await db.close()
        if pg_name:
            await _drop_pg_database(require_postgres(), pg_name)


TABLES = (
    "timeline_events",
    "incident_roles",
    "incident_services",
    "incidents",
    "counters",
    "api_tokens",
    "users",
    "services",
)


@pytest.fixture
async def clean_db(backend: Backend) -> AsyncIterator[Backend]:
    """The backend with every table emptied before the test."""
    await wipe(backend)
    yield backend


async def wipe(backend: Backend) -> None:
    """Empty every table (for tests that need several clean slates, such as property tests)."""
    connection = get_connection("default")
    tables = await _app_tables(backend)
    if backend.is_postgres:
        await _truncate(tables)
    else:
        await connection.execute_script("".join(f"DELETE FROM {t};" for t in tables) + "DELETE FROM sqlite_sequence;")
    public_cache.invalidate()  # the tables changed under the status page's in-process cache


# TRUNCATE takes an exclusive lock on every table: a transaction some process left open (a
# connection leaked "idle in transaction", a statement left half-sent) would make it wait
# forever. It waits this long, then the test fails and names the sessions that held it up.
TRUNCATE_LOCK_TIMEOUT = "15s"
TRUNCATE_STATEMENT_TIMEOUT = "60s"


async def _truncate(tables: list[str]) -> None:
    try:
        async with in_transaction() as connection:
            await connection.execute_script(
                f"SET LOCAL lock_timeout = '{TRUNCATE_LOCK_TIMEOUT}';"
                f"SET LOCAL statement_timeout = '{TRUNCATE_STATEMENT_TIMEOUT}';"
                f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"
            )
    except Exception as error:
        if not isinstance(error.__cause__ or error, (asyncpg.LockNotAvailableError, asyncpg.QueryCanceledError)):
            raise
        held = "\n".join(await open_transactions()) or "(none left)"
        pytest.fail(
            f"emptying the tables timed out ({error}); open transactions on the test database:\n{held}", pytrace=False
        )


OPEN_TRANSACTIONS = (
    "SELECT pid, application_name, client_port, state, now() - xact_start AS age, wait_event_type, wait_event,"
    " left(query, 500) AS query FROM pg_stat_activity"
    " WHERE datname = current_database() AND pid <> pg_backend_pid() AND xact_start IS NOT NULL ORDER BY xact_start"
)


async def open_transactions() -> list[str]:
    """Every other session of the current database inside a transaction: who it is, since when,
    what it waits for and its last statement."""
    return describe_sessions(await get_connection("default").execute_query_dict(OPEN_TRANSACTIONS))


def describe_sessions(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    return [
        f"pid {r['pid']} ({r['application_name'] or '?'}, port {r['client_port']}): {r['state']} for {r['age']},"
        f" waiting on {r['wait_event_type']}/{r['wait_event']}; last statement: {r['query']}"
        for r in rows
    ]


async def _app_tables(backend: Backend) -> list[str]:
    connection = get_connection("default")
    if backend.is_postgres:
        rows = await connection.execute_query_dict(
            "SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public'"
        )
    else:
        rows = await connection.execute_query_dict("SELECT name FROM sqlite_master WHERE type = 'table'")
    return [r["name"] for r in rows if not r["name"].startswith(("tortoise", "sqlite_"))]


@pytest.fixture
async def broker() -> AsyncIterator[Any]:
    """An in-process broker installed as the app's broker."""
    previous = get_broker()
    instance = create_broker(None)
    await instance.connect()
    set_broker(instance)
    yield instance
    set_broker(previous)
    await instance.close()


@dataclass
class Actor:
    principal: Principal
    token: str
    user_id: int
    global_id: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


async def make_actor(role: Role, email: str | None = None) -> Actor:
    from app.ids import to_global_id

    user = await identity.create_user(
        email=email or f"{role.value.lower()}-{uuid.uuid4().hex[:6]}@example.com",
        name=f"{role.value.title()} User",
        role=role,
    )
    issued = await identity.create_token(user_id=user.id, name="test")
    return Actor(
        Principal(user_id=user.id, role=role, token_id=issued.token.id),
        issued.secret,
        user.id,
        to_global_id("User", user.id),
    )


@pytest.fixture
async def admin(clean_db: Backend) -> Actor:
    return await make_actor(Role.ADMIN, "admin@example.com")


@pytest.fixture
async def responder(clean_db: Backend) -> Actor:
    return await make_actor(Role.RESPONDER, "responder@example.com")


@pytest.fixture
async def viewer(clean_db: Backend) -> Actor:
    return await make_actor(Role.VIEWER, "viewer@example.com")


class GraphQLClient:
    """Posts GraphQL documents to the ASGI app over in-memory HTTP."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http

    async def post(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        actor: Actor | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        all_headers = {**(actor.headers if actor else {}), **(headers or {})}
        return await self.http.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=all_headers
        )

    async def execute(
        self, query: str, variables: dict[str, Any] | None = None, *, actor: Actor | None = None
    ) -> dict[str, Any]:
        """The `data` of a successful response; fails the test on transport or GraphQL errors."""
        response = await self.post(query, variables, actor=actor)
        assert response.status_code == 200, response.text
        body = response.json()
        assert "errors" not in body, body["errors"]
        return body["data"]


@pytest.fixture
async def gql(clean_db: Backend, broker: Any) -> AsyncIterator[GraphQLClient]:
    app = create_app(clean_db.settings, manage_database=False)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield GraphQLClient(http)


ROOT = Path(__file__).resolve().parents[1]
