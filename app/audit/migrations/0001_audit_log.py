from orjson import loads
from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("identity", "0002_access_control")]

    initial = True

    operations = [
        ops.CreateModel(
            name="AuditEntry",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("at", fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
                (
                    "actor",
                    fields.ForeignKeyField(
                        "identity.User",
                        source_field="actor_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                ("actor_label", fields.CharField(max_length=100)),
                ("operation", fields.CharField(db_index=True, max_length=100)),
                ("target", fields.CharField(null=True, max_length=200)),
                ("request_id", fields.CharField(null=True, max_length=64)),
                ("client_ip", fields.CharField(null=True, max_length=64)),
                ("outcome", fields.CharField(max_length=50)),
                ("details", fields.JSONField(default=dict, encoder=JSON_DUMPS, decoder=loads)),
            ],
            options={"table": "audit_log", "app": "audit", "pk_attr": "id"},
            bases=["Model"],
        ),
    ]
