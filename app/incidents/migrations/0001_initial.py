from orjson import loads
from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from tortoise.migrations import operations as ops

from app.incidents.enums import IncidentRole, IncidentStatus, Severity


class Migration(migrations.Migration):
    dependencies = [("catalog", "0001_initial"), ("identity", "0001_initial")]

    initial = True

    operations = [
        ops.CreateModel(
            name="Counter",
            fields=[
                ("name", fields.CharField(primary_key=True, unique=True, db_index=True, max_length=50)),
                ("value", fields.BigIntField(default=0)),
            ],
            options={
                "table": "counters",
                "app": "incidents",
                "pk_attr": "name",
                "table_description": "Named gap-free counters (incident numbers), bumped under a row lock.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Incident",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("number", fields.BigIntField(unique=True)),
                ("title", fields.CharField(max_length=200)),
                ("summary", fields.TextField(default="", unique=False)),
                (
                    "severity",
                    fields.CharEnumField(
                        description="SEV1: SEV1\nSEV2: SEV2\nSEV3: SEV3\nSEV4: SEV4", enum_type=Severity, max_length=8
                    ),
                ),
                (
                    "status",
                    fields.CharEnumField(
                        db_index=True,
                        description="TRIAGE: TRIAGE\nINVESTIGATING: INVESTIGATING\nIDENTIFIED: IDENTIFIED\nMONITORING: MONITORING\nRESOLVED: RESOLVED\nPOSTMORTEM: POSTMORTEM\nCLOSED: CLOSED\nDECLINED: DECLINED\nMERGED: MERGED",
                        enum_type=IncidentStatus,
                        max_length=16,
                    ),
                ),
                ("private", fields.BooleanField(default=False)),
                ("version", fields.IntField(default=1)),
                ("last_sequence", fields.IntField(default=0)),
                ("declared_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("acknowledged_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("identified_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("mitigated_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("resolved_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("closed_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("updated_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
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
                (
                    "merged_into",
                    fields.ForeignKeyField(
                        "incidents.Incident",
                        source_field="merged_into_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
            ],
            options={"table": "incidents", "app": "incidents", "pk_attr": "id"},
            bases=["Model"],
        ),
        ops.CreateModel(
            name="IncidentService",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "incident",
                    fields.ForeignKeyField(
                        "incidents.Incident",
                        source_field="incident_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="service_links",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "service",
                    fields.ForeignKeyField(
                        "catalog.Service",
                        source_field="service_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="incident_links",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
            ],
            options={
                "table": "incident_services",
                "app": "incidents",
                "unique_together": (("incident", "service"),),
                "pk_attr": "id",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="RoleAssignment",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "incident",
                    fields.ForeignKeyField(
                        "incidents.Incident",
                        source_field="incident_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="role_assignments",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "role",
                    fields.CharEnumField(
                        description="INCIDENT_COMMANDER: INCIDENT_COMMANDER\nTECH_LEAD: TECH_LEAD\nCOMMUNICATIONS: COMMUNICATIONS\nSCRIBE: SCRIBE",
                        enum_type=IncidentRole,
                        max_length=32,
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
                ("assigned_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "incident_roles",
                "app": "incidents",
                "unique_together": (("incident", "role"),),
                "pk_attr": "id",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="TimelineEvent",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "incident",
                    fields.ForeignKeyField(
                        "incidents.Incident",
                        source_field="incident_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="timeline",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("sequence", fields.IntField()),
                ("kind", fields.CharField(max_length=40)),
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
                ("occurred_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("recorded_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("message", fields.TextField(default="", unique=False)),
                ("data", fields.JSONField(default=dict, encoder=JSON_DUMPS, decoder=loads)),
            ],
            options={
                "table": "timeline_events",
                "app": "incidents",
                "unique_together": (("incident", "sequence"),),
                "pk_attr": "id",
            },
            bases=["Model"],
        ),
    ]
