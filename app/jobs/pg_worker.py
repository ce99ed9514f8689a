"""Procrastinate's worker, adapted: it wakes at the next job's time, retries as our tasks say,
and never loses a job to a queueing-lock collision.

Procrastinate's worker wakes on a new job (LISTEN/NOTIFY) and otherwise polls; a job scheduled
for later would wait for the next poll. This worker, once nothing is due, reads when the next
waiting job is due and sleeps until then (the poll interval caps the wait). It overrides two of
the worker's internal methods, which is why pyproject.toml pins procrastinate's minor version;
tests/jobs cover both behaviours."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import Any

from procrastinate import exceptions, job_context, manager, retry, worker
from procrastinate import jobs as pjobs

from app import clock
from app.jobs.registry import Retry

log = logging.getLogger(__name__)

# Seconds until the earliest waiting job is due; jobs due in the last second count (one may have
# come due between the fetch that found nothing and this query), older ones are not waiting for
# time but for something else and must not make the worker spin.
NEXT_DUE = (
    "SELECT EXTRACT(EPOCH FROM MIN(scheduled_at) - NOW())::float8 AS wait FROM procrastinate_jobs"
    " WHERE status = 'todo' AND scheduled_at > NOW() - INTERVAL '1 second'"
)

_MIN_WAIT = 0.005


class RetryPolicy(retry.BaseRetryStrategy):
    """A task's `Retry` as procrastinate's retry strategy. A job interrupted by a stopping worker
    (past its shutdown bound) always goes back to waiting: it was not done."""

    def __init__(self, policy: Retry) -> None:
        self.policy = policy

    def get_retry_decision(self, *, exception: BaseException, job: pjobs.Job) -> retry.RetryDecision | None:
        if isinstance(exception, (asyncio.CancelledError, exceptions.JobAborted)):
            return retry.RetryDecision(retry_at=clock.now())
        if not isinstance(exception, Exception):
            return None
        delay = self.policy.delay_after(exception, job.attempts + 1)
        if delay is None:
            return None
        return retry.RetryDecision(retry_at=clock.now() + max(delay, timedelta(0)))


class Worker(worker.Worker):
    def __init__(self, *, max_wait: float, **options: Any) -> None:
        super().__init__(fetch_job_polling_interval=max_wait, **options)
        self._max_wait = max_wait

    def wake(self) -> None:
        """Look for due jobs now (jobs were put back to waiting without a NOTIFY)."""
        self._new_job_event.set()

    async def _fetch_and_process_jobs(self) -> None:
        await super()._fetch_and_process_jobs()  # type: ignore[no-untyped-call]
        if not self._stop_event.is_set():
            # The worker's loop sleeps this long unless a NOTIFY or a stop comes first.
            self.fetch_job_polling_interval = await self._until_next_due()

    async def _until_next_due(self) -> float:
        try:
            row = await self.app.connector.execute_query_one_async(query=NEXT_DUE)
        except Exception:
            log.exception("could not read when the next job is due")
            return self._max_wait
        wait = row["wait"]
        return self._max_wait if wait is None else min(self._max_wait, max(_MIN_WAIT, float(wait)))

    async def _persist_job_status(
        self,
        job: pjobs.Job,
        status: pjobs.Status,
        retry_decision: retry.RetryDecision | None,
        context: job_context.JobContext,
        job_result: job_context.JobResult | None,
    ) -> None:
        try:
            await super()._persist_job_status(job, status, retry_decision, context, job_result)
        except exceptions.UniqueViolation as error:
            # Going back to waiting collided with a job of the same queueing lock deferred since
            # it started: that one supersedes it (procrastinate would leave it running forever).
            if error.constraint_name != manager.QUEUEING_LOCK_CONSTRAINT:
                raise
            log.info("job %s[%s] is superseded by a waiting job with its queueing lock", job.task_name, job.id)
            await self.app.job_manager.finish_job(job=job, status=pjobs.Status.FAILED, delete_job=True)
        if retry_decision is not None:
            self.wake()  # its new time may be the nearest
