"""Job timing on PostgreSQL: N jobs due evenly over a window, run by 2 worker processes
(procrastinate, as `firebreak worker` runs it). Each handler records how late it started
(its start minus its `run_at`) in a table, as an escalation step writes its page; prints
p50/p99/max lateness and whether any job ran twice or never.

    python bench/jobs.py [--jobs 2000] [--window 120] [--workers 2] [--concurrency 10]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tortoise.connection import get_connection  # noqa: E402

from app import jobs  # noqa: E402

LEAD = 20.0  # seconds between the start of deferring and the first job's time


@jobs.task("bench.late")
async def late(*, n: int, due: float) -> None:
    started = time.time()
    await get_connection("default").execute_query(
        "INSERT INTO bench_job_runs (n, lateness, pid) VALUES ($1, $2, $3)", [n, started - due, os.getpid()]
    )


async def prepare(database_url: str) -> None:
    from app import db
    from app.config import load_settings

    await db.init(load_settings(database_url=database_url))
    await db.migrate()
    await get_connection("default").execute_script(
        "CREATE TABLE bench_job_runs (n INTEGER NOT NULL, lateness DOUBLE PRECISION NOT NULL, pid INTEGER NOT NULL)"
    )
    await db.close()


async def run(database_url: str, count: int, window: float, workers: int) -> list[dict[str, Any]]:
    from app import db
    from app.config import load_settings
    from app.events import unit_of_work

    settings = load_settings(database_url=database_url)
    await db.init(settings)
    engine = jobs.create_engine(settings)
    jobs.set_engine(engine)
    connection = get_connection("default")
    try:
        while (await connection.execute_query_dict("SELECT COUNT(*) AS n FROM procrastinate_workers"))[0][
            "n"
        ] < workers:
            await asyncio.sleep(0.1)
        start = time.time() + LEAD
        for first in range(0, count, 500):
            async with unit_of_work() as outbox:
                for n in range(first, min(first + 500, count)):
                    due = start + window * n / count
                    await jobs.defer(
                        "bench.late",
                        {"n": n, "due": due},
                        run_at=datetime.fromtimestamp(due, UTC),
                        connection=outbox.connection,
                    )
        print(f"deferred {count} jobs in {time.time() - start + LEAD:.2f} s; first due in {start - time.time():.1f} s")
        deadline = start + window + 60
        while time.time() < deadline:
            done = (await connection.execute_query_dict("SELECT COUNT(*) AS n FROM bench_job_runs"))[0]["n"]
            if done >= count and time.time() > start + window:
                break
            await asyncio.sleep(1)
        return await connection.execute_query_dict("SELECT n, lateness, pid FROM bench_job_runs")
    finally:
        jobs.set_engine(None)
        await db.close()


def start_worker(database_url: str, concurrency: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "DATABASE_URL": database_url, "FIREBREAK_LOG_LEVEL": "WARNING", "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-m", "bench.jobs", "--worker", "--concurrency", str(concurrency)], env=env, cwd=ROOT
    )


def worker_main(concurrency: int) -> None:
    from app.config import configure_logging, load_settings
    from app.jobs.process import run_worker

    settings = load_settings()
    configure_logging(settings)
    asyncio.run(run_worker(settings, concurrency=concurrency))  # this module (__main__) registered the task


def report(rows: list[dict[str, Any]], count: int, window: float, workers: int) -> None:
    seen = [row["n"] for row in rows]
    lateness = sorted(row["lateness"] for row in rows)
    twice = len(seen) - len(set(seen))
    missing = count - len(set(seen))
    per_worker = {pid: sum(1 for row in rows if row["pid"] == pid) for pid in {row["pid"] for row in rows}}
    print(f"{count} jobs due over {window:g} s, {workers} worker processes")
    if lateness:
        p50 = statistics.median(lateness)
        p99 = lateness[min(len(lateness) - 1, int(len(lateness) * 0.99))]
        print(f"lateness: p50 {p50 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms, max {lateness[-1] * 1000:.0f} ms")
        print(f"earliest: {lateness[0] * 1000:.1f} ms (negative would be early)")
    print(f"ran twice: {twice}, never ran: {missing}, jobs per worker: {sorted(per_worker.values())}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=2000)
    parser.add_argument("--window", type=float, default=120.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=10)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.worker:
        worker_main(options.concurrency)
        return

    from bench.common import postgres_database

    with postgres_database() as url:
        asyncio.run(prepare(url))
        processes = [start_worker(url, options.concurrency) for _ in range(options.workers)]
        try:
            rows = asyncio.run(run(url, options.jobs, options.window, options.workers))
        finally:
            for process in processes:
                process.send_signal(signal.SIGTERM)
            for process in processes:
                process.wait(timeout=60)
        report(rows, options.jobs, options.window, options.workers)


if __name__ == "__main__":
    main()
