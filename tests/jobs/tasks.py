"""Job handlers of the tests: each records what it did in `job_test_runs` (real rows, read by the
test process whether the handler ran in it or in a worker process)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from app import jobs
from tests.jobs.support import query, record


@jobs.task("test.record")
async def record_run(*, marker: str) -> None:
    await record(marker, "done")


@jobs.task("test.flaky", retry=jobs.Retry(max_attempts=3, backoff=jobs.constant(timedelta(milliseconds=300))))
async def flaky(*, marker: str, failures: int) -> None:
    earlier = await query("SELECT COUNT(*) AS n FROM job_test_runs WHERE marker = ? AND phase = 'start'", [marker])
    await record(marker, "start")
    if earlier[0]["n"] < failures:
        raise RuntimeError(f"failure {earlier[0]['n'] + 1} of {failures}")
    await record(marker, "done")


@jobs.task("test.fails", retry=jobs.Retry(max_attempts=2, backoff=jobs.constant(timedelta(milliseconds=100))))
async def always_fails(*, marker: str) -> None:
    await record(marker, "start")
    raise RuntimeError("always")


@jobs.task("test.later", retry=jobs.Retry(max_attempts=3))
async def later(*, marker: str) -> None:
    await record(marker, "start")
    raise jobs.RetryLater(timedelta(hours=1), "the receiver said 429")


@jobs.task("test.block")
async def block(*, marker: str) -> None:
    """Runs until the test records `release` for its marker."""
    await record(marker, "start")
    while not await query("SELECT 1 FROM job_test_runs WHERE marker = ? AND phase = 'release'", [marker]):
        await asyncio.sleep(0.05)
    await record(marker, "done")


@jobs.task("test.block-then-fail", retry=jobs.Retry(max_attempts=3, backoff=jobs.constant(timedelta(0))))
async def block_then_fail(*, marker: str) -> None:
    """Runs until released, then fails (and would be retried at once)."""
    await record(marker, "start")
    while not await query("SELECT 1 FROM job_test_runs WHERE marker = ? AND phase = 'release'", [marker]):
        await asyncio.sleep(0.05)
    raise RuntimeError("fails after release")
