"""A periodic test task, imported only by the worker processes of the periodic test."""

from __future__ import annotations

from app import jobs
from tests.jobs.support import record


@jobs.periodic("test.tick", cron="* * * * * *")
async def tick(*, timestamp: int) -> None:
    await record(f"tick:{timestamp}", "done")
