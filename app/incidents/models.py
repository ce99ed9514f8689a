"""Incidents, their role holders and their append-only timeline."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from app.incidents.enums import IncidentRole, IncidentStatus, Severity


class Counter(Model):
    """Named gap-free counters (incident numbers), bumped under a row lock."""

    name = fields.CharField(max_length=50, primary_key=True)
    value = fields.BigIntField(default=0)

    class Meta:
        table = "counters"


class Incident(Model):
    id = fields.BigIntField(primary_key=True)
    number = fields.BigIntField(unique=True)
    title = fields.CharField(max_length=200)
    summary = fields.TextField(default="")
    severity = fields.CharEnumField(Severity, max_length=8)
    status = fields.CharEnumField(IncidentStatus, max_length=16, db_index=True)
    private = fields.BooleanField(default=False)
    version = fields.IntField(default=1)
    last_sequence = fields.IntField(default=0)
    declared_at = fields.DatetimeField()
    acknowledged_at = fields.DatetimeField(null=True)
    identified_at = fields.DatetimeField(null=True)
    mitigated_at = fields.DatetimeField(null=True)
    resolved_at = fields.DatetimeField(null=True)
    closed_at = fields.DatetimeField(null=True)
    updated_at = fields.DatetimeField()
    created_by: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "identity.User", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    merged_into: fields.ForeignKeyNullableRelation[Incident] = fields.ForeignKeyField(
        "incidents.Incident", related_name=False, null=True, on_delete=fields.SET_NULL
    )

    created_by_id: int | None
    merged_into_id: int | None

    class Meta:
        table = "incidents"

    @property
    def reference(self) -> str:
        return f"INC-{self.number}"


class IncidentService(Model):
    id = fields.BigIntField(primary_key=True)
    incident: fields.ForeignKeyRelation[Incident] = fields.ForeignKeyField(
        "incidents.Incident", related_name="service_links", on_delete=fields.CASCADE
    )
    service: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "catalog.Service", related_name="incident_links", on_delete=fields.CASCADE
    )

    incident_id: int
    service_id: int

    class Meta:
        table = "incident_services"
        unique_together = (("incident", "service"),)


class RoleAssignment(Model):
    id = fields.BigIntField(primary_key=True)
    incident: fields.ForeignKeyRelation[Incident] = fields.ForeignKeyField(
        "incidents.Incident", related_name="role_assignments", on_delete=fields.CASCADE
    )
    role = fields.CharEnumField(IncidentRole, max_length=32)
    user: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "identity.User", related_name=False, on_delete=fields.CASCADE
    )
    assigned_at = fields.DatetimeField()

    incident_id: int
    user_id: int

    class Meta:
        table = "incident_roles"
        unique_together = (("incident", "role"),)
        indexes = (("user_id", "incident_id"),)


class IncidentMember(Model):
    """Someone explicitly allowed to see a private incident (besides admins and role holders)."""

    id = fields.BigIntField(primary_key=True)
    incident: fields.ForeignKeyRelation[Incident] = fields.ForeignKeyField(
        "incidents.Incident", related_name="members", on_delete=fields.CASCADE
    )
    user: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "identity.User", related_name=False, on_delete=fields.CASCADE
    )
    added_at = fields.DatetimeField()

    incident_id: int
    user_id: int

    class Meta:
        table = "incident_members"
        unique_together = (("incident", "user"),)
        indexes = (("user_id", "incident_id"),)


class TimelineEvent(Model):
    id = fields.BigIntField(primary_key=True)
    incident: fields.ForeignKeyRelation[Incident] = fields.ForeignKeyField(
        "incidents.Incident", related_name="timeline", on_delete=fields.CASCADE
    )
    sequence = fields.IntField()
    kind = fields.CharField(max_length=40)
    actor: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "identity.User", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    occurred_at = fields.DatetimeField()
    recorded_at = fields.DatetimeField()
    message = fields.TextField(default="")
    data = fields.JSONField(default=dict)

    incident_id: int
    actor_id: int | None

    class Meta:
        table = "timeline_events"
        unique_together = (("incident", "sequence"),)
