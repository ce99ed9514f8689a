"""Real server processes for end-to-end tests: `firebreak serve` under uvicorn on a free port."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
FIREBREAK = str(Path(sys.executable).with_name("firebreak"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class LiveServer:
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/graphql"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def terminate(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=30)


def application_named(database_url: str, name: str) -> str:
    """A PostgreSQL URL whose sessions show as `name` in pg_stat_activity (who holds a lock)."""
    if not database_url.startswith(("postgres://", "postgresql://")) or "application_name=" in database_url:
        return database_url
    return f"{database_url}{'&' if '?' in database_url else '?'}application_name={name}"


@contextmanager
def live_server(
    database_url: str, tmp_path: Path, *, redis_url: str | None = None, **settings: str
) -> Iterator[LiveServer]:
    """One server process on `database_url`; extra FIREBREAK_* settings as keyword arguments."""
    port = free_port()
    env = {
        k: v for k, v in os.environ.items() if not k.startswith("FIREBREAK_") and k not in ("DATABASE_URL", "REDIS_URL")
    }
    env.update(
        {
            "DATABASE_URL": application_named(database_url, f"firebreak-live-{port}"),
            "FIREBREAK_LOG_LEVEL": "INFO",
            "FIREBREAK_REDIS_PREFIX": f"test-{uuid.uuid4().hex[:8]}:",
        }
    )
    if redis_url:
        env["REDIS_URL"] = redis_url
    env.update({f"FIREBREAK_{k.upper()}": str(v) for k, v in settings.items()})
    log_path = tmp_path / f"server-{port}.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [FIREBREAK, "serve", "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT
        )
    server = LiveServer(port, process, log_path)
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                raise AssertionError(f"server exited:\n{server.log()}")
            try:
                if httpx.get(server.url + "/health/live", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"server did not start:\n{server.log()}")
            time.sleep(0.1)
        yield server
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
