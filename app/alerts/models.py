"""Integrations (where alerts come in), per-service alert rules, and the alerts themselves."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from app.alerts.enums import AlertSeverity, AlertSource, AlertStatus, IntegrationKind
from app.incidents.enums import Severity


class Integration(Model):
    """A sender's entry point for one service. The routing key is stored only as a digest."""

    id = fields.BigIntField(primary_key=True)
    service: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "catalog.Service", related_name=False, on_delete=fields.CASCADE
    )
    kind = fields.CharEnumField(IntegrationKind, max_length=16)
    name = fields.CharField(max_length=100)
    key_hash = fields.CharField(max_length=64, unique=True)
    key_prefix = fields.CharField(max_length=16)
    # After a rotation the previous key keeps working until `previous_key_expires_at`.
    previous_key_hash = fields.CharField(max_length=64, unique=True, null=True)
    previous_key_expires_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    created_by: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "identity.User", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    rotated_at = fields.DatetimeField(null=True)
    revoked_at = fields.DatetimeField(null=True)
    last_delivery_at = fields.DatetimeField(null=True)

    service_id: int
    created_by_id: int | None

    class Meta:
        table = "integrations"
        indexes = (("service_id", "id"),)


class AlertRules(Model):
    """A service's alert rules: severities that declare incidents, and the grouping window."""

    # declare_<severity>: the incident severity an alert of that severity declares (None: no
    # incident). grouping_window_minutes: how long after its last alert an open incident
    # keeps taking the service's new alerts.

    id = fields.BigIntField(primary_key=True)
    service: fields.OneToOneRelation = fields.OneToOneField(
        "catalog.Service", related_name=False, on_delete=fields.CASCADE
    )
    declare_critical = fields.CharEnumField(Severity, max_length=8, null=True)
    declare_error = fields.CharEnumField(Severity, max_length=8, null=True)
    declare_warning = fields.CharEnumField(Severity, max_length=8, null=True)
    declare_info = fields.CharEnumField(Severity, max_length=8, null=True)
    grouping_window_minutes = fields.IntField()
    updated_at = fields.DatetimeField()
    # Grouping state: the incident that last took an alert of the service, and when. Kept
    # here, on the row every delivery locks, so grouping needs no search through alerts.
    group_incident: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "incidents.Incident", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    group_attached_at = fields.DatetimeField(null=True)

    service_id: int
    group_incident_id: int | None

    class Meta:
        table = "alert_rules"


class Alert(Model):
    id = fields.BigIntField(primary_key=True)
    service: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "catalog.Service", related_name=False, on_delete=fields.CASCADE
    )
    integration: fields.ForeignKeyNullableRelation[Integration] = fields.ForeignKeyField(
        "alerts.Integration", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    reporter: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "identity.User", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    source = fields.CharEnumField(AlertSource, max_length=16)
    dedup_key = fields.CharField(max_length=255)
    # The dedup key while the alert is open, NULL once resolved. (dedup_key, integration,
    # open_key) is unique and NULLs are distinct, so an integration has at most one open alert
    # per key whatever the concurrency, and any number of resolved ones. The same index serves
    # every lookup by key; with the key first, no other index can look cheaper to a planner
    # whose statistics lag behind an alert storm.
    open_key = fields.CharField(max_length=255, null=True)
    status = fields.CharEnumField(AlertStatus, max_length=16)
    severity = fields.CharEnumField(AlertSeverity, max_length=16)
    summary = fields.CharField(max_length=1024)
    details = fields.JSONField(default=dict)
    labels = fields.JSONField(default=dict)
    annotations = fields.JSONField(default=dict)
    links = fields.JSONField(default=list)
    started_at = fields.DatetimeField(null=True)  # the sender's start of this firing episode
    first_seen_at = fields.DatetimeField()
    last_seen_at = fields.DatetimeField()
    acknowledged_at = fields.DatetimeField(null=True)
    resolved_at = fields.DatetimeField(null=True)
    updated_at = fields.DatetimeField()
    occurrences = fields.IntField(default=1)
    incident: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "incidents.Incident", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    attached_at = fields.DatetimeField(null=True)

    service_id: int
    integration_id: int | None
    reporter_id: int | None
    incident_id: int | None

    class Meta:
        table = "alerts"
        unique_together = (("dedup_key", "integration", "open_key"),)
        indexes = (
            ("service_id", "id"),
            ("incident_id", "id"),
            ("incident_id", "status"),
            ("updated_at",),
        )

    @property
    def is_open(self) -> bool:
        return self.status is not AlertStatus.RESOLVED
