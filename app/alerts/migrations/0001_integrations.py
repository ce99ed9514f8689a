from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.indexes import Index
from tortoise.migrations import operations as ops

from app.alerts.enums import IntegrationKind
from app.incidents.enums import Severity


class Migration(migrations.Migration):
    dependencies = [("catalog", "0001_initial"), ("identity", "0001_initial")]
    # incidents.0001 declares no dependencies although its models reference catalog and
    # identity; running this migration before it keeps catalog and identity ahead of it in
    # every plan (the plan walks dependencies depth-first, last app label first).
    run_before = [("incidents", "0001_initial")]

    initial = True

    operations = [
        ops.CreateModel(
            name="AlertRules",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "service",
                    fields.OneToOneField(
                        "catalog.Service",
                        source_field="service_id",
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "declare_critical",
                    fields.CharEnumField(
                        null=True,
                        description="SEV1: SEV1\nSEV2: SEV2\nSEV3: SEV3\nSEV4: SEV4",
                        enum_type=Severity,
                        max_length=8,
                    ),
                ),
                (
                    "declare_error",
                    fields.CharEnumField(
                        null=True,
                        description="SEV1: SEV1\nSEV2: SEV2\nSEV3: SEV3\nSEV4: SEV4",
                        enum_type=Severity,
                        max_length=8,
                    ),
                ),
                (
                    "declare_warning",
                    fields.CharEnumField(
                        null=True,
                        description="SEV1: SEV1\nSEV2: SEV2\nSEV3: SEV3\nSEV4: SEV4",
                        enum_type=Severity,
                        max_length=8,
                    ),
                ),
                (
                    "declare_info",
                    fields.CharEnumField(
                        null=True,
                        description="SEV1: SEV1\nSEV2: SEV2\nSEV3: SEV3\nSEV4: SEV4",
                        enum_type=Severity,
                        max_length=8,
                    ),
                ),
                ("grouping_window_minutes", fields.IntField()),
                ("updated_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "alert_rules",
                "app": "alerts",
                "pk_attr": "id",
                "table_description": "A service's alert rules: severities that declare incidents, and the grouping window.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Integration",
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
                    "kind",
                    fields.CharEnumField(
                        description="ALERTMANAGER: ALERTMANAGER\nGRAFANA: GRAFANA\nEVENTS_V2: EVENTS_V2\nGENERIC: GENERIC",
                        enum_type=IntegrationKind,
                        max_length=16,
                    ),
                ),
                ("name", fields.CharField(max_length=100)),
                ("key_hash", fields.CharField(unique=True, max_length=64)),
                ("key_prefix", fields.CharField(max_length=16)),
                ("previous_key_hash", fields.CharField(null=True, unique=True, max_length=64)),
                ("previous_key_expires_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                (
                    "created_by",
                    fields.ForeignKeyField(
                        "identity.User",
                        source_field="created_by_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                ("rotated_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("revoked_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("last_delivery_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "integrations",
                "app": "alerts",
                "indexes": [Index(fields=["service_id", "id"])],
                "pk_attr": "id",
                "table_description": "A sender's entry point for one service. The routing key is stored only as a digest.",
            },
            bases=["Model"],
        ),
    ]
