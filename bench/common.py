"""Shared bench plumbing: a fresh PostgreSQL database, a server process, wrk."""

from __future__ import annotations

import asyncio
import os
import re
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PG_BASE = os.environ.get("FIREBREAK_BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432")


def _admin_dsn() -> str:
    return PG_BASE.replace("postgres://", "postgresql://", 1) + "/postgres"


@contextmanager
def postgres_database() -> Iterator[str]:
    """A new empty database for one bench run, dropped afterwards."""
    import asyncpg

    name = f"firebreak_bench_{uuid.uuid4().hex[:8]}"

    async def execute(sql: str) -> None:
        connection = await asyncpg.connect(_admin_dsn())
        try:
            await connection.execute(sql)
        finally:
            await connection.close()

    asyncio.run(execute(f'CREATE DATABASE "{name}"'))
    try:
        yield f"{PG_BASE}/{name}"
    finally:
        asyncio.run(execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def server(factory: str, env: dict[str, str], *, port: int | None = None) -> Iterator[str]:
    """One uvicorn worker serving `factory`; yields its base URL."""
    port = port or free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            factory,
            "--port",
            str(port),
            "--no-access-log",
            "--log-level",
            "warning",
            "--workers",
            "1",
        ],
        env={**os.environ, **env, "PYTHONPATH": str(ROOT)},
        cwd=ROOT,
        stderr=subprocess.DEVNULL,  # wrk's abrupt disconnects at the end of a run are not news
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(url + "/health/live", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("server did not start")
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=20)


WRK_POST = """
bodies = {{{bodies}}}
counter = 0
request = function()
  counter = counter + 1
  local headers = {{["Content-Type"] = "application/json", ["Authorization"] = "Bearer {token}"}}
  return wrk.format("POST", nil, headers, bodies[(counter % #bodies) + 1])
end
"""


def wrk(url: str, *, body: str | list[str], token: str, connections: int, seconds: int, threads: int = 1) -> float:
    """Requests per second that wrk measured, cycling through the bodies (non-2xx aborts the bench)."""
    import json
    import tempfile

    bodies = [body] if isinstance(body, str) else body
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_POST.format(bodies=", ".join(json.dumps(b) for b in bodies), token=token))
    result = subprocess.run(
        ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s", "-s", script.name, url],
        capture_output=True,
        text=True,
        check=True,
    )
    os.unlink(script.name)
    if "Non-2xx" in result.stdout:
        raise RuntimeError(f"errors during the run:\n{result.stdout}")
    match = re.search(r"Requests/sec:\s+([\d.]+)", result.stdout)
    if not match:
        raise RuntimeError(result.stdout)
    return float(match.group(1))
