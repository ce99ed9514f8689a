from tortoise import fields, migrations
from tortoise.indexes import Index
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name="Job",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("task_name", fields.CharField(max_length=128)),
                ("args", fields.TextField(unique=False)),
                ("status", fields.CharField(default="todo", max_length=8)),
                ("run_at", fields.BigIntField()),
                ("attempts", fields.IntField(default=0)),
                ("queueing_lock", fields.CharField(null=True, max_length=255)),
                ("locked_by", fields.CharField(null=True, max_length=32)),
                ("locked_until", fields.BigIntField(null=True)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "jobs",
                "app": "jobs",
                "indexes": [Index(fields=["status", "run_at"]), Index(fields=["status", "locked_until"])],
                "pk_attr": "id",
                "table_description": "One job. `status` is `todo` (waiting for `run_at`), `doing` (claimed by the runner",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="PeriodicTick",
            fields=[
                ("task_name", fields.CharField(primary_key=True, unique=True, db_index=True, max_length=128)),
                ("last_timestamp", fields.BigIntField()),
            ],
            options={
                "table": "jobs_periodic",
                "app": "jobs",
                "pk_attr": "task_name",
                "table_description": "The latest tick deferred of a periodic task: a tick is deferred once, by one runner.",
            },
            bases=["Model"],
        ),
        ops.RunSQL(
            "CREATE UNIQUE INDEX jobs_waiting_queueing_lock ON jobs (queueing_lock) WHERE status = 'todo'",
            reverse_sql="DROP INDEX jobs_waiting_queueing_lock",
        ),
    ]
