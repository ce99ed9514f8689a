"""The job engine in this process, on both databases: procrastinate on PostgreSQL, the local
runner on SQLite. Handlers record what ran in a real table; nothing is mocked."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from app import clock, jobs
from app.events import unit_of_work
from app.jobs import Engine
from tests.conftest import Backend
from tests.jobs.conftest import make_engine
from tests.jobs.support import eventually, query, record, runs


async def done(marker: str) -> bool:
    return bool(await runs(marker, "done"))


async def test_a_deferred_job_runs_once_and_is_gone(engine: Engine) -> None:
    await engine.start(concurrency=2)
    job_id = await jobs.defer("test.record", {"marker": "a"})
    assert job_id is not None
    await eventually(lambda: done("a"), what="the job to run")
    await eventually(lambda: _gone(engine, job_id), what="the finished job to be removed")
    assert len(await runs("a")) == 1


async def _gone(engine: Engine, job_id: int) -> bool:
    return await engine.get(job_id) is None


async def test_a_failing_job_is_retried_after_its_backoff(engine: Engine) -> None:
    await engine.start()
    await jobs.defer("test.flaky", {"marker": "f", "failures": 2})
    await eventually(lambda: done("f"), what="the third attempt to succeed")
    starts = [row["at"] for row in await runs("f", "start")]
    assert len(starts) == 3
    # 300 ms constant backoff: no retry started earlier than that after the previous run.
    assert all(later - earlier >= 0.3 for earlier, later in zip(starts, starts[1:], strict=False))


async def test_a_job_fails_for_good_once_its_attempts_are_spent(engine: Engine) -> None:
    await engine.start()
    job_id = await jobs.defer("test.fails", {"marker": "x"})
    assert job_id is not None

    async def failed() -> bool:
        info = await engine.get(job_id)
        return info is not None and info.status == "failed"

    await eventually(failed, what="the job to fail")
    assert len(await runs("x", "start")) == 2
    info = await engine.get(job_id)
    assert info is not None and info.attempts == 2


async def test_a_handler_chooses_when_to_run_again(engine: Engine) -> None:
    await engine.start()
    job_id = await jobs.defer("test.later", {"marker": "l"})
    assert job_id is not None

    async def rescheduled() -> bool:
        info = await engine.get(job_id)
        return info is not None and info.status == "waiting" and info.attempts == 1

    await eventually(rescheduled, what="the job to wait again")
    info = await engine.get(job_id)
    assert info is not None and info.run_at is not None
    assert info.run_at >= clock.now() + timedelta(minutes=59)
    assert len(await runs("l", "start")) == 1


async def test_a_rolled_back_transaction_defers_nothing(engine: Engine) -> None:
    await engine.start()
    deferred: list[int | None] = []
    with pytest.raises(RuntimeError):
        async with unit_of_work() as outbox:
            deferred.append(await jobs.defer("test.record", {"marker": "rolled"}, connection=outbox.connection))
            raise RuntimeError("the change fails")
    async with unit_of_work() as outbox:
        await jobs.defer("test.record", {"marker": "committed"}, connection=outbox.connection)
    await eventually(lambda: done("committed"), what="the committed job")
    assert deferred[0] is not None and await engine.get(deferred[0]) is None
    assert await runs("rolled") == []


async def test_queueing_lock_keeps_one_waiting_job(engine: Engine) -> None:
    later = clock.now() + timedelta(hours=1)
    first = await jobs.defer("test.record", {"marker": "q1"}, run_at=later, queueing_lock="page:1")
    assert first is not None
    assert await jobs.defer("test.record", {"marker": "q2"}, run_at=later, queueing_lock="page:1") is None
    # Inside a transaction the conflict leaves the transaction usable: the rest commits.
    async with unit_of_work() as outbox:
        assert (
            await jobs.defer("test.record", {"marker": "q3"}, queueing_lock="page:1", connection=outbox.connection)
            is None
        )
        other = await jobs.defer("test.record", {"marker": "q4"}, run_at=later, connection=outbox.connection)
    assert other is not None and await engine.get(other) is not None
    assert await jobs.defer("test.record", {"marker": "q5"}, run_at=later, queueing_lock="page:2") is not None


async def test_a_concurrent_defer_with_the_same_lock_waits_for_the_first_transaction(
    engine: Engine, runs_table: Backend
) -> None:
    entered, finish = asyncio.Event(), asyncio.Event()

    async def first() -> int | None:
        async with unit_of_work() as outbox:
            job_id = await jobs.defer(
                "test.record", {"marker": "c1"}, queueing_lock="page:9", connection=outbox.connection
            )
            entered.set()
            await finish.wait()
            return job_id

    holder = asyncio.create_task(first())
    await entered.wait()
    second = asyncio.create_task(jobs.defer("test.record", {"marker": "c2"}, queueing_lock="page:9"))
    if runs_table.is_postgres:  # the second insert waits on the first transaction's index entry
        await eventually(_someone_waits_on_a_lock, what="the second defer to wait")
    else:  # SQLite: the second waits for the connection the transaction holds
        await asyncio.sleep(0)
    assert not second.done()
    finish.set()
    assert await holder is not None
    assert await second is None


async def _someone_waits_on_a_lock() -> bool:
    rows = await query(
        "SELECT COUNT(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    return bool(rows[0]["n"] > 0)


async def test_a_running_job_does_not_hold_its_queueing_lock(engine: Engine) -> None:
    await engine.start()
    running = await jobs.defer("test.block", {"marker": "r"}, queueing_lock="page:3")
    await eventually(lambda: runs("r", "start"), what="the job to start")
    waiting = await jobs.defer(
        "test.block", {"marker": "r2"}, run_at=clock.now() + timedelta(hours=1), queueing_lock="page:3"
    )
    assert running is not None and waiting is not None
    await record("r", "release")
    await eventually(lambda: done("r"), what="the running job to finish")


async def test_a_retry_colliding_with_a_waiting_job_of_its_lock_gives_way(engine: Engine) -> None:
    await engine.start()
    running = await jobs.defer("test.block-then-fail", {"marker": "rc"}, queueing_lock="page:4")
    await eventually(lambda: runs("rc", "start"), what="the job to start")
    waiting = await jobs.defer(
        "test.record", {"marker": "rc2"}, run_at=clock.now() + timedelta(hours=1), queueing_lock="page:4"
    )
    assert running is not None and waiting is not None
    await record("rc", "release")
    await eventually(lambda: _gone(engine, running), what="the failed job to give way")
    info = await engine.get(waiting)
    assert info is not None and info.status == "waiting"
    assert len(await runs("rc", "start")) == 1
    # The worker goes on: a later job runs.
    await jobs.defer("test.record", {"marker": "after"})
    await eventually(lambda: done("after"), what="a later job")


async def test_cancel_removes_a_waiting_job_and_leaves_a_running_one(engine: Engine) -> None:
    waiting = await jobs.defer("test.record", {"marker": "w"}, run_at=clock.now() + timedelta(hours=1))
    assert waiting is not None
    assert await jobs.cancel(waiting) is True
    assert await engine.get(waiting) is None
    assert await jobs.cancel(waiting) is False

    await engine.start()
    running = await jobs.defer("test.block", {"marker": "b"})
    assert running is not None
    await eventually(lambda: runs("b", "start"), what="the job to start")
    assert await jobs.cancel(running) is False
    await record("b", "release")
    await eventually(lambda: done("b"), what="the job to finish")


async def test_a_scheduled_job_wakes_the_worker_at_its_time_not_at_the_next_poll(runs_table: Backend) -> None:
    engine = make_engine(runs_table, jobs_poll_interval=600.0)
    jobs.set_engine(engine)
    try:
        await engine.start()
        await asyncio.sleep(0)  # let the worker reach its first wait
        due = clock.now() + timedelta(seconds=1)
        await jobs.defer("test.record", {"marker": "s"}, run_at=due)
        await eventually(lambda: done("s"), timeout=60, what="the scheduled job (a poll would take 10 minutes)")
        assert (await runs("s", "done"))[0]["at"] >= due.timestamp()  # never early
    finally:
        await engine.stop()
        jobs.set_engine(None)


async def test_stopping_past_the_bound_puts_a_running_job_back(engine: Engine, runs_table: Backend) -> None:
    await engine.start()
    job_id = await jobs.defer("test.block", {"marker": "stop"})
    assert job_id is not None
    await eventually(lambda: runs("stop", "start"), what="the job to start")
    await engine.stop(timeout=0.1)
    info = await engine.get(job_id)
    assert info is not None and info.status == "waiting"

    again = make_engine(runs_table)
    jobs.set_engine(again)
    try:
        await again.start()
        await eventually(lambda: _started_twice("stop"), what="the job to run again")
        await record("stop", "release")
        await eventually(lambda: done("stop"), what="the job to finish")
    finally:
        await again.stop()


async def _started_twice(marker: str) -> bool:
    return len(await runs(marker, "start")) == 2


async def test_bad_jobs_are_refused_before_anything_is_written(engine: Engine) -> None:
    with pytest.raises(jobs.UnknownTask):
        await jobs.defer("test.nobody", {})
    with pytest.raises(TypeError):
        await jobs.defer("test.record", {"marker": clock.now()})
    with pytest.raises(ValueError):
        await jobs.defer("test.record", {"marker": "n"}, run_at=clock.now().replace(tzinfo=None))


async def test_many_jobs_with_concurrency_each_run_once(engine: Engine) -> None:
    async with unit_of_work() as outbox:
        for n in range(50):
            await jobs.defer("test.record", {"marker": f"m{n}"}, connection=outbox.connection)
    await engine.start(concurrency=8)
    await eventually(lambda: _count_done(50), what="50 jobs")
    rows = [r["marker"] for r in await runs(phase="done")]
    assert sorted(rows) == sorted(f"m{n}" for n in range(50))


async def _count_done(expected: int) -> bool:
    return len(await runs(phase="done")) >= expected
