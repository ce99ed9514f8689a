"""The local job runner (SQLite): the job engine of the embedded install, in the same process.

The `jobs` table is the truth; memory only decides when to look again. One worker task sleeps
until the nearest due time it read from the table (or until a defer in this process or a
finished job wakes it), then claims every due job in one statement. A claimed job carries a
lease (`locked_until`) that its runner renews while the handler runs: if the process dies, the
lease runs out and a runner (this process restarted, or another one) claims the job again, so a
job interrupted by a crash runs again (at least once). Runners in several processes may share
one database file; other processes' defers are seen at the next look (`jobs_poll_interval`)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from croniter import croniter  # type: ignore[import-untyped]
from tortoise.backends.base.client import BaseDBAsyncClient

from app import clock
from app.config import Settings
from app.jobs import local_store
from app.jobs.engine import Engine, JobInfo, prepare
from app.jobs.local_store import Claimed, micros
from app.jobs.registry import PeriodicSpec, get_task, periodic_tasks, tasks

log = logging.getLogger(__name__)

# A periodic tick missed by more than this (no runner was up) is skipped, as procrastinate does.
PERIODIC_MAX_DELAY = 600.0


class LocalEngine(Engine):
    def __init__(self, settings: Settings) -> None:
        if not settings.is_sqlite:
            raise ValueError("the local job runner runs on SQLite; PostgreSQL uses procrastinate")
        self._heartbeat = settings.jobs_heartbeat
        self._lease = timedelta(seconds=settings.jobs_stalled_after)
        self._poll = settings.jobs_poll_interval
        self._shutdown_timeout = settings.jobs_shutdown_timeout
        self._owner = uuid.uuid4().hex
        self._wake = asyncio.Event()
        self._running: dict[int, asyncio.Task[None]] = {}
        self._worker: asyncio.Task[None] | None = None
        self._side: list[asyncio.Task[None]] = []
        self._stopping = False
        self._concurrency = 1

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
        job_id = await local_store.insert(deferral, micros(deferral.run_at or clock.now()), connection)
        if job_id is not None:
            # Inside a transaction the worker's next read waits for it to end (one connection,
            # locked by the transaction); a rolled-back job is simply not found.
            self._wake.set()
        return job_id

    async def cancel(self, job_id: int, *, connection: BaseDBAsyncClient | None = None) -> bool:
        return await local_store.delete_waiting(job_id, connection)

    async def get(self, job_id: int) -> JobInfo | None:
        return await local_store.get(job_id)

    @property
    def working(self) -> bool:
        return self._worker is not None

    async def start(self, *, worker: bool = True, concurrency: int = 1) -> None:
        if not worker or self._worker is not None:
            return
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self._concurrency = concurrency
        self._stopping = False
        self._worker = asyncio.create_task(self._work(), name="jobs-runner")
        self._side = [asyncio.create_task(self._renew_leases(), name="jobs-leases")]
        specs = periodic_tasks()
        if specs:
            self._side.append(asyncio.create_task(self._defer_periodic(specs), name="jobs-periodic"))
        log.info("local job runner %s started (concurrency %d)", self._owner, concurrency)

    async def stop(self, timeout: float | None = None) -> None:
        if self._worker is None:
            return
        self._stopping = True
        self._wake.set()
        await self._worker
        running = list(self._running.values())
        if running:
            _, late = await asyncio.wait(running, timeout=self._shutdown_timeout if timeout is None else timeout)
            for job in late:
                job.cancel()
            await asyncio.gather(*late, return_exceptions=True)
        for side in self._side:
            side.cancel()
        await asyncio.gather(*self._side, return_exceptions=True)
        self._worker, self._side = None, []
        log.info("local job runner %s stopped", self._owner)

    async def _work(self) -> None:
        while not self._stopping:
            self._wake.clear()
            try:
                delay = await self._step()
            except Exception:
                log.exception("the job runner could not read its jobs; trying again")
                delay = min(self._poll, 1.0)
            if self._stopping:
                break
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=delay)

    async def _step(self) -> float:
        """Claim what is due; the seconds until something may be due next."""
        free = self._concurrency - len(self._running)
        if free <= 0:
            return self._poll  # a finishing job wakes the worker
        now = clock.now()
        claimed = await local_store.claim(self._owner, micros(now), micros(now + self._lease), free)
        for job in claimed:
            self._running[job.id] = asyncio.create_task(self._run(job), name=f"job {job.task}[{job.id}]")
        if len(claimed) == free:
            return 0.0
        due = await local_store.next_due(self._owner)
        if due is None:
            return self._poll
        return min(self._poll, max(0.0, (due - micros(clock.now())) / 1_000_000))

    async def _run(self, job: Claimed) -> None:
        try:
            try:
                error = await self._call(job)
            except asyncio.CancelledError:  # stopped past its bound: the job waits for the next runner
                await asyncio.shield(local_store.reschedule(job.id, self._owner, micros(clock.now())))
                raise
            await asyncio.shield(self._finish(job, error))
        except asyncio.CancelledError:
            raise
        except Exception:  # its lease runs out and the job runs again
            log.exception("could not record the end of job %s[%d]", job.task, job.id)
        finally:
            self._running.pop(job.id, None)
            self._wake.set()

    async def _call(self, job: Claimed) -> Exception | None:
        try:
            await get_task(job.task).handler(**job.args)
        except Exception as error:
            return error
        return None

    async def _finish(self, job: Claimed, error: Exception | None) -> None:
        if error is None:
            await local_store.succeed(job.id, self._owner)
            return
        spec = tasks().get(job.task)
        delay = spec.retry.delay_after(error, job.attempts) if spec else None
        if delay is None:
            log.error("job %s[%d] failed for good (attempt %d)", job.task, job.id, job.attempts, exc_info=error)
            await local_store.fail(job.id, self._owner)
            return
        log.warning(
            "job %s[%d] failed (attempt %d); again in %s", job.task, job.id, job.attempts, delay, exc_info=error
        )
        if not await local_store.reschedule(job.id, self._owner, micros(clock.now() + delay)):
            log.info("job %s[%d] is superseded by a waiting job with its queueing lock", job.task, job.id)

    async def _renew_leases(self) -> None:
        while True:
            await asyncio.sleep(self._heartbeat)
            if self._running:
                try:
                    await local_store.renew(self._owner, micros(clock.now() + self._lease))
                except Exception:
                    log.exception("could not renew the leases of running jobs")

    async def _defer_periodic(self, specs: list[PeriodicSpec]) -> None:
        """Defer each periodic task's latest tick once (the database keeps it once across runners),
        then sleep until the next tick."""
        while True:
            now = clock.now().timestamp()
            for spec in specs:
                tick = int(croniter(spec.cron, now).get_prev(float))
                if now - tick > PERIODIC_MAX_DELAY:
                    continue
                try:
                    deferral = prepare(spec.name, {"timestamp": tick}, None, None)
                    if await local_store.defer_tick(deferral, tick) is not None:
                        self._wake.set()
                except Exception:
                    log.exception("could not defer periodic task %s", spec.name)
            following = min(croniter(spec.cron, now).get_next(float) for spec in specs)
            await asyncio.sleep(max(0.0, following - clock.now().timestamp()) + 0.01)
