"""Test plumbing for jobs: a table where test handlers record what ran, waiting for a condition
with a deadline, and worker processes started and killed for real."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.connection import get_connection

ROOT = Path(__file__).resolve().parents[2]

_DDL = {
    "postgres": "CREATE TABLE IF NOT EXISTS job_test_runs (id BIGSERIAL PRIMARY KEY, marker TEXT NOT NULL,"
    " phase TEXT NOT NULL, pid INTEGER NOT NULL, at DOUBLE PRECISION NOT NULL)",
    "sqlite": "CREATE TABLE IF NOT EXISTS job_test_runs (id INTEGER PRIMARY KEY AUTOINCREMENT, marker TEXT NOT NULL,"
    " phase TEXT NOT NULL, pid INTEGER NOT NULL, at REAL NOT NULL)",
}


def _sql(connection: BaseDBAsyncClient, text: str) -> str:
    if connection.capabilities.dialect != "postgres":
        return text
    parts = text.split("?")
    return "".join(part + (f"${i + 1}" if i < len(parts) - 1 else "") for i, part in enumerate(parts))


async def query(
    text: str, params: list[Any] | None = None, connection: BaseDBAsyncClient | None = None
) -> list[dict[str, Any]]:
    connection = connection or get_connection("default")
    return await connection.execute_query_dict(_sql(connection, text), params or [])


async def create_runs_table() -> None:
    connection = get_connection("default")
    await connection.execute_script(_DDL[connection.capabilities.dialect])


async def record(marker: str, phase: str) -> None:
    await query(
        "INSERT INTO job_test_runs (marker, phase, pid, at) VALUES (?, ?, ?, ?)",
        [marker, phase, os.getpid(), time.time()],
    )


async def runs(marker: str | None = None, phase: str | None = None) -> list[dict[str, Any]]:
    rows = await query("SELECT marker, phase, pid, at FROM job_test_runs ORDER BY id")
    return [r for r in rows if (marker is None or r["marker"] == marker) and (phase is None or r["phase"] == phase)]


async def eventually(check: Callable[[], Awaitable[Any]], *, timeout: float = 30.0, what: str = "condition") -> Any:
    """Poll `check` until it returns something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = await check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


FAST_JOBS = {
    "FIREBREAK_JOBS_HEARTBEAT": "0.5",
    "FIREBREAK_JOBS_STALLED_AFTER": "2",
    "FIREBREAK_JOBS_POLL_INTERVAL": "3",
    "FIREBREAK_JOBS_SHUTDOWN_TIMEOUT": "5",
}


class WorkerProcess:
    """`python -m tests.jobs.worker_main` on the test database, as `firebreak worker` runs."""

    def __init__(
        self, database_url: str, log_dir: Path, *, imports: tuple[str, ...] = (), concurrency: int = 4
    ) -> None:
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith("FIREBREAK_") and k not in ("DATABASE_URL", "REDIS_URL")
        }
        env.update(FAST_JOBS)
        env.update({"DATABASE_URL": database_url, "FIREBREAK_LOG_LEVEL": "WARNING", "PYTHONPATH": str(ROOT)})
        args = [sys.executable, "-m", "tests.jobs.worker_main", "--concurrency", str(concurrency)]
        for module in imports:
            args += ["--import", module]
        self.log = log_dir / f"worker-{time.monotonic_ns()}.log"
        self._log_file = self.log.open("wb")
        self.process = subprocess.Popen(args, env=env, cwd=ROOT, stdout=self._log_file, stderr=subprocess.STDOUT)

    @property
    def pid(self) -> int:
        return self.process.pid

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)
        self._log_file.close()

    def stop(self, timeout: float = 30) -> int:
        """SIGTERM, then wait for the graceful exit; its exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log_file.close()
        return self.process.returncode

    def output(self) -> str:
        return self.log.read_text(errors="replace")
