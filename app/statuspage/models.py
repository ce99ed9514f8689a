"""Status page components and their status history, the public face of incidents with their
status updates, and scheduled maintenance."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from app.statuspage.enums import Audience, ComponentStatus, Impact, MaintenanceStatus, PublicStatus


class ComponentGroup(Model):
    id = fields.BigIntField(primary_key=True)
    name = fields.CharField(max_length=100)
    description = fields.TextField(default="")
    position = fields.IntField(default=0)
    created_at = fields.DatetimeField()
    updated_at = fields.DatetimeField()

    class Meta:
        table = "status_component_groups"


class Component(Model):
    id = fields.BigIntField(primary_key=True)
    name = fields.CharField(max_length=100)
    description = fields.TextField(default="")
    group: fields.ForeignKeyNullableRelation[ComponentGroup] = fields.ForeignKeyField(
        "statuspage.ComponentGroup", related_name="components", null=True, on_delete=fields.SET_NULL
    )
    position = fields.IntField(default=0)
    service: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "catalog.Service", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    status = fields.CharEnumField(ComponentStatus, max_length=24, default=ComponentStatus.OPERATIONAL)
    created_at = fields.DatetimeField()
    updated_at = fields.DatetimeField()

    group_id: int | None
    service_id: int | None

    class Meta:
        table = "status_components"


class PublicIncident(Model):
    """What the public sees of an incident: its public title and public status. The incident
    is on the page once `published_at` is set (its first PUBLIC update)."""

    id = fields.BigIntField(primary_key=True)
    incident: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "incidents.Incident", related_name=False, unique=True, on_delete=fields.CASCADE
    )
    title = fields.CharField(max_length=200, default="")
    status = fields.CharEnumField(PublicStatus, max_length=16, null=True)
    impact = fields.CharEnumField(Impact, max_length=8, default=Impact.NONE)
    impact_override = fields.CharEnumField(Impact, max_length=8, null=True)
    published_at = fields.DatetimeField(null=True, db_index=True)
    monitoring_at = fields.DatetimeField(null=True)
    resolved_at = fields.DatetimeField(null=True)
    updated_at = fields.DatetimeField()

    incident_id: int

    class Meta:
        table = "status_public_incidents"


class StatusUpdate(Model):
    """A communication about an incident, to the company (INTERNAL) or to customers (PUBLIC)."""

    id = fields.BigIntField(primary_key=True)
    incident: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "incidents.Incident", related_name=False, on_delete=fields.CASCADE
    )
    audience = fields.CharEnumField(Audience, max_length=8)
    public_status = fields.CharEnumField(PublicStatus, max_length=16, null=True)
    message = fields.TextField()
    # [{"componentId": pk, "name": str, "from": status, "to": status}] as they were at the time
    impacts = fields.JSONField(default=list)
    author: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "identity.User", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    timeline_sequence = fields.IntField()
    created_at = fields.DatetimeField()

    incident_id: int
    author_id: int | None

    class Meta:
        table = "status_updates"
        indexes = (("incident_id", "audience"),)


class Maintenance(Model):
    """A maintenance window. Its status is derived from the clock and the stamps below."""

    id = fields.BigIntField(primary_key=True)
    title = fields.CharField(max_length=200)
    scheduled_for = fields.DatetimeField()
    scheduled_until = fields.DatetimeField()
    started_at = fields.DatetimeField(null=True)
    verifying_at = fields.DatetimeField(null=True)
    completed_at = fields.DatetimeField(null=True)
    cancelled_at = fields.DatetimeField(null=True)
    created_by: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "identity.User", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    created_at = fields.DatetimeField()
    updated_at = fields.DatetimeField()

    class Meta:
        table = "status_maintenances"


class MaintenanceComponent(Model):
    id = fields.BigIntField(primary_key=True)
    maintenance: fields.ForeignKeyRelation[Maintenance] = fields.ForeignKeyField(
        "statuspage.Maintenance", related_name="component_links", on_delete=fields.CASCADE
    )
    component: fields.ForeignKeyRelation[Component] = fields.ForeignKeyField(
        "statuspage.Component", related_name="maintenance_links", on_delete=fields.CASCADE
    )

    maintenance_id: int
    component_id: int

    class Meta:
        table = "status_maintenance_components"
        unique_together = (("maintenance", "component"),)


class MaintenanceUpdate(Model):
    id = fields.BigIntField(primary_key=True)
    maintenance: fields.ForeignKeyRelation[Maintenance] = fields.ForeignKeyField(
        "statuspage.Maintenance", related_name="updates", on_delete=fields.CASCADE
    )
    status = fields.CharEnumField(MaintenanceStatus, max_length=16)
    message = fields.TextField()
    author: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "identity.User", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    created_at = fields.DatetimeField()

    maintenance_id: int

    class Meta:
        table = "status_maintenance_updates"


class ComponentStatusChange(Model):
    """One change of a component's stored status, and what caused it."""

    id = fields.BigIntField(primary_key=True)
    component: fields.ForeignKeyRelation[Component] = fields.ForeignKeyField(
        "statuspage.Component", related_name="status_changes", on_delete=fields.CASCADE
    )
    at = fields.DatetimeField()
    from_status = fields.CharEnumField(ComponentStatus, max_length=24, null=True)
    to_status = fields.CharEnumField(ComponentStatus, max_length=24)
    incident: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "incidents.Incident", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    status_update: fields.ForeignKeyNullableRelation[StatusUpdate] = fields.ForeignKeyField(
        "statuspage.StatusUpdate", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    actor: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "identity.User", related_name=False, null=True, on_delete=fields.SET_NULL
    )

    component_id: int
    incident_id: int | None
    status_update_id: int | None
    actor_id: int | None

    class Meta:
        table = "status_component_changes"
        indexes = (("component_id", "at"),)


class PageState(Model):
    """One row: when the public page last changed (set by every command that changes it)."""

    id = fields.IntField(primary_key=True)
    updated_at = fields.DatetimeField()

    class Meta:
        table = "status_page_state"
