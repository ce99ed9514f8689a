"""Database configuration, connection lifecycle and migrations (Tortoise's own)."""

from __future__ import annotations

from collections.abc import Awaitable, Sequence
from typing import Any, TypeVar

import asyncpg  # type: ignore[import-untyped]
from tortoise import Tortoise
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.connection import get_connection
from tortoise.migrations.executor import MigrationExecutor
from tortoise.models import Model

from app.config import Settings, get_settings

_T = TypeVar("_T")

# One Tortoise app per domain, each with its own models and migrations package.
APPS: dict[str, str] = {
    "identity": "app.identity",
    "catalog": "app.catalog",
    "incidents": "app.incidents",
    "audit": "app.audit",
    "alerts": "app.alerts",
    "statuspage": "app.statuspage",
    "postmortems": "app.postmortems",
    "jobs": "app.jobs",
}


def tortoise_config(database_url: str, *, pool_size: int = 10) -> dict[str, Any]:
    connection: dict[str, Any] | str = database_url
    if database_url.startswith("postgres://"):
        from tortoise.backends.base.config_generator import expand_db_url

        connection = expand_db_url(database_url)
        connection["credentials"].setdefault("minsize", 1)
        connection["credentials"].setdefault("maxsize", pool_size)
        connection["credentials"]["connection_class"] = SettledConnection
        connection["credentials"]["reset"] = _reset_if_interrupted
    return {
        "connections": {"default": connection},
        "apps": {
            label: {
                "models": [f"{package}.models"],
                "migrations": f"{package}.migrations",
                "default_connection": "default",
            }
            for label, package in APPS.items()
        },
        "use_tz": True,
        "timezone": "UTC",
    }


class SettledConnection(asyncpg.Connection):  # type: ignore[misc]
    """asyncpg's connection, knowing whether its last statement ran to its end.

    asyncpg runs a statement with arguments in two exchanges: Parse/Describe/Flush, then
    Bind/Execute/Sync. A task cancelled between the two (or a value that fails to encode for the
    second) never sends the Sync, and the server keeps the statement's implicit transaction, and
    the locks its parse took, open ("active", waiting on ClientRead) until the connection's next
    statement. The client still believes the connection idle, so the pool's rollback of a
    transaction left open does not see it. `interrupted` stays True from the start of a statement
    until it returns normally."""

    __slots__ = ("interrupted",)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.interrupted = False

    async def _settled(self, statement: Awaitable[_T]) -> _T:
        self.interrupted = True
        result = await statement
        self.interrupted = False
        return result

    async def execute(self, *args: Any, **kwargs: Any) -> Any:
        return await self._settled(super().execute(*args, **kwargs))

    async def executemany(self, *args: Any, **kwargs: Any) -> Any:
        return await self._settled(super().executemany(*args, **kwargs))

    async def fetch(self, *args: Any, **kwargs: Any) -> Any:
        return await self._settled(super().fetch(*args, **kwargs))

    async def fetchval(self, *args: Any, **kwargs: Any) -> Any:
        return await self._settled(super().fetchval(*args, **kwargs))

    async def fetchrow(self, *args: Any, **kwargs: Any) -> Any:
        return await self._settled(super().fetchrow(*args, **kwargs))

    async def fetchmany(self, *args: Any, **kwargs: Any) -> Any:
        return await self._settled(super().fetchmany(*args, **kwargs))


async def _reset_if_interrupted(connection: Any) -> None:
    """Reset a connection going back to the pool with a round trip only when it needs one.

    The pool rolls back a transaction left open before calling this. asyncpg's default reset
    then runs `pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL`, undoing session state
    the application never sets, at the cost of one more round trip for every query outside a
    transaction and at the end of every transaction (before its events are published). That
    round trip is needed only after an interrupted statement: any complete one ends the
    implicit transaction the interrupted one left on the server."""
    if getattr(connection, "interrupted", True):
        await connection.reset()


def _settings_config(settings: Settings | None = None) -> dict[str, Any]:
    settings = settings or get_settings()
    return tortoise_config(settings.effective_database_url, pool_size=settings.db_pool_size)


def __getattr__(name: str) -> Any:
    # `tortoise makemigrations` reads app.db.TORTOISE_ORM (see pyproject.toml).
    if name == "TORTOISE_ORM":
        return _settings_config()
    raise AttributeError(name)


