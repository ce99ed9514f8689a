"""Fixtures of the job tests: the runs table, an engine on the session's database (procrastinate
on PostgreSQL, the local runner on SQLite), and worker processes stopped after each test."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from app.jobs import Engine, create_engine, set_engine
from tests.conftest import Backend
from tests.jobs.support import WorkerProcess, create_runs_table

FAST = {"jobs_heartbeat": 0.5, "jobs_stalled_after": 2.0, "jobs_poll_interval": 3.0, "jobs_shutdown_timeout": 5.0}


@pytest.fixture
async def runs_table(clean_db: Backend) -> Backend:
    await create_runs_table()
    return clean_db


def make_engine(backend: Backend, **overrides: float) -> Engine:
    settings = backend.settings.model_copy(update={**FAST, **overrides})
    return create_engine(settings, import_paths=["tests.jobs.tasks"])


@pytest.fixture
async def engine(runs_table: Backend) -> AsyncIterator[Engine]:
    """The process's engine, not started: a test starts it when it wants a worker."""
    instance = make_engine(runs_table)
    set_engine(instance)
    yield instance
    await instance.stop()
    set_engine(None)


@pytest.fixture
def workers(runs_table: Backend, tmp_path: Path) -> Iterator[list[WorkerProcess]]:
    """Worker processes a test starts (append); stopped afterwards, logs shown on failure."""
    started: list[WorkerProcess] = []
    yield started
    for worker in started:
        worker.stop()


def spawn(
    backend: Backend,
    tmp_path: Path,
    started: list[WorkerProcess],
    *,
    imports: tuple[str, ...] = (),
    concurrency: int = 4,
) -> WorkerProcess:
    worker = WorkerProcess(backend.url, tmp_path, imports=imports, concurrency=concurrency)
    started.append(worker)
    return worker
