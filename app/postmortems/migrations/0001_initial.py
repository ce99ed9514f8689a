from orjson import loads
from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from tortoise.indexes import Index
from tortoise.migrations import operations as ops

from app.postmortems.enums import ActionItemKind, ActionItemPriority, ActionItemStatus, LinkProvider, PostmortemStatus


class Migration(migrations.Migration):
    dependencies = [("identity", "0001_initial"), ("incidents", "0001_initial")]

    initial = True

    operations = [
        ops.CreateModel(
            name="PostmortemTemplate",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("name", fields.CharField(unique=True, max_length=100)),
                ("description", fields.TextField(default="", unique=False)),
                ("sections", fields.JSONField(default=list, encoder=JSON_DUMPS, decoder=loads)),
                ("is_default", fields.BooleanField(default=False)),
                ("builtin", fields.BooleanField(default=False)),
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
            ],
            options={
                "table": "postmortem_templates",
                "app": "postmortems",
                "pk_attr": "id",
                "table_description": "The sections a new postmortem starts with: `[{key, title, kind, guidance}]`.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Postmortem",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "incident",
                    fields.OneToOneField(
                        "incidents.Incident",
                        source_field="incident_id",
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "template",
                    fields.ForeignKeyField(
                        "postmortems.PostmortemTemplate",
                        source_field="template_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                ("title", fields.CharField(max_length=200)),
                (
                    "status",
                    fields.CharEnumField(
                        db_index=True,
                        description="DRAFT: DRAFT\nIN_REVIEW: IN_REVIEW\nPUBLISHED: PUBLISHED",
                        enum_type=PostmortemStatus,
                        max_length=16,
                    ),
                ),
                ("version", fields.IntField(default=1)),
                ("content_version", fields.IntField(default=1)),
                ("sections", fields.JSONField(default=list, encoder=JSON_DUMPS, decoder=loads)),
                ("whys", fields.JSONField(default=list, encoder=JSON_DUMPS, decoder=loads)),
                ("contributing_factors", fields.JSONField(default=list, encoder=JSON_DUMPS, decoder=loads)),
                ("no_action_items_reason", fields.TextField(default="", unique=False)),
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
                    "published_by",
                    fields.ForeignKeyField(
                        "identity.User",
                        source_field="published_by_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("updated_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("submitted_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("published_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "postmortems",
                "app": "postmortems",
                "pk_attr": "id",
                "table_description": "One per incident. `sections` is a copy of the template's sections, each with its Markdown",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="ActionItem",
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
                    "postmortem",
                    fields.ForeignKeyField(
                        "postmortems.Postmortem",
                        source_field="postmortem_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="action_items",
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                ("title", fields.CharField(max_length=200)),
                ("description", fields.TextField(default="", unique=False)),
                (
                    "owner",
                    fields.ForeignKeyField(
                        "identity.User",
                        source_field="owner_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                ("due_date", fields.DateField(null=True)),
                (
                    "priority",
                    fields.CharEnumField(
                        description="P1: P1\nP2: P2\nP3: P3\nP4: P4", enum_type=ActionItemPriority, max_length=2
                    ),
                ),
                (
                    "status",
                    fields.CharEnumField(
                        description="OPEN: OPEN\nIN_PROGRESS: IN_PROGRESS\nDONE: DONE\nWONT_DO: WONT_DO",
                        enum_type=ActionItemStatus,
                        max_length=16,
                    ),
                ),
                (
                    "kind",
                    fields.CharEnumField(
                        description="PREVENT: PREVENT\nMITIGATE: MITIGATE\nDETECT: DETECT\nPROCESS: PROCESS",
                        enum_type=ActionItemKind,
                        max_length=16,
                    ),
                ),
                (
                    "link_provider",
                    fields.CharEnumField(
                        null=True,
                        description="JIRA: JIRA\nLINEAR: LINEAR\nGITHUB: GITHUB\nOTHER: OTHER",
                        enum_type=LinkProvider,
                        max_length=16,
                    ),
                ),
                ("link_key", fields.CharField(null=True, max_length=200)),
                ("link_url", fields.CharField(null=True, max_length=2000)),
                ("version", fields.IntField(default=1)),
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
                ("completed_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "action_items",
                "app": "postmortems",
                "indexes": [
                    Index(fields=["incident_id", "due_date"]),
                    Index(fields=["owner_id", "status"]),
                    Index(fields=["status", "due_date"]),
                    Index(fields=["postmortem_id", "due_date"]),
                ],
                "pk_attr": "id",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="PostmortemAuthor",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "postmortem",
                    fields.ForeignKeyField(
                        "postmortems.Postmortem",
                        source_field="postmortem_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="author_links",
                        on_delete=OnDelete.CASCADE,
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
                ("added_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "postmortem_authors",
                "app": "postmortems",
                "unique_together": (("postmortem", "user"),),
                "pk_attr": "id",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="PostmortemReviewer",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "postmortem",
                    fields.ForeignKeyField(
                        "postmortems.Postmortem",
                        source_field="postmortem_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="reviewer_links",
                        on_delete=OnDelete.CASCADE,
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
                ("requested_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("approved_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("approved_content_version", fields.IntField(null=True)),
                ("comment", fields.TextField(default="", unique=False)),
            ],
            options={
                "table": "postmortem_reviewers",
                "app": "postmortems",
                "unique_together": (("postmortem", "user"),),
                "pk_attr": "id",
                "table_description": "A requested reviewer. An approval counts for the content version it was given on.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="PostmortemRevision",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "postmortem",
                    fields.ForeignKeyField(
                        "postmortems.Postmortem",
                        source_field="postmortem_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="revisions",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("version", fields.IntField()),
                ("section", fields.CharField(max_length=80)),
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
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("before", fields.JSONField(null=True, encoder=JSON_DUMPS, decoder=loads)),
                ("after", fields.JSONField(null=True, encoder=JSON_DUMPS, decoder=loads)),
            ],
            options={
                "table": "postmortem_revisions",
                "app": "postmortems",
                "indexes": [Index(fields=["postmortem_id", "id"])],
                "pk_attr": "id",
                "table_description": "One edit of one section: who, when, and the content before and after.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="PostmortemTimelineEntry",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "postmortem",
                    fields.ForeignKeyField(
                        "postmortems.Postmortem",
                        source_field="postmortem_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="timeline_entries",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "event",
                    fields.ForeignKeyField(
                        "incidents.TimelineEvent",
                        source_field="event_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("occurred_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("body", fields.TextField(default="", unique=False)),
                ("annotation", fields.TextField(default="", unique=False)),
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
            ],
            options={
                "table": "postmortem_timeline_entries",
                "app": "postmortems",
                "unique_together": (("postmortem", "event"),),
                "indexes": [Index(fields=["postmortem_id", "occurred_at"])],
                "pk_attr": "id",
                "table_description": "A highlighted incident timeline event (with an optional annotation), or an entry that",
            },
            bases=["Model"],
        ),
    ]
