"""Worker processes for real, on both databases: killed with SIGKILL mid-job, two at once on one
database, started after their jobs came due, and a periodic task under two workers. Workers run
with a 0.5 s heartbeat and count as dead after 2 s of silence (tests/jobs/support.FAST_JOBS)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from app import clock, jobs
from app.events import unit_of_work
from app.jobs import Engine
from tests.conftest import Backend
from tests.jobs.conftest import spawn
from tests.jobs.support import WorkerProcess, eventually, query, record, runs


async def test_a_job_killed_mid_run_runs_again_after_a_restart(
    engine: Engine, runs_table: Backend, workers: list[WorkerProcess], tmp_path: Path
) -> None:
    job_id = await jobs.defer("test.block", {"marker": "k"})
    first = spawn(runs_table, tmp_path, workers)
    started = await eventually(lambda: runs("k", "start"), what="the job to start in the first worker")
    assert started[0]["pid"] == first.pid
    first.kill()

    second = spawn(runs_table, tmp_path, workers)
    await eventually(lambda: _started_in(second.pid), timeout=60, what="the job to run again in the second worker")
    await record("k", "release")
    await eventually(lambda: runs("k", "done"), what="the job to finish")
    assert [row["pid"] for row in await runs("k", "start")] == [first.pid, second.pid]
    assert len(await runs("k", "done")) == 1
    assert job_id is not None
    await eventually(lambda: _gone(engine, job_id), what="the job to be removed")
    assert second.stop() == 0, second.output()


async def _started_in(pid: int) -> bool:
    return any(row["pid"] == pid for row in await runs("k", "start"))


async def _gone(engine: Engine, job_id: int) -> bool:
    return await engine.get(job_id) is None


async def test_two_workers_on_one_database_run_each_of_1000_jobs_once(
    engine: Engine, runs_table: Backend, workers: list[WorkerProcess], tmp_path: Path
) -> None:
    async with unit_of_work() as outbox:
        for n in range(1000):
            await jobs.defer("test.record", {"marker": f"j{n}"}, connection=outbox.connection)
    for _ in range(2):
        spawn(runs_table, tmp_path, workers, concurrency=8)
    await eventually(lambda: _done_count(1000), timeout=240, what="1,000 jobs to run")
    await eventually(
        lambda: _no_jobs_left(runs_table), what="every job to be removed"
    )  # nothing left that could run again
    done = [row["marker"] for row in await runs(phase="done")]
    assert len(done) == 1000 and set(done) == {f"j{n}" for n in range(1000)}
    assert {row["pid"] for row in await runs(phase="done")} <= {worker.pid for worker in workers}
    for worker in workers:
        assert worker.stop() == 0, worker.output()


async def _done_count(expected: int) -> bool:
    rows = await query("SELECT COUNT(*) AS n FROM job_test_runs WHERE phase = 'done'")
    return bool(rows[0]["n"] >= expected)


async def _no_jobs_left(backend: Backend) -> bool:
    table = "procrastinate_jobs" if backend.is_postgres else "jobs"
    rows = await query(f"SELECT COUNT(*) AS n FROM {table}")
    return bool(rows[0]["n"] == 0)


async def test_a_job_due_while_no_worker_runs_fires_when_one_starts(
    engine: Engine, runs_table: Backend, workers: list[WorkerProcess], tmp_path: Path
) -> None:
    overdue = await jobs.defer("test.record", {"marker": "overdue"}, run_at=clock.now() - timedelta(minutes=5))
    soon = await jobs.defer("test.record", {"marker": "soon"}, run_at=clock.now() + timedelta(seconds=1))
    assert overdue is not None and soon is not None
    info = await engine.get(overdue)
    assert info is not None and info.status == "waiting"  # due, and no worker anywhere

    worker = spawn(runs_table, tmp_path, workers)
    await eventually(lambda: runs("overdue", "done"), what="the overdue job once a worker starts")
    await eventually(lambda: runs("soon", "done"), what="the later job at its time")
    assert {row["pid"] for row in await runs(phase="done")} == {worker.pid}


async def test_a_periodic_task_runs_once_per_tick_across_two_workers(
    engine: Engine, runs_table: Backend, workers: list[WorkerProcess], tmp_path: Path
) -> None:
    for _ in range(2):
        spawn(runs_table, tmp_path, workers, imports=("tests.jobs.periodic_tasks",))
    await eventually(lambda: _ticks(4), timeout=60, what="four ticks")
    for worker in workers:
        assert worker.stop() == 0, worker.output()
    ticks = [row["marker"] for row in await runs(phase="done") if row["marker"].startswith("tick:")]
    assert len(ticks) == len(set(ticks)), sorted(ticks)
    assert {row["pid"] for row in await runs(phase="done")} <= {worker.pid for worker in workers}


async def _ticks(expected: int) -> bool:
    return len([row for row in await runs(phase="done") if row["marker"].startswith("tick:")]) >= expected


async def test_a_killed_job_whose_lock_has_a_waiting_job_does_not_block_it(
    engine: Engine, runs_table: Backend, workers: list[WorkerProcess], tmp_path: Path
) -> None:
    """PostgreSQL puts a dead worker's job back to waiting, which a waiting job with the same
    queueing lock forbids: that job supersedes it. SQLite's runner takes the job over as it is
    (running again; the lock only counts waiting jobs). Either way the waiting job stays."""
    killed = await jobs.defer("test.block", {"marker": "ks"}, queueing_lock="page:5")
    first = spawn(runs_table, tmp_path, workers)
    await eventually(lambda: runs("ks", "start"), what="the job to start")
    waiting = await jobs.defer(
        "test.record", {"marker": "ks2"}, run_at=clock.now() + timedelta(hours=1), queueing_lock="page:5"
    )
    assert killed is not None and waiting is not None
    first.kill()
    second = spawn(runs_table, tmp_path, workers)
    if runs_table.is_postgres:
        await eventually(lambda: _gone(engine, killed), timeout=60, what="the stalled job to give way")
        assert len(await runs("ks", "start")) == 1
    else:
        await eventually(lambda: _started_in_marker("ks", second.pid), timeout=60, what="the job taken over")
        await record("ks", "release")
        await eventually(lambda: _gone(engine, killed), what="the job to finish")
    info = await engine.get(waiting)
    assert info is not None and info.status == "waiting"


async def _started_in_marker(marker: str, pid: int) -> bool:
    return any(row["pid"] == pid for row in await runs(marker, "start"))
