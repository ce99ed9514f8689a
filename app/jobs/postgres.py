"""The job engine on PostgreSQL: procrastinate, its jobs in the application's database.

Writing a job calls procrastinate's own SQL function (`procrastinate_defer_jobs_v1`, versioned
by procrastinate) through the application's Tortoise connection, so a job deferred with the
`connection` of a transaction is part of it: rolled back, nothing was deferred; committed, the
insert trigger's NOTIFY wakes the workers. A queueing-lock conflict inside a transaction runs
under a savepoint, so the transaction goes on. Web processes that only defer need no
procrastinate connection at all; a worker opens a psycopg pool for procrastinate.

Running jobs is procrastinate's worker (`pg_worker.py`: fetches with `FOR UPDATE SKIP LOCKED`,
heartbeats, periodic tasks deferred once per tick across workers), supervised: a worker that
stops on an error (the database went away) is started again. Each worker process also sweeps
stalled jobs every heartbeat: jobs left running by a worker whose heartbeat is older than
`jobs_stalled_after` (killed) go back to waiting, in one statement whose row locks make
concurrent sweeps harmless."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import orjson
import procrastinate
from tortoise.backends.base.client import BaseDBAsyncClient, TransactionalDBClient
from tortoise.connection import get_connection
from tortoise.exceptions import IntegrityError

from app.config import Settings
from app.jobs.engine import Deferral, Engine, JobInfo, JobStatus, prepare
from app.jobs.pg_worker import RetryPolicy, Worker
from app.jobs.registry import periodic_tasks, tasks

log = logging.getLogger(__name__)

QUEUE = "default"
QUEUEING_LOCK_INDEX = "procrastinate_jobs_queueing_lock_idx_v1"

_DEFER = (
    "SELECT unnest(procrastinate_defer_jobs_v1(ARRAY[ROW("
    f"'{QUEUE}'::varchar, $1::varchar, 0, NULL::text, $2::text, $3::jsonb, $4::timestamptz"
    ")]::procrastinate_job_to_defer_v1[])) AS id"
)
_CANCEL = "SELECT procrastinate_cancel_job_v1($1, false, true) AS id"
_GET = (
    "SELECT id, task_name, args::text AS args, status::text AS status, scheduled_at, attempts, queueing_lock"
    " FROM procrastinate_jobs WHERE id = $1"
)
_STATUS: dict[str, JobStatus] = {"todo": "waiting", "doing": "running", "failed": "failed", "aborted": "failed"}

_STALLED = (
    "job.status = 'doing' AND (job.worker_id IS NULL OR job.worker_id IN ("
    " SELECT id FROM procrastinate_workers WHERE last_heartbeat < NOW() - make_interval(secs => %(seconds)s)))"
)
_WAITING_TWIN = (
    "SELECT 1 FROM procrastinate_jobs AS waiting WHERE waiting.queueing_lock = job.queueing_lock"
    " AND waiting.status = 'todo'"
)
# A stalled job goes back to waiting (due at once: its time has passed), unless a job with its
# queueing lock is waiting already: that one supersedes it, and the stalled one is deleted.
_REQUEUE_STALLED = (
    f"UPDATE procrastinate_jobs AS job SET status = 'todo', attempts = job.attempts + 1"
    f" WHERE {_STALLED} AND NOT EXISTS ({_WAITING_TWIN}) RETURNING job.id"
)
_DROP_SUPERSEDED = (
    f"DELETE FROM procrastinate_jobs AS job WHERE {_STALLED} AND EXISTS ({_WAITING_TWIN}) RETURNING job.id"
)

# libpq's URL parameters pass to procrastinate's connection; Tortoise's own (pool sizes…) do not.
_LIBPQ_PARAMETERS = {
    "sslmode",
    "sslrootcert",
    "sslcert",
    "sslkey",
    "sslpassword",
    "application_name",
    "connect_timeout",
    "options",
    "target_session_attrs",
}


def conninfo(database_url: str) -> str:
    parts = urlsplit(database_url)
    query = [(key, value) for key, value in parse_qsl(parts.query) if key in _LIBPQ_PARAMETERS]
    return urlunsplit(("postgresql", parts.netloc, parts.path, urlencode(query), ""))


class PostgresEngine(Engine):
    def __init__(self, settings: Settings) -> None:
        if settings.is_sqlite:
            raise ValueError("the procrastinate engine runs on PostgreSQL")
        self._url = settings.effective_database_url
        self._heartbeat = settings.jobs_heartbeat
        self._stalled_after = settings.jobs_stalled_after
        self._poll = settings.jobs_poll_interval
        self._shutdown_timeout = settings.jobs_shutdown_timeout
        self._app: procrastinate.App | None = None
        self._worker: Worker | None = None
        self._supervisor: asyncio.Task[None] | None = None
        self._sweeper: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()

    async def defer(
        self,
        task: str,
        args: Mapping[str, Any],
        *,
        run_at: datetime | None = None,
        queueing_lock: str | None = None,
        connection: BaseDBAsyncClient | None = None,
    ) -> int | None:
        deferral = prepare(task, args, run_at, queueing_lock)
        connection = connection or get_connection("default")
        if deferral.queueing_lock is None:
            return await _insert(connection, deferral)
        # A unique violation aborts a PostgreSQL transaction: isolate it under a savepoint.
        savepoint = isinstance(connection, TransactionalDBClient)
        if savepoint:
            await connection.execute_script("SAVEPOINT firebreak_defer")
        try:
            job_id = await _insert(connection, deferral)
        except IntegrityError as error:
            if savepoint:
                await connection.execute_script("ROLLBACK TO SAVEPOINT firebreak_defer")
            if getattr(error.args[0] if error.args else None, "constraint_name", None) == QUEUEING_LOCK_INDEX:
                return None
            raise
        if savepoint:
            await connection.execute_script("RELEASE SAVEPOINT firebreak_defer")
        return job_id

    async def cancel(self, job_id: int, *, connection: BaseDBAsyncClient | None = None) -> bool:
        rows = await (connection or get_connection("default")).execute_query_dict(_CANCEL, [job_id])
        return bool(rows and rows[0]["id"] is not None)

    async def get(self, job_id: int) -> JobInfo | None:
        rows = await get_connection("default").execute_query_dict(_GET, [job_id])
        if not rows or rows[0]["status"] not in _STATUS:
            return None  # unknown, or succeeded or cancelled (kept only if deleting failed)
        row = rows[0]
        return JobInfo(
            id=int(row["id"]),
            task=row["task_name"],
            args=orjson.loads(row["args"]),
            status=_STATUS[row["status"]],
            run_at=row["scheduled_at"],
            attempts=int(row["attempts"]),
            queueing_lock=row["queueing_lock"],
        )

    @property
    def working(self) -> bool:
        return self._supervisor is not None

    async def start(self, *, worker: bool = True, concurrency: int = 1) -> None:
        if not worker or self._supervisor is not None:
            return
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        connector = procrastinate.PsycopgConnector(
            conninfo=conninfo(self._url), min_size=1, max_size=2 + min(concurrency, 8)
        )
        app = procrastinate.App(connector=connector)
        crons = {periodic.name: periodic.cron for periodic in periodic_tasks()}
        for spec in tasks().values():
            registered = app.task(name=spec.name, queue=QUEUE, retry=RetryPolicy(spec.retry))(spec.handler)
            if spec.name in crons:
                app.periodic(cron=crons[spec.name])(registered)
        await app.open_async()
        self._app = app
        self._stopping.clear()
        self._supervisor = asyncio.create_task(self._supervise(app, concurrency), name="jobs-worker")
        self._sweeper = asyncio.create_task(self._sweep(app), name="jobs-stalled-sweeper")

    async def stop(self, timeout: float | None = None) -> None:
        if self._supervisor is None:
            return
        self._stopping.set()
        if self._worker is not None:
            self._worker.shutdown_graceful_timeout = self._shutdown_timeout if timeout is None else timeout
            self._worker.stop()  # type: ignore[no-untyped-call]
        await self._supervisor
        if self._sweeper is not None:
            self._sweeper.cancel()
            await asyncio.gather(self._sweeper, return_exceptions=True)
        if self._app is not None:
            await self._app.close_async()
        self._app, self._worker, self._supervisor, self._sweeper = None, None, None, None

    async def _supervise(self, app: procrastinate.App, concurrency: int) -> None:
        while not self._stopping.is_set():
            self._worker = Worker(
                app=app,
                max_wait=self._poll,
                concurrency=concurrency,
                name="firebreak",
                install_signal_handlers=False,
                delete_jobs="successful",
                shutdown_graceful_timeout=self._shutdown_timeout,
                update_heartbeat_interval=self._heartbeat,
                stalled_worker_timeout=self._stalled_after,
            )
            try:
                await self._worker.run()  # type: ignore[no-untyped-call]
            except Exception:
                log.exception("the job worker stopped on an error")
            if self._stopping.is_set():
                return
            log.warning("restarting the job worker")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), timeout=1.0)

    async def _sweep(self, app: procrastinate.App) -> None:
        while True:
            try:
                requeued = await sweep_stalled(app, self._stalled_after)
                if requeued and self._worker is not None:
                    self._worker.wake()
            except Exception:
                log.exception("could not sweep stalled jobs")
            await asyncio.sleep(self._heartbeat)


async def sweep_stalled(app: procrastinate.App, stalled_after: float) -> list[int]:
    """Put the jobs of workers silent for `stalled_after` seconds back to waiting; their ids."""
    requeued = await app.connector.execute_query_all_async(query=_REQUEUE_STALLED, seconds=stalled_after)
    dropped = await app.connector.execute_query_all_async(query=_DROP_SUPERSEDED, seconds=stalled_after)
    if requeued:
        log.warning("jobs %s of stopped workers are waiting again", [row["id"] for row in requeued])
    if dropped:
        log.info("stalled jobs %s are superseded by waiting jobs with their queueing locks", [r["id"] for r in dropped])
    return [int(row["id"]) for row in requeued]


async def _insert(connection: BaseDBAsyncClient, deferral: Deferral) -> int:
    rows = await connection.execute_query_dict(
        _DEFER, [deferral.task, deferral.queueing_lock, deferral.args_json, deferral.run_at]
    )
    return int(rows[0]["id"])
