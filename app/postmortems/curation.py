"""The postmortem's curated timeline: highlighted incident events (with an optional annotation)
and entries that exist only in the postmortem. Every change is a revision of `timeline`."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from app import clock
from app.commands import provided
from app.errors import NotFound, ValidationFailed
from app.events import unit_of_work
from app.identity.policy import Action, Principal, require
from app.ids import to_global_id
from app.incidents.models import Incident, TimelineEvent
from app.postmortems.common import (
    Revisions,
    commit_changes,
    locked_editable,
    visible_postmortem_incident,
)
from app.postmortems.models import Postmortem, PostmortemTimelineEntry
from app.text import multi_line
from app.unset import UNSET, OrUnset

ANNOTATION_MAX = 5_000
_MAX_BACKDATE = timedelta(days=365)


def entry_snapshot(entry: PostmortemTimelineEntry | None) -> dict[str, Any] | None:
    """How a revision records an entry."""
    if entry is None:
        return None
    return {
        "id": to_global_id("PostmortemTimelineEntry", entry.id),
        "eventId": to_global_id("TimelineEvent", entry.event_id) if entry.event_id else None,
        "occurredAt": entry.occurred_at.isoformat(),
        "body": entry.body,
        "annotation": entry.annotation,
    }


async def highlight_event(
    *,
    actor: Principal,
    postmortem_id: int,
    event_id: int,
    annotation: str | None = None,
    expected_version: int | None = None,
) -> Postmortem:
    """Add one of the incident's timeline events to the postmortem's timeline; highlighting it
    again changes its annotation."""
    require(actor, Action.RESPOND)
    annotation = multi_line(annotation or "", field="annotation", max_length=ANNOTATION_MAX).strip()
    incident_id = await visible_postmortem_incident(actor, postmortem_id)
    async with unit_of_work() as outbox:
        postmortem = await locked_editable(outbox, postmortem_id, expected_version)
        event = await TimelineEvent.filter(id=event_id, incident_id=incident_id).using_db(outbox.connection).first()
        if event is None:
            raise NotFound("No such event on this postmortem's incident", field="eventId")
        entry = (
            await PostmortemTimelineEntry.filter(postmortem_id=postmortem.id, event_id=event.id)
            .using_db(outbox.connection)
            .first()
        )
        changes = Revisions()
        if entry is None:
            entry = await PostmortemTimelineEntry.create(
                postmortem_id=postmortem.id,
                event_id=event.id,
                occurred_at=event.occurred_at,
                annotation=annotation,
                created_by_id=actor.user_id,
                created_at=clock.now(),
                using_db=outbox.connection,
            )
            changes.record("timeline", None, entry_snapshot(entry))
        elif entry.annotation != annotation:
            before = entry_snapshot(entry)
            entry.annotation = annotation
            await entry.save(update_fields=["annotation"], using_db=outbox.connection)
            changes.record("timeline", before, entry_snapshot(entry))
        if changes:
            await commit_changes(outbox, postmortem, changes, actor_id=actor.user_id)
    return postmortem


async def _check_occurred_at(occurred_at: datetime, incident_id: int) -> datetime:
    if occurred_at.tzinfo is None:
        raise ValidationFailed("occurredAt needs a time zone", field="occurredAt")
    if occurred_at > clock.now():
        raise ValidationFailed("occurredAt must not be in the future", field="occurredAt")
    declared = await Incident.filter(id=incident_id).values_list("declared_at", flat=True)
    if declared and occurred_at < declared[0] - _MAX_BACKDATE:
        raise ValidationFailed("occurredAt is more than a year before the incident", field="occurredAt")
    return occurred_at


async def add_entry(
    *, actor: Principal, postmortem_id: int, occurred_at: datetime, body: str, expected_version: int | None = None
) -> Postmortem:
    """Add an entry that exists only in the postmortem (for example what happened before the
    incident was declared)."""
    require(actor, Action.RESPOND)
    body = multi_line(body, field="body", required=True).strip()
    incident_id = await visible_postmortem_incident(actor, postmortem_id)
    occurred_at = await _check_occurred_at(occurred_at, incident_id)
    async with unit_of_work() as outbox:
        postmortem = await locked_editable(outbox, postmortem_id, expected_version)
        entry = await PostmortemTimelineEntry.create(
            postmortem_id=postmortem.id,
            occurred_at=occurred_at,
            body=body,
            created_by_id=actor.user_id,
            created_at=clock.now(),
            using_db=outbox.connection,
        )
        changes = Revisions()
        changes.record("timeline", None, entry_snapshot(entry))
        await commit_changes(outbox, postmortem, changes, actor_id=actor.user_id)
    return postmortem


async def _entry_postmortem(actor: Principal, entry_id: int) -> int:
    rows = await PostmortemTimelineEntry.filter(id=entry_id).values_list("postmortem_id", flat=True)
    if not rows:
        raise NotFound("Timeline entry not found", field="entryId")
    await visible_postmortem_incident(actor, rows[0], field="entryId")
    return rows[0]


async def update_entry(
    *,
    actor: Principal,
    entry_id: int,
    body: OrUnset[str | None] = UNSET,
    annotation: OrUnset[str | None] = UNSET,
    occurred_at: OrUnset[datetime | None] = UNSET,
    expected_version: int | None = None,
) -> Postmortem:
    """Change an entry: the annotation of any, the text and time of the postmortem's own."""
    require(actor, Action.RESPOND)
    postmortem_id = await _entry_postmortem(actor, entry_id)
    if provided(body):
        body = multi_line(body, field="body", required=True).strip()
    if provided(annotation):
        annotation = multi_line(annotation, field="annotation", max_length=ANNOTATION_MAX).strip()
    async with unit_of_work() as outbox:
        postmortem = await locked_editable(outbox, postmortem_id, expected_version)
        entry = await PostmortemTimelineEntry.filter(id=entry_id).using_db(outbox.connection).first()
        if entry is None:
            raise NotFound("Timeline entry not found", field="entryId")
        before = entry_snapshot(entry)
        if entry.event_id is not None and (provided(body) or provided(occurred_at)):
            field = "body" if provided(body) else "occurredAt"
            raise ValidationFailed("A highlighted event keeps its text and time; change its annotation", field=field)
        if provided(body):
            entry.body = body
        if provided(annotation):
            entry.annotation = annotation
        if provided(occurred_at):
            entry.occurred_at = await _check_occurred_at(occurred_at, postmortem.incident_id)
        after = entry_snapshot(entry)
        if after != before:
            await entry.save(update_fields=["body", "annotation", "occurred_at"], using_db=outbox.connection)
            changes = Revisions()
            changes.record("timeline", before, after)
            await commit_changes(outbox, postmortem, changes, actor_id=actor.user_id)
    return postmortem


async def remove_entry(*, actor: Principal, entry_id: int, expected_version: int | None = None) -> Postmortem:
    """Take an entry off the postmortem's timeline (a highlighted event stays on the incident's)."""
    require(actor, Action.RESPOND)
    postmortem_id = await _entry_postmortem(actor, entry_id)
    async with unit_of_work() as outbox:
        postmortem = await locked_editable(outbox, postmortem_id, expected_version)
        entry = await PostmortemTimelineEntry.filter(id=entry_id).using_db(outbox.connection).first()
        if entry is None:
            raise NotFound("Timeline entry not found", field="entryId")
        before = entry_snapshot(entry)
        await entry.delete(using_db=outbox.connection)
        changes = Revisions()
        changes.record("timeline", before, None)
        await commit_changes(outbox, postmortem, changes, actor_id=actor.user_id)
    return postmortem
