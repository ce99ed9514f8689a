from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.indexes import Index
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("catalog", "0001_initial"), ("identity", "0001_initial"), ("incidents", "0001_initial")]

    initial = False

    operations = [
        ops.CreateModel(
            name="IncidentMember",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "incident",
                    fields.ForeignKeyField(
                        "incidents.Incident",
                        source_field="incident_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="members",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "user",
                    fields.ForeignKeyField(
                        "identity.User",
                        source_field="user_id",
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("added_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "incident_members",
                "app": "incidents",
                "unique_together": (("incident", "user"),),
                "indexes": [Index(fields=["user_id", "incident_id"])],
                "pk_attr": "id",
                "table_description": "Someone explicitly allowed to see a private incident (besides admins and role holders).",
            },
            bases=["Model"],
        ),
        ops.AddIndex(
            model_name="RoleAssignment",
            index=Index(fields=["user_id", "incident_id"]),
        ),
    ]
