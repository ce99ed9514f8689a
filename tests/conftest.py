"""Shared fixtures: a migrated database per backend (SQLite and PostgreSQL), a clean slate
per test, users with tokens, and an HTTP client on the ASGI app."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from tortoise.connection import get_connection

from app import db
from app.api.app import create_app
from app.broker import create_broker, get_broker, set_broker
from app.config import Settings, load_settings
from app.identity import service as identity
from app.identity.models import Role
from app.identity.policy import Principal
from app.statuspage.cache import public_cache
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
    settings = load_settings(database_url=url, db_pool_size=20)
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
        await connection.execute_script(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
    else:
        await connection.execute_script("".join(f"DELETE FROM {t};" for t in tables) + "DELETE FROM sqlite_sequence;")
    public_cache.invalidate()  # the tables changed under the status page's in-process cache


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
