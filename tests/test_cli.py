"""The `firebreak` command as scripts use it: stdout carries only the result, failures are one line."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import ROOT
from tests.services import require_postgres

FIREBREAK = str(Path(sys.executable).with_name("firebreak"))


def run(*args: str, env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([FIREBREAK, *args], env=env, capture_output=True, text=True, timeout=timeout, cwd=ROOT)


@pytest.fixture
def sqlite_env(tmp_path: Path) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith("FIREBREAK_") and k not in ("DATABASE_URL", "REDIS_URL")
    }
    env["DATABASE_URL"] = f"sqlite://{tmp_path / 'cli.sqlite3'}"
    return env


@pytest.fixture
def postgres_env(sqlite_env: dict[str, str]) -> Iterator[dict[str, str]]:
    base = require_postgres()
    name = f"firebreak_cli_{uuid.uuid4().hex[:8]}"
    subprocess.run(
        [
            "psql",
            base.replace("postgres://", "postgresql://").rsplit("/", 1)[0] + "/postgres",
            "-qc",
            f'CREATE DATABASE "{name}"',
        ],
        check=True,
        capture_output=True,
    )
    env = {**sqlite_env, "DATABASE_URL": base.rsplit("/", 1)[0] + "/" + name}
    yield env
    subprocess.run(
        [
            "psql",
            base.replace("postgres://", "postgresql://").rsplit("/", 1)[0] + "/postgres",
            "-qc",
            f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)',
        ],
        capture_output=True,
    )


def test_users_and_tokens_print_only_the_result(sqlite_env: dict[str, str]) -> None:
    assert run("migrate", env=sqlite_env).returncode == 0
    created = run("users", "create", "--email", "ops@example.com", "--name", "Ops", "--role", "ADMIN", env=sqlite_env)
    assert created.returncode == 0, created.stderr
    assert len(created.stdout.splitlines()) == 1 and created.stdout.strip()
    token = run("tokens", "create", "--email", "ops@example.com", "--expires-in", "30d", env=sqlite_env)
    assert token.returncode == 0, token.stderr
    assert token.stdout.startswith("fbk_") and len(token.stdout.splitlines()) == 1


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("users", "create", "--email", "bad", "--name", "X", "--role", "ADMIN"), "email"),
        (("tokens", "create", "--email", "nobody@example.com"), "nobody@example.com"),
        (("tokens", "create", "--email", "ops@example.com", "--expires-in", "soon"), "--expires-in"),
    ],
)
def test_failures_are_one_line_and_non_zero(sqlite_env: dict[str, str], args: tuple[str, ...], expected: str) -> None:
    run("migrate", env=sqlite_env)
    result = run(*args, env=sqlite_env)
    assert result.returncode != 0 and result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1 and expected in result.stderr


def test_duplicate_user_is_refused(sqlite_env: dict[str, str]) -> None:
    run("migrate", env=sqlite_env)
    args = ("users", "create", "--email", "a@example.com", "--name", "A", "--role", "VIEWER")
    assert run(*args, env=sqlite_env).returncode == 0
    again = run(*args, env=sqlite_env)
    assert again.returncode == 1 and "already exists" in again.stderr


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("FIREBREAK_PORT", "abc"),
        ("DATABASE_URL", "mysql://x"),
        ("REDIS_URL", "http://x"),
        ("FIREBREAK_LOG_LEVEL", "LOUD"),
        ("FIREBREAK_CORS_ORIGINS", "example.com"),
    ],
)
def test_bad_configuration_names_the_variable(sqlite_env: dict[str, str], variable: str, value: str) -> None:
    result = run("serve", env={**sqlite_env, variable: value})
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {variable}:")


def test_serve_refuses_pending_migrations(sqlite_env: dict[str, str]) -> None:
    result = run("serve", "--port", "1", env=sqlite_env)
    assert result.returncode == 1
    assert "pending migrations" in result.stderr and "firebreak migrate" in result.stderr


def test_unreachable_database_is_one_line(sqlite_env: dict[str, str]) -> None:
    result = run("migrate", env={**sqlite_env, "DATABASE_URL": "postgres://nobody@127.0.0.1:1/none"})
    assert result.returncode == 1 and len(result.stderr.strip().splitlines()) == 1
    assert "database" in result.stderr


def test_export_schema_matches_the_committed_file(sqlite_env: dict[str, str]) -> None:
    result = run("export-schema", env=sqlite_env)
    assert result.returncode == 0
    assert result.stdout == (ROOT / "schema.graphql").read_text(encoding="utf-8")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_up(url: str, process: subprocess.Popen[str], deadline: float = 30) -> None:
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if process.poll() is not None:
            raise AssertionError(f"server exited: {process.stderr.read() if process.stderr else ''}")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise AssertionError("server did not start")


@pytest.mark.parametrize("database", ["sqlite", "postgres"])
def test_demo_then_serve_answers_over_real_http(database: str, request: pytest.FixtureRequest) -> None:
    env = request.getfixturevalue(f"{database}_env")
    seeded = run("demo", "--no-serve", env=env)
    assert seeded.returncode == 0, seeded.stderr
    token = next(line.split()[-1] for line in seeded.stdout.splitlines() if line.startswith("Admin token"))
    assert "/graphql" in seeded.stdout
    port = free_port()
    server = subprocess.Popen(
        [FIREBREAK, "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    try:
        wait_until_up(f"http://127.0.0.1:{port}/health/live", server)
        query = "{ viewer { role } incidents(first: 10) { totalCount edges { node { reference status } } } }"
        response = httpx.post(
            f"http://127.0.0.1:{port}/graphql",
            json={"query": query},
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        )
        data = response.json()["data"]
        assert data["viewer"]["role"] == "ADMIN" and data["incidents"]["totalCount"] == 3
        ready = httpx.get(f"http://127.0.0.1:{port}/health/ready", timeout=5).json()
        assert ready == {
            "status": "ok",
            "database": "ok",
            "broker": "connected",
            "websockets": {"connections": 0, "subscriptions": 0, "streams": 0},
        }
    finally:
        server.terminate()
        server.wait(timeout=20)
    again = run("demo", "--no-serve", env=env)
    assert again.returncode == 0 and "Seeded" not in again.stdout  # seeds only an empty database
