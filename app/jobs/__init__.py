"""Durable jobs: deferred, scheduled and periodic tasks whose state lives in the database.

    @jobs.task("oncall.escalate", retry=jobs.Retry(max_attempts=5, backoff=jobs.exponential()))
    async def escalate(*, page_id: int, step: int) -> None: ...

    async with unit_of_work() as outbox:          # the job commits (or not) with the change
        job_id = await jobs.defer("oncall.escalate", {"page_id": 1, "step": 0}, run_at=when,
                                  queueing_lock="page:1", connection=outbox.connection)

Handlers run at least once (a job interrupted by a crash runs again): they check the state they
act on. PostgreSQL runs jobs with procrastinate (`postgres.py`), SQLite with an in-process
runner (`local.py`); `create_engine` picks one, `set_engine` makes it the process's."""

from app.jobs.engine import Engine, JobInfo, JobStatus, cancel, create_engine, defer, get_engine, set_engine
from app.jobs.registry import (
    Constant,
    Exponential,
    Retry,
    RetryLater,
    UnknownTask,
    constant,
    every_to_cron,
    exponential,
    periodic,
    task,
)

__all__ = [
    "Constant",
    "Engine",
    "Exponential",
    "JobInfo",
    "JobStatus",
    "Retry",
    "RetryLater",
    "UnknownTask",
    "cancel",
    "constant",
    "create_engine",
    "defer",
    "every_to_cron",
    "exponential",
    "get_engine",
    "periodic",
    "set_engine",
    "task",
]
