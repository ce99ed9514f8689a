"""The service catalog: what incidents affect."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class Service(Model):
    id = fields.BigIntField(primary_key=True)
    name = fields.CharField(max_length=100, unique=True)
    description = fields.TextField(default="")
    owner_team = fields.CharField(max_length=100, default="")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "services"
