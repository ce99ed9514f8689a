"""Procrastinate's schema on PostgreSQL, up to the pinned version (see app/jobs/schema.py);
nothing on SQLite, where the local runner's tables (0001) hold the jobs."""

from typing import Any

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.migrations.schema_editor.base import BaseSchemaEditor

from app.jobs import schema


async def forward(apps: Any, schema_editor: BaseSchemaEditor) -> None:
    if schema_editor.client.capabilities.dialect == "postgres":
        await schema.apply(schema_editor.client, up_to=schema.PINNED_LAST)
        await schema_editor.client.execute_script(schema.DUE_INDEX)


class Migration(migrations.Migration):
    dependencies = [("jobs", "0001_initial")]

    initial = False
    # Each of procrastinate's files runs in its own transaction (see app/jobs/schema.py).
    atomic = False

    operations = [ops.RunPython(forward)]
