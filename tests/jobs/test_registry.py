"""Registering tasks: names, periods, retry policies (pure, no database)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app import jobs
from app.jobs.registry import get_task


@pytest.mark.parametrize(
    ("every", "cron"),
    [
        (timedelta(seconds=1), "* * * * * */1"),
        (timedelta(seconds=15), "* * * * * */15"),
        (timedelta(minutes=10), "*/10 * * * *"),
        (timedelta(hours=6), "0 */6 * * *"),
        (timedelta(days=1), "0 0 * * *"),
    ],
)
def test_every_becomes_a_clock_aligned_cron(every: timedelta, cron: str) -> None:
    assert jobs.every_to_cron(every) == cron


@pytest.mark.parametrize("every", [timedelta(seconds=7), timedelta(minutes=7), timedelta(hours=5), timedelta(0)])
def test_periods_that_do_not_divide_the_clock_are_refused(every: timedelta) -> None:
    with pytest.raises(ValueError):
        jobs.every_to_cron(every)


def test_retry_counts_every_run_and_backs_off() -> None:
    policy = jobs.Retry(max_attempts=4, backoff=jobs.exponential(timedelta(seconds=2), 3, timedelta(seconds=30)))
    error = RuntimeError("boom")
    assert [policy.delay_after(error, n) for n in (1, 2, 3, 4)] == [
        timedelta(seconds=2),
        timedelta(seconds=6),
        timedelta(seconds=18),
        None,
    ]
    assert policy.delay_after(jobs.RetryLater(timedelta(minutes=5)), 1) == timedelta(minutes=5)
    assert policy.delay_after(jobs.RetryLater(timedelta(minutes=5)), 4) is None
    assert jobs.Retry().delay_after(error, 1) is None  # one run by default


def test_bad_registrations_are_refused() -> None:
    with pytest.raises(ValueError):
        jobs.task("Bad Name")

    def not_async() -> None: ...

    with pytest.raises(TypeError):
        jobs.task("test.not-async")(not_async)  # type: ignore[type-var]
    with pytest.raises(ValueError):
        jobs.periodic("test.both", every=timedelta(minutes=1), cron="* * * * *")
    with pytest.raises(ValueError):
        jobs.periodic("test.bad-cron", cron="every day")
    with pytest.raises(jobs.UnknownTask):
        get_task("test.nobody")
