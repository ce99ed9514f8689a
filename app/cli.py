"""The `firebreak` command: serve, worker, migrate, demo, users, tokens, export-schema."""

from __future__ import annotations

import asyncio
import functools
import re
import sys
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import click

from app import clock, db
from app.config import ConfigError, Settings, configure_logging, load_settings
from app.errors import DomainError

P = ParamSpec("P")
R = TypeVar("R")


class CommandError(Exception):
    """A failure to report as one line on stderr."""


def fail_cleanly(command: Callable[P, R]) -> Callable[P, R]:
    """Any failure becomes one clear line on stderr and a non-zero exit."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except (ConfigError, CommandError) as error:
            _die(str(error))
        except DomainError as error:
            _die(f"{error.field}: {error.message}" if error.field else error.message)
        except (OSError, ConnectionError) as error:
            _die(f"cannot reach the database or broker: {error}")
        except Exception as error:  # noqa: BLE001
            name = type(error).__name__
            if "Connection" in name or "Operational" in name:
                _die(f"cannot reach the database: {error}")
            raise

    return wrapper


def _die(message: str) -> None:
    click.echo(f"error: {message}".splitlines()[0], err=True)
    sys.exit(1)


def _settings(**overrides: Any) -> Settings:
    return load_settings(**{k: v for k, v in overrides.items() if v is not None})


def _run(settings: Settings, work: Callable[[], Awaitable[R]]) -> R:
    async def main() -> R:
        await db.init(settings)
        try:
            return await work()
        finally:
            await db.close()

    return asyncio.run(main())


async def _require_migrated() -> None:
    pending = await db.pending_migrations()
    if pending:
        raise CommandError(f"the database has {len(pending)} pending migrations; run `firebreak migrate` first")


@click.group()
def main() -> None:
    """Firebreak: incident management with a GraphQL API."""


@main.command()
@click.option("--host", help="Interface to bind (FIREBREAK_HOST, default 127.0.0.1).")
@click.option("--port", type=int, help="Port (FIREBREAK_PORT, default 8000).")
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    envvar="FIREBREAK_WORKERS",
    help="Worker processes (FIREBREAK_WORKERS).",
)
@fail_cleanly
def serve(host: str | None, port: int | None, workers: int) -> None:
    """Serve the API. Refuses to start while migrations are pending."""
    settings = _settings(host=host, port=port)
    _run(settings, _require_migrated)
    _serve(settings, workers=workers)


def _serve(settings: Settings, *, workers: int = 1, env: dict[str, str] | None = None) -> None:
    import os

    import uvicorn

    configure_logging(settings)
    # Workers re-read settings from the environment: pass command-line overrides on.
    os.environ["FIREBREAK_HOST"] = settings.host
    os.environ["FIREBREAK_PORT"] = str(settings.port)
    os.environ.update(env or {})
    uvicorn.run(
        "app.main:app_factory",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=workers,
        log_level=settings.log_level.lower(),
        proxy_headers=True,
        ws="app.api.websocket_protocol:GoingAwayProtocol",
        ws_ping_interval=settings.ws_ping_interval,
        ws_ping_timeout=settings.ws_ping_interval,
        ws_per_message_deflate=False,
        timeout_graceful_shutdown=10,
    )


@main.command()
@click.option(
    "--concurrency",
    type=click.IntRange(1, 1000),
    help="Jobs run at once (FIREBREAK_WORKER_CONCURRENCY, default 10).",
)
@fail_cleanly
def worker(concurrency: int | None) -> None:
    """Run background jobs (escalations, deliveries, periodic tasks) until SIGTERM or Ctrl-C."""
    from app.jobs.process import PendingMigrations, run_worker

    settings = _settings(worker_concurrency=concurrency)
    configure_logging(settings)
    try:
        asyncio.run(run_worker(settings))
    except PendingMigrations as error:
        raise CommandError(str(error)) from None


@main.command()
@fail_cleanly
def migrate() -> None:
    """Apply pending database migrations."""
    settings = _settings()
    applied = _run(settings, db.migrate)
    click.echo(f"applied {len(applied)} migrations" + (": " + ", ".join(applied) if applied else ""))


@main.command()
@click.option("--host", help="Interface to bind.")
@click.option("--port", type=int, help="Port.")
@click.option("--no-serve", is_flag=True, help="Seed and print the token, but do not start the server.")
@fail_cleanly
def demo(host: str | None, port: int | None, no_serve: bool) -> None:
    """Migrate, seed a demo workspace when the database is empty, print a token, and serve."""
    from app import demo as demo_data

    settings = _settings(host=host, port=port, env="development")

    async def prepare() -> tuple[bool, str]:
        await db.migrate()
        seeded = await demo_data.seed_if_empty()
        return seeded, await demo_data.demo_token()

    seeded, token = _run(settings, prepare)
    click.echo(("Seeded a demo workspace. " if seeded else "") + f"Database: {settings.effective_database_url}")
    click.echo(f"GraphQL endpoint: {settings.base_url}/graphql")
    click.echo(f"Status page:      {settings.base_url}/status")
    click.echo(f"Admin token:      {token}")
    click.echo(
        f"Try: curl -s {settings.base_url}/graphql -H 'Authorization: Bearer {token}' "
        "-H 'Content-Type: application/json' -d '{\"query\":\"{ viewer { name role } }\"}'"
    )
    sys.stdout.flush()
    if not no_serve:
        _serve(settings, env={"FIREBREAK_ENV": "development"})


@main.group()
def users() -> None:
    """Manage users."""


@users.command("create")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--role", type=click.Choice(["VIEWER", "RESPONDER", "ADMIN"], case_sensitive=False), required=True)
@fail_cleanly
def users_create(email: str, name: str, role: str) -> None:
    """Create a user; prints only its id."""
    from app.identity import service as identity
    from app.identity.models import Role
    from app.ids import to_global_id

    settings = _settings()

    async def work() -> str:
        await _require_migrated()
        user = await identity.create_user(email=email, name=name, role=Role(role.upper()))
        return to_global_id("User", user.id)

    click.echo(_run(settings, work))


_DURATION = re.compile(r"^(\d{1,6})([mhdw])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_duration(value: str) -> timedelta:
    match = _DURATION.match(value.strip())
    if not match:
        raise CommandError(f"--expires-in: {value!r} is not a duration like 90m, 12h, 30d or 4w")
    amount, unit = match.groups()
    if int(amount) == 0:
        raise CommandError("--expires-in: must be greater than zero")
    return timedelta(**{_UNITS[unit]: int(amount)})


@main.group()
def tokens() -> None:
    """Manage API tokens."""


@tokens.command("create")
@click.option("--email", required=True, help="The user the token acts as.")
@click.option("--name", default="cli", show_default=True)
@click.option("--expires-in", help="Lifetime such as 90m, 12h, 30d or 4w (default: no expiry).")
@click.option("--scopes", help="Comma-separated subset of read,write,admin (default: all; the role still caps them).")
@fail_cleanly
def tokens_create(email: str, name: str, expires_in: str | None, scopes: str | None) -> None:
    """Create a token; prints only the secret (shown once)."""
    from app.identity import service as identity

    expires_at = clock.now() + parse_duration(expires_in) if expires_in else None
    settings = _settings()

    async def work() -> str:
        await _require_migrated()
        user = await identity.user_by_email(email)
        chosen = scopes.split(",") if scopes is not None else None
        return (await identity.create_token(user_id=user.id, name=name, expires_at=expires_at, scopes=chosen)).secret

    click.echo(_run(settings, work))


@main.command("export-schema")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), help="Write here instead of stdout.")
@fail_cleanly
def export_schema(output: Path | None) -> None:
    """Print the GraphQL schema (SDL) generated from the code."""
    from app.api.graphql.schema import export_sdl

    sdl = export_sdl()
    if output is None:
        click.echo(sdl, nl=False)
    else:
        output.write_text(sdl, encoding="utf-8")


if __name__ == "__main__":
    main()
