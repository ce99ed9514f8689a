"""The local runner's statements on its `jobs` table (SQLite). Every change is one statement,
atomic under SQLite's single writer, so runners in several processes never claim one job twice;
the finishing statements name the runner, so a runner whose lease was taken over changes nothing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.connection import get_connection
from tortoise.transactions import in_transaction

from app.jobs.engine import Deferral, JobInfo, JobStatus

_STATUS: dict[str, JobStatus] = {"todo": "waiting", "doing": "running", "failed": "failed"}


def micros(moment: datetime) -> int:
    return int(moment.timestamp() * 1_000_000)


def from_micros(value: int) -> datetime:
    return datetime.fromtimestamp(value / 1_000_000, UTC)


@dataclass(frozen=True)
class Claimed:
    id: int
    task: str
    args: dict[str, Any]
    attempts: int


def _default() -> BaseDBAsyncClient:
    return get_connection("default")


async def insert(deferral: Deferral, run_at: int, connection: BaseDBAsyncClient | None) -> int | None:
    rows = await (connection or _default()).execute_query_dict(
        "INSERT INTO jobs (task_name, args, status, run_at, attempts, queueing_lock, created_at)"
        " VALUES (?, ?, 'todo', ?, 0, ?, ?)"
        " ON CONFLICT (queueing_lock) WHERE status = 'todo' DO NOTHING RETURNING id",
        [deferral.task, deferral.args_json, run_at, deferral.queueing_lock, datetime.now(UTC).isoformat()],
    )
    return int(rows[0]["id"]) if rows else None


async def delete_waiting(job_id: int, connection: BaseDBAsyncClient | None) -> bool:
    rows = await (connection or _default()).execute_query_dict(
        "DELETE FROM jobs WHERE id = ? AND status = 'todo' RETURNING id", [job_id]
    )
    return bool(rows)


async def get(job_id: int) -> JobInfo | None:
    rows = await _default().execute_query_dict(
        "SELECT id, task_name, args, status, run_at, attempts, queueing_lock FROM jobs WHERE id = ?", [job_id]
    )
    if not rows:
        return None
    row = rows[0]
    return JobInfo(
        id=int(row["id"]),
        task=row["task_name"],
        args=orjson.loads(row["args"]),
        status=_STATUS[row["status"]],
        run_at=from_micros(row["run_at"]),
        attempts=int(row["attempts"]),
        queueing_lock=row["queueing_lock"],
    )


async def claim(owner: str, now: int, lease_until: int, limit: int) -> list[Claimed]:
    """Take up to `limit` due jobs: waiting ones whose time has come, and running ones whose
    runner's lease ran out (it died; this runner knows its own are still running); oldest first."""
    rows = await _default().execute_query_dict(
        "UPDATE jobs SET status = 'doing', locked_by = ?, locked_until = ?, attempts = attempts + 1"
        " WHERE id IN (SELECT id FROM ("
        "   SELECT id, run_at FROM jobs WHERE status = 'todo' AND run_at <= ?"
        "   UNION ALL SELECT id, run_at FROM jobs WHERE status = 'doing' AND locked_until < ? AND locked_by != ?"
        " ) ORDER BY run_at, id LIMIT ?)"
        " RETURNING id, task_name, args, attempts",
        [owner, lease_until, now, now, owner, limit],
    )
    return [Claimed(int(r["id"]), r["task_name"], orjson.loads(r["args"]), int(r["attempts"])) for r in rows]


async def next_due(owner: str) -> int | None:
    """The earliest time something may be claimed: a waiting job's time, or the end of another
    runner's lease (if it dies, its jobs are due then)."""
    rows = await _default().execute_query_dict(
        "SELECT MIN(due) AS due FROM ("
        " SELECT MIN(run_at) AS due FROM jobs WHERE status = 'todo'"
        " UNION ALL SELECT MIN(locked_until) FROM jobs WHERE status = 'doing' AND locked_by != ?)",
        [owner],
    )
    due = rows[0]["due"] if rows else None
    return None if due is None else int(due)


async def renew(owner: str, lease_until: int) -> None:
    await _default().execute_query(
        "UPDATE jobs SET locked_until = ? WHERE locked_by = ? AND status = 'doing'", [lease_until, owner]
    )


async def succeed(job_id: int, owner: str) -> None:
    await _default().execute_query("DELETE FROM jobs WHERE id = ? AND locked_by = ?", [job_id, owner])


async def fail(job_id: int, owner: str) -> None:
    await _default().execute_query(
        "UPDATE jobs SET status = 'failed', locked_by = NULL, locked_until = NULL WHERE id = ? AND locked_by = ?",
        [job_id, owner],
    )


async def reschedule(job_id: int, owner: str, run_at: int) -> bool:
    """Back to waiting until `run_at`. False when another job with its queueing lock is already
    waiting: that one supersedes it, and this one is deleted."""
    connection = _default()
    rows = await connection.execute_query_dict(
        "UPDATE jobs SET status = 'todo', run_at = ?, locked_by = NULL, locked_until = NULL"
        " WHERE id = ? AND locked_by = ?"
        " AND (queueing_lock IS NULL OR NOT EXISTS ("
        "   SELECT 1 FROM jobs AS other WHERE other.queueing_lock = jobs.queueing_lock AND other.status = 'todo'))"
        " RETURNING id",
        [run_at, job_id, owner],
    )
    if rows:
        return True
    await succeed(job_id, owner)
    return False


async def defer_tick(deferral: Deferral, timestamp: int) -> int | None:
    """Write the job of a periodic task's tick `timestamp`, unless that tick (or a later one)
    was deferred already, by this runner or another: the mark and the job commit together."""
    async with in_transaction("default") as connection:
        marked = await connection.execute_query_dict(
            "INSERT INTO jobs_periodic (task_name, last_timestamp) VALUES (?, ?)"
            " ON CONFLICT (task_name) DO UPDATE SET last_timestamp = excluded.last_timestamp"
            " WHERE jobs_periodic.last_timestamp < excluded.last_timestamp"
            " RETURNING task_name",
            [deferral.task, timestamp],
        )
        if not marked:
            return None
        return await insert(deferral, timestamp * 1_000_000, connection)
