from orjson import loads
from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from tortoise.indexes import Index
from tortoise.migrations import operations as ops

from app.alerts.enums import AlertSeverity, AlertSource, AlertStatus


class Migration(migrations.Migration):
    dependencies = [
        ("alerts", "0001_integrations"),
        ("catalog", "0001_initial"),
        ("identity", "0001_initial"),
        ("incidents", "0001_initial"),
    ]

    initial = False

    operations = [
        ops.CreateModel(
            name="Alert",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "service",
                    fields.ForeignKeyField(
                        "catalog.Service",
                        source_field="service_id",
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "integration",
                    fields.ForeignKeyField(
                        "alerts.Integration",
                        source_field="integration_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                (
                    "reporter",
                    fields.ForeignKeyField(
                        "identity.User",
                        source_field="reporter_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                (
                    "source",
                    fields.CharEnumField(
                        description="ALERTMANAGER: ALERTMANAGER\nGRAFANA: GRAFANA\nEVENTS_V2: EVENTS_V2\nGENERIC: GENERIC\nPERSON: PERSON",
                        enum_type=AlertSource,
                        max_length=16,
                    ),
                ),
                ("dedup_key", fields.CharField(max_length=255)),
                ("open_key", fields.CharField(null=True, max_length=255)),
                (
                    "status",
                    fields.CharEnumField(
                        description="FIRING: FIRING\nACKNOWLEDGED: ACKNOWLEDGED\nRESOLVED: RESOLVED",
                        enum_type=AlertStatus,
                        max_length=16,
                    ),
                ),
                (
                    "severity",
                    fields.CharEnumField(
                        description="CRITICAL: CRITICAL\nERROR: ERROR\nWARNING: WARNING\nINFO: INFO",
                        enum_type=AlertSeverity,
                        max_length=16,
                    ),
                ),
                ("summary", fields.CharField(max_length=1024)),
                ("details", fields.JSONField(default=dict, encoder=JSON_DUMPS, decoder=loads)),
                ("labels", fields.JSONField(default=dict, encoder=JSON_DUMPS, decoder=loads)),
                ("annotations", fields.JSONField(default=dict, encoder=JSON_DUMPS, decoder=loads)),
                ("links", fields.JSONField(default=list, encoder=JSON_DUMPS, decoder=loads)),
                ("started_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("first_seen_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("last_seen_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("acknowledged_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("resolved_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("updated_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("occurrences", fields.IntField(default=1)),
                (
                    "incident",
                    fields.ForeignKeyField(
                        "incidents.Incident",
                        source_field="incident_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                ("attached_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "alerts",
                "app": "alerts",
                "unique_together": (("dedup_key", "integration", "open_key"),),
                "indexes": [
                    Index(fields=["service_id", "id"]),
                    Index(fields=["incident_id", "id"]),
                    Index(fields=["incident_id", "status"]),
                    Index(fields=["updated_at"]),
                ],
                "pk_attr": "id",
            },
            bases=["Model"],
        ),
        ops.AddField(
            model_name="AlertRules",
            name="group_attached_at",
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name="AlertRules",
            name="group_incident",
            field=fields.ForeignKeyField(
                "incidents.Incident",
                source_field="group_incident_id",
                null=True,
                db_constraint=True,
                to_field="id",
                related_name=False,
                on_delete=OnDelete.SET_NULL,
            ),
        ),
    ]
