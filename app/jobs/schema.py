"""Procrastinate's schema on PostgreSQL, applied by this package's Tortoise migrations.

Procrastinate ships its schema as numbered migration files (`procrastinate/sql/migrations`,
one per change, never edited once released); run in order from the first, they build its
full schema. `apply` runs those up to a given file that have not run yet, each in its own
transaction together with a row in `firebreak_procrastinate_migrations` naming it: some files
add an enum value that a later file uses, which PostgreSQL allows only once it is committed,
and an interrupted run resumes where it stopped.

Migration `0002_procrastinate` applies them up to `PINNED_LAST`, the last file of the minor
version pyproject.toml pins. Raising the pin: add a migration calling `apply` with the new
version's last file, and move the pin."""

from __future__ import annotations

from importlib import resources

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

PINNED_LAST = "03.04.00_50_post_add_retry_failed_job_procedure.sql"

# The worker's "when is the next job due" query (postgres.py) reads the earliest waiting
# scheduled job; procrastinate's own indexes order waiting jobs by priority and id only.
DUE_INDEX = (
    "CREATE INDEX IF NOT EXISTS firebreak_jobs_todo_scheduled_at "
    "ON procrastinate_jobs (scheduled_at) WHERE status = 'todo'"
)

_LEDGER = "CREATE TABLE IF NOT EXISTS firebreak_procrastinate_migrations (name TEXT PRIMARY KEY)"


def migration_files(up_to: str) -> list[tuple[str, str]]:
    """(name, SQL) of procrastinate's migration files up to `up_to`, in order."""
    folder = resources.files("procrastinate.sql.migrations")
    names = sorted(entry.name for entry in folder.iterdir() if entry.name.endswith(".sql"))
    if up_to not in names:
        raise RuntimeError(f"the installed procrastinate has no migration {up_to}: install the pinned version")
    return [(name, (folder / name).read_text(encoding="utf-8")) for name in names if name <= up_to]


async def apply(client: BaseDBAsyncClient, *, up_to: str) -> list[str]:
    """Run the files not run yet, up to `up_to`, on PostgreSQL (nothing on SQLite); their names."""
    if client.capabilities.dialect != "postgres":
        return []
    await client.execute_script(_LEDGER)
    done = {
        row["name"] for row in await client.execute_query_dict("SELECT name FROM firebreak_procrastinate_migrations")
    }
    ran = []
    for name, sql in migration_files(up_to):
        if name in done:
            continue
        async with in_transaction(client.connection_name) as transaction:
            await transaction.execute_script(sql)
            await transaction.execute_query("INSERT INTO firebreak_procrastinate_migrations (name) VALUES ($1)", [name])
        ran.append(name)
    return ran
