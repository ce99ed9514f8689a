"""The job engine interface, the process's current engine, and `defer`/`cancel` through it.

Two engines implement it: procrastinate on PostgreSQL (`postgres.py`) and an in-process runner
on SQLite (`local.py`). Both keep every job in the database; a job written with the
`connection` of a transaction exists only if that transaction commits."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import orjson
from tortoise.backends.base.client import BaseDBAsyncClient

from app.config import Settings
from app.jobs.registry import get_task, import_task_modules

JobStatus = Literal["waiting", "running", "failed"]


@dataclass(frozen=True)
class JobInfo:
    """A job as stored: waiting (for its time, or a free worker), running, or failed for good.
    A job that succeeded, or was cancelled while waiting, is gone."""

    id: int
    task: str
    args: dict[str, Any]
    status: JobStatus
    run_at: datetime | None
    attempts: int
    queueing_lock: str | None


@dataclass(frozen=True)
class Deferral:
    """A job to write, checked: a registered task, JSON arguments, an aware time."""

    task: str
    args: dict[str, Any]
    args_json: str
    run_at: datetime | None
    queueing_lock: str | None


class Engine(ABC):
    """Writes jobs to the database and, once started with `worker=True`, runs them."""

    @abstractmethod
    async def defer(
        self,
        task: str,
        args: Mapping[str, Any],
        *,
        run_at: datetime | None = None,
        queueing_lock: str | None = None,
        connection: BaseDBAsyncClient | None = None,
    ) -> int | None:
        """Write a job; its id, or None when a job with `queueing_lock` is already waiting."""

    @abstractmethod
    async def cancel(self, job_id: int, *, connection: BaseDBAsyncClient | None = None) -> bool:
        """Remove a waiting job (True); a running or unknown one is left alone (False)."""

    @abstractmethod
    async def get(self, job_id: int) -> JobInfo | None:
        """The stored job, or None once it succeeded or was cancelled."""

    @abstractmethod
    async def start(self, *, worker: bool = True, concurrency: int = 1) -> None:
        """Start running jobs in this process (`worker=False` only writes them)."""

    @abstractmethod
    async def stop(self, timeout: float | None = None) -> None:
        """Stop taking jobs, let running ones finish for up to `timeout` seconds (the
        configured bound by default), then interrupt them: they go back to waiting."""

    @property
    @abstractmethod
    def working(self) -> bool:
        """Whether this process runs jobs."""


def prepare(task: str, args: Mapping[str, Any], run_at: datetime | None, queueing_lock: str | None) -> Deferral:
    """Check a job before writing it; a mistake here is the caller's bug, raised at once."""
    get_task(task)
    if not isinstance(args, Mapping):
        raise TypeError("job arguments must be a mapping of names to JSON values")
    plain = dict(args)
    try:
        encoded = orjson.dumps(plain)
    except TypeError as error:
        raise TypeError(f"job arguments must be JSON values: {error}") from None
    if orjson.loads(encoded) != plain:
        raise TypeError("job arguments must be JSON values (str keys; str, int, float, bool, None, list, dict)")
    if run_at is not None and run_at.utcoffset() is None:
        raise ValueError("run_at must be timezone-aware")
    if queueing_lock is not None and not 1 <= len(queueing_lock) <= 255:
        raise ValueError("queueing_lock must be 1 to 255 characters")
    return Deferral(task, plain, encoded.decode(), run_at, queueing_lock)


_current: Engine | None = None


def set_engine(engine: Engine | None) -> None:
    global _current
    _current = engine


def get_engine() -> Engine:
    if _current is None:
        raise RuntimeError("no job engine is set in this process: call app.jobs.set_engine(app.jobs.create_engine(…))")
    return _current


async def defer(
    task: str,
    args: Mapping[str, Any],
    *,
    run_at: datetime | None = None,
    queueing_lock: str | None = None,
    connection: BaseDBAsyncClient | None = None,
) -> int | None:
    """Write a job through the current engine: in `connection`'s transaction when given (a
    rolled-back change defers nothing). Due at once without `run_at`. Returns the job's id, or
    None when a job with the same `queueing_lock` is already waiting."""
    return await get_engine().defer(task, args, run_at=run_at, queueing_lock=queueing_lock, connection=connection)


async def cancel(job_id: int, *, connection: BaseDBAsyncClient | None = None) -> bool:
    """Remove a waiting job through the current engine; a running one is left alone."""
    return await get_engine().cancel(job_id, connection=connection)


def create_engine(settings: Settings, *, import_paths: Iterable[str] = ()) -> Engine:
    """Procrastinate on PostgreSQL, the local runner on SQLite. The ORM must be open (`app.db.init`)
    before it is used. Imports every domain's `tasks` module and `import_paths`."""
    import_task_modules(import_paths)
    if settings.is_sqlite:
        from app.jobs.local import LocalEngine

        return LocalEngine(settings)
    from app.jobs.postgres import PostgresEngine

    return PostgresEngine(settings)
