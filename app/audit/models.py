"""The audit log: append-only, one row per mutation or security event."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class AuditEntry(Model):
    id = fields.BigIntField(primary_key=True)
    at = fields.DatetimeField(db_index=True)
    actor: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "identity.User", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    actor_label = fields.CharField(max_length=100)  # "user:12", "integration:3", "system:alert-ingestion", "anonymous"
    operation = fields.CharField(max_length=100, db_index=True)
    target = fields.CharField(max_length=200, null=True)
    request_id = fields.CharField(max_length=64, null=True)
    client_ip = fields.CharField(max_length=64, null=True)
    outcome = fields.CharField(max_length=50)  # "ok", "error:VERSION_CONFLICT", "denied", …
    details = fields.JSONField(default=dict)

    actor_id: int | None

    class Meta:
        table = "audit_log"