async def init(settings: Settings, *, global_fallback: bool = True) -> None:
    """Open the ORM (connections are lazy); visible to every task of the process."""
    if settings.is_sqlite:
        settings.data_dir.mkdir(parents=True, exist_ok=True) if _uses_data_dir(settings) else None
    await Tortoise.init(config=_settings_config(settings), _enable_global_fallback=global_fallback)
    from app import wiring

    wiring.install(settings)


def _uses_data_dir(settings: Settings) -> bool:
    return settings.database_url is None


async def close() -> None:
    await Tortoise.close_connections()
    _reset_global_context()


def _reset_global_context() -> None:
    import tortoise.context as tortoise_context
    from tortoise.backends.base.executor import EXECUTOR_CACHE

    tortoise_context._global_context = None
    # Statements are cached per connection name; a later init may use another dialect.
    EXECUTOR_CACHE.clear()


async def fetch_rows(model: type[Model], sql: str, params: Sequence[Any]) -> list[dict[str, Any]]:
    """Run a read written with `{}` placeholders on the default connection; values come back
    converted by `model`'s fields, as Tortoise would convert them, without building instances.
    For hot batch reads whose shape the query builder makes slow (many OR-ed ranges)."""
    connection = get_connection("default")
    if connection.capabilities.dialect == "postgres":
        numbered = iter(range(1, len(params) + 1))
        sql = sql.replace("{}", "%s") % tuple(f"${next(numbered)}" for _ in params)
    else:
        sql = sql.replace("{}", "?")
    rows = await connection.execute_query_dict(sql, list(params))
    fields = model._meta.fields_map
    converters = {name: fields[name].to_python_value for name in (rows[0] if rows else {}) if name in fields}
    return [
        {name: converters[name](value) if name in converters else value for name, value in row.items()} for row in rows
    ]


_MAX_PARAMETERS = 30_000  # below SQLite's and PostgreSQL's limits on bound parameters


async def insert_returning(
    model: type[Model], instances: Sequence[Model], connection: BaseDBAsyncClient, returning: Sequence[str]
) -> list[dict[str, Any]]:
    """Insert `instances` with multi-row INSERT statements and return the `returning` columns of
    each new row (in no particular order). One statement per few thousand rows, where
    `bulk_create` runs one per row on PostgreSQL and returns nothing. Values are converted by
    the model's fields, as Tortoise converts them."""
    meta = model._meta
    names = [name for name in meta.fields_db_projection if not meta.fields_map[name].generated]
    columns = ", ".join(f'"{meta.fields_db_projection[name]}"' for name in names)
    wanted = ", ".join(f'"{column}"' for column in returning)
    postgres = connection.capabilities.dialect == "postgres"
    per_statement = max(1, _MAX_PARAMETERS // len(names))
    found: list[dict[str, Any]] = []
    for start in range(0, len(instances), per_statement):
        batch = instances[start : start + per_statement]
        values = [meta.fields_map[name].to_db_value(getattr(item, name), item) for item in batch for name in names]
        if postgres:
            numbers = iter(range(1, len(values) + 1))
            rows = ", ".join("(" + ", ".join(f"${next(numbers)}" for _ in names) + ")" for _ in batch)
        else:
            rows = ", ".join("(" + ", ".join("?" for _ in names) + ")" for _ in batch)
        sql = f'INSERT INTO "{meta.db_table}" ({columns}) VALUES {rows} RETURNING {wanted}'
        found.extend(await connection.execute_query_dict(sql, values))
    return found


async def pending_migrations(apps: Sequence[str] | None = None) -> list[str]:
    """Names of the migrations not yet applied, as `app.name`."""
    executor = MigrationExecutor(get_connection("default"), _apps_config(apps))
    plan = await executor.plan(None)
    return [f"{step.migration.app_label}.{step.migration.name}" for step in plan if not step.backward]


async def migrate(apps: Sequence[str] | None = None) -> list[str]:
    """Apply every pending migration; return what was applied."""
    pending = await pending_migrations(apps)
    executor = MigrationExecutor(get_connection("default"), _apps_config(apps))
    await executor.migrate(None)
    return pending


def _apps_config(apps: Sequence[str] | None) -> dict[str, dict[str, Any]]:
    config = tortoise_config("sqlite://:memory:")["apps"]
    return {label: config[label] for label in (apps or config)}
