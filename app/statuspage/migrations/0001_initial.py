from orjson import loads
from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from tortoise.indexes import Index
from tortoise.migrations import operations as ops

from app.statuspage.enums import Audience, ComponentStatus, Impact, MaintenanceStatus, PublicStatus


class Migration(migrations.Migration):
    # Only incidents: its own first migration does not declare that it needs identity and
    # catalog, and the planner would then order it before them. Leaves are planned in name
    # order, so catalog and identity still come first.
    dependencies = [("incidents", "0001_initial")]

    initial = True

    operations = [
        ops.CreateModel(
            name="ComponentGroup",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("name", fields.CharField(max_length=100)),
                ("description", fields.TextField(default="", unique=False)),
                ("position", fields.IntField(default=0)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("updated_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={"table": "status_component_groups", "app": "statuspage", "pk_attr": "id"},
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Component",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("name", fields.CharField(max_length=100)),
                ("description", fields.TextField(default="", unique=False)),
                (
                    "group",
                    fields.ForeignKeyField(
                        "statuspage.ComponentGroup",
                        source_field="group_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="components",
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                ("position", fields.IntField(default=0)),
                (
                    "service",
                    fields.ForeignKeyField(
                        "catalog.Service",
                        source_field="service_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                (
                    "status",
                    fields.CharEnumField(
                        default=ComponentStatus.OPERATIONAL,
                        description="OPERATIONAL: OPERATIONAL\nDEGRADED_PERFORMANCE: DEGRADED_PERFORMANCE\nPARTIAL_OUTAGE: PARTIAL_OUTAGE\nMAJOR_OUTAGE: MAJOR_OUTAGE\nUNDER_MAINTENANCE: UNDER_MAINTENANCE",
                        enum_type=ComponentStatus,
                        max_length=24,
                    ),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("updated_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={"table": "status_components", "app": "statuspage", "pk_attr": "id"},
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Maintenance",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("title", fields.CharField(max_length=200)),
                ("scheduled_for", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("scheduled_until", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("started_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("verifying_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("completed_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("cancelled_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
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
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("updated_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "status_maintenances",
                "app": "statuspage",
                "pk_attr": "id",
                "table_description": "A maintenance window. Its status is derived from the clock and the stamps below.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="MaintenanceComponent",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "maintenance",
                    fields.ForeignKeyField(
                        "statuspage.Maintenance",
                        source_field="maintenance_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="component_links",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "component",
                    fields.ForeignKeyField(
                        "statuspage.Component",
                        source_field="component_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="maintenance_links",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
            ],
            options={
                "table": "status_maintenance_components",
                "app": "statuspage",
                "unique_together": (("maintenance", "component"),),
                "pk_attr": "id",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="MaintenanceUpdate",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "maintenance",
                    fields.ForeignKeyField(
                        "statuspage.Maintenance",
                        source_field="maintenance_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="updates",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "status",
                    fields.CharEnumField(
                        description="SCHEDULED: SCHEDULED\nIN_PROGRESS: IN_PROGRESS\nVERIFYING: VERIFYING\nCOMPLETED: COMPLETED\nCANCELLED: CANCELLED",
                        enum_type=MaintenanceStatus,
                        max_length=16,
                    ),
                ),
                ("message", fields.TextField(unique=False)),
                (
                    "author",
                    fields.ForeignKeyField(
                        "identity.User",
                        source_field="author_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={"table": "status_maintenance_updates", "app": "statuspage", "pk_attr": "id"},
            bases=["Model"],
        ),
        ops.CreateModel(
            name="PageState",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("updated_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "status_page_state",
                "app": "statuspage",
                "pk_attr": "id",
                "table_description": "One row: when the public page last changed (set by every command that changes it).",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="PublicIncident",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "incident",
                    fields.ForeignKeyField(
                        "incidents.Incident",
                        source_field="incident_id",
                        unique=True,
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("title", fields.CharField(default="", max_length=200)),
                (
                    "status",
                    fields.CharEnumField(
                        null=True,
                        description="INVESTIGATING: INVESTIGATING\nIDENTIFIED: IDENTIFIED\nMONITORING: MONITORING\nRESOLVED: RESOLVED\nPOSTMORTEM: POSTMORTEM",
                        enum_type=PublicStatus,
                        max_length=16,
                    ),
                ),
                (
                    "impact",
                    fields.CharEnumField(
                        default=Impact.NONE,
                        description="NONE: NONE\nMINOR: MINOR\nMAJOR: MAJOR\nCRITICAL: CRITICAL",
                        enum_type=Impact,
                        max_length=8,
                    ),
                ),
                (
                    "impact_override",
                    fields.CharEnumField(
                        null=True,
                        description="NONE: NONE\nMINOR: MINOR\nMAJOR: MAJOR\nCRITICAL: CRITICAL",
                        enum_type=Impact,
                        max_length=8,
                    ),
                ),
                ("published_at", fields.DatetimeField(null=True, db_index=True, auto_now=False, auto_now_add=False)),
                ("monitoring_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("resolved_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("updated_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "status_public_incidents",
                "app": "statuspage",
                "pk_attr": "id",
                "table_description": "What the public sees of an incident: its public title and public status. The incident",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="StatusUpdate",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "incident",
                    fields.ForeignKeyField(
                        "incidents.Incident",
                        source_field="incident_id",
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "audience",
                    fields.CharEnumField(
                        description="INTERNAL: INTERNAL\nPUBLIC: PUBLIC", enum_type=Audience, max_length=8
                    ),
                ),
                (
                    "public_status",
                    fields.CharEnumField(
                        null=True,
                        description="INVESTIGATING: INVESTIGATING\nIDENTIFIED: IDENTIFIED\nMONITORING: MONITORING\nRESOLVED: RESOLVED\nPOSTMORTEM: POSTMORTEM",
                        enum_type=PublicStatus,
                        max_length=16,
                    ),
                ),
                ("message", fields.TextField(unique=False)),
                ("impacts", fields.JSONField(default=list, encoder=JSON_DUMPS, decoder=loads)),
                (
                    "author",
                    fields.ForeignKeyField(
                        "identity.User",
                        source_field="author_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                ("timeline_sequence", fields.IntField()),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "status_updates",
                "app": "statuspage",
                "indexes": [Index(fields=["incident_id", "audience"])],
                "pk_attr": "id",
                "table_description": "A communication about an incident, to the company (INTERNAL) or to customers (PUBLIC).",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="ComponentStatusChange",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "component",
                    fields.ForeignKeyField(
                        "statuspage.Component",
                        source_field="component_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="status_changes",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                (
                    "from_status",
                    fields.CharEnumField(
                        null=True,
                        description="OPERATIONAL: OPERATIONAL\nDEGRADED_PERFORMANCE: DEGRADED_PERFORMANCE\nPARTIAL_OUTAGE: PARTIAL_OUTAGE\nMAJOR_OUTAGE: MAJOR_OUTAGE\nUNDER_MAINTENANCE: UNDER_MAINTENANCE",
                        enum_type=ComponentStatus,
                        max_length=24,
                    ),
                ),
                (
                    "to_status",
                    fields.CharEnumField(
                        description="OPERATIONAL: OPERATIONAL\nDEGRADED_PERFORMANCE: DEGRADED_PERFORMANCE\nPARTIAL_OUTAGE: PARTIAL_OUTAGE\nMAJOR_OUTAGE: MAJOR_OUTAGE\nUNDER_MAINTENANCE: UNDER_MAINTENANCE",
                        enum_type=ComponentStatus,
                        max_length=24,
                    ),
                ),
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
                (
                    "status_update",
                    fields.ForeignKeyField(
                        "statuspage.StatusUpdate",
                        source_field="status_update_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
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
            ],
            options={
                "table": "status_component_changes",
                "app": "statuspage",
                "indexes": [Index(fields=["component_id", "at"])],
                "pk_attr": "id",
                "table_description": "One change of a component's stored status, and what caused it.",
            },
            bases=["Model"],
        ),
    ]
