"""Tables of the local job runner (SQLite): the jobs themselves and the last tick deferred of
each periodic task. On PostgreSQL procrastinate keeps its own tables (`procrastinate_*`)."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class Job(Model):
    """One job. `status` is `todo` (waiting for `run_at`), `doing` (claimed by the runner
    `locked_by` until `locked_until`, a lease it renews while the handler runs) or `failed`
    (attempts spent). A job that succeeds or is cancelled is deleted. Times are microseconds
    since the epoch, compared as integers."""

    id = fields.BigIntField(primary_key=True)
    task_name = fields.CharField(max_length=128)
    args = fields.TextField()
    status = fields.CharField(max_length=8, default="todo")
    run_at = fields.BigIntField()
    attempts = fields.IntField(default=0)
    queueing_lock = fields.CharField(max_length=255, null=True)
    locked_by = fields.CharField(max_length=32, null=True)
    locked_until = fields.BigIntField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "jobs"
        indexes = (("status", "run_at"), ("status", "locked_until"))
        # Plus, in migration 0001, a partial unique index: at most one waiting job per queueing
        # lock (a running one does not count). Tortoise creates partial indexes on PostgreSQL only.


class PeriodicTick(Model):
    """The latest tick deferred of a periodic task: a tick is deferred once, by one runner."""

    task_name = fields.CharField(max_length=128, primary_key=True)
    last_timestamp = fields.BigIntField()

    class Meta:
        table = "jobs_periodic"
