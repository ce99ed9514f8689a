"""Postmortems (with their people, curated timeline and revisions), templates and action items."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from app.postmortems.enums import (
    ActionItemKind,
    ActionItemPriority,
    ActionItemStatus,
    LinkProvider,
    PostmortemStatus,
)


class PostmortemTemplate(Model):
    """The sections a new postmortem starts with: `[{key, title, kind, guidance}]`."""

    id = fields.BigIntField(primary_key=True)
    name = fields.CharField(max_length=100, unique=True)
    description = fields.TextField(default="")
    sections = fields.JSONField(default=list)
    is_default = fields.BooleanField(default=False)
    builtin = fields.BooleanField(default=False)
    created_by: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "identity.User", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    created_at = fields.DatetimeField()

    created_by_id: int | None

    class Meta:
        table = "postmortem_templates"


class Postmortem(Model):
    """One per incident. `sections` is a copy of the template's sections, each with its Markdown
    `body`. `content_version` changes with every content edit (approvals are for one of them)."""

    id = fields.BigIntField(primary_key=True)
    incident: fields.OneToOneRelation = fields.OneToOneField(
        "incidents.Incident", related_name=False, on_delete=fields.CASCADE
    )
    template: fields.ForeignKeyNullableRelation[PostmortemTemplate] = fields.ForeignKeyField(
        "postmortems.PostmortemTemplate", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    title = fields.CharField(max_length=200)
    status = fields.CharEnumField(PostmortemStatus, max_length=16, db_index=True)
    version = fields.IntField(default=1)
    content_version = fields.IntField(default=1)
    sections = fields.JSONField(default=list)
    whys = fields.JSONField(default=list)
    contributing_factors = fields.JSONField(default=list)
    no_action_items_reason = fields.TextField(default="")
    created_by: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "identity.User", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    published_by: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "identity.User", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    created_at = fields.DatetimeField()
    updated_at = fields.DatetimeField()
    submitted_at = fields.DatetimeField(null=True)
    published_at = fields.DatetimeField(null=True)

    incident_id: int
    template_id: int | None
    created_by_id: int | None
    published_by_id: int | None

    class Meta:
        table = "postmortems"


class PostmortemAuthor(Model):
    id = fields.BigIntField(primary_key=True)
    postmortem: fields.ForeignKeyRelation[Postmortem] = fields.ForeignKeyField(
        "postmortems.Postmortem", related_name="author_links", on_delete=fields.CASCADE
    )
    user: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "identity.User", related_name=False, on_delete=fields.CASCADE
    )
    added_at = fields.DatetimeField()

    postmortem_id: int
    user_id: int

    class Meta:
        table = "postmortem_authors"
        unique_together = (("postmortem", "user"),)


class PostmortemReviewer(Model):
    """A requested reviewer. An approval counts for the content version it was given on."""

    id = fields.BigIntField(primary_key=True)
    postmortem: fields.ForeignKeyRelation[Postmortem] = fields.ForeignKeyField(
        "postmortems.Postmortem", related_name="reviewer_links", on_delete=fields.CASCADE
    )
    user: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "identity.User", related_name=False, on_delete=fields.CASCADE
    )
    requested_at = fields.DatetimeField()
    approved_at = fields.DatetimeField(null=True)
    approved_content_version = fields.IntField(null=True)
    comment = fields.TextField(default="")

    postmortem_id: int
    user_id: int

    class Meta:
        table = "postmortem_reviewers"
        unique_together = (("postmortem", "user"),)


class PostmortemTimelineEntry(Model):
    """A highlighted incident timeline event (with an optional annotation), or an entry that
    exists only in the postmortem (`event` is null, the text is `body`)."""

    id = fields.BigIntField(primary_key=True)
    postmortem: fields.ForeignKeyRelation[Postmortem] = fields.ForeignKeyField(
        "postmortems.Postmortem", related_name="timeline_entries", on_delete=fields.CASCADE
    )
    event: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "incidents.TimelineEvent", related_name=False, null=True, on_delete=fields.CASCADE
    )
    occurred_at = fields.DatetimeField()
    body = fields.TextField(default="")
    annotation = fields.TextField(default="")
    created_by: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "identity.User", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    created_at = fields.DatetimeField()

    postmortem_id: int
    event_id: int | None
    created_by_id: int | None

    class Meta:
        table = "postmortem_timeline_entries"
        unique_together = (("postmortem", "event"),)
        indexes = (("postmortem_id", "occurred_at"),)


class PostmortemRevision(Model):
    """One edit of one section: who, when, and the content before and after.

    `before` and `after` hold `{"value": <the section's content>}`."""

    id = fields.BigIntField(primary_key=True)
    postmortem: fields.ForeignKeyRelation[Postmortem] = fields.ForeignKeyField(
        "postmortems.Postmortem", related_name="revisions", on_delete=fields.CASCADE
    )
    version = fields.IntField()
    section = fields.CharField(max_length=80)
    actor: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "identity.User", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    created_at = fields.DatetimeField()
    before = fields.JSONField(null=True)
    after = fields.JSONField(null=True)

    postmortem_id: int
    actor_id: int | None

    class Meta:
        table = "postmortem_revisions"
        indexes = (("postmortem_id", "id"),)


class ActionItem(Model):
    id = fields.BigIntField(primary_key=True)
    incident: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "incidents.Incident", related_name=False, on_delete=fields.CASCADE
    )
    postmortem: fields.ForeignKeyNullableRelation[Postmortem] = fields.ForeignKeyField(
        "postmortems.Postmortem", related_name="action_items", null=True, on_delete=fields.SET_NULL
    )
    title = fields.CharField(max_length=200)
    description = fields.TextField(default="")
    owner: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "identity.User", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    due_date = fields.DateField(null=True)
    priority = fields.CharEnumField(ActionItemPriority, max_length=2)
    status = fields.CharEnumField(ActionItemStatus, max_length=16)
    kind = fields.CharEnumField(ActionItemKind, max_length=16)
    link_provider = fields.CharEnumField(LinkProvider, max_length=16, null=True)
    link_key = fields.CharField(max_length=200, null=True)
    link_url = fields.CharField(max_length=2000, null=True)
    version = fields.IntField(default=1)
    created_by: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "identity.User", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    created_at = fields.DatetimeField()
    updated_at = fields.DatetimeField()
    completed_at = fields.DatetimeField(null=True)

    incident_id: int
    postmortem_id: int | None
    owner_id: int | None
    created_by_id: int | None

    class Meta:
        table = "action_items"
        indexes = (
            ("incident_id", "due_date"),
            ("owner_id", "status"),
            ("status", "due_date"),
            ("postmortem_id", "due_date"),
        )
