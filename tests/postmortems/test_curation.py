"""The curated timeline: highlights (annotated, idempotent), postmortem-only entries, edits and
removals, each a revision of `timeline`, in occurredAt order."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app import clock
from app.errors import DomainError, ErrorCode
from app.incidents import service as incidents
from app.incidents.enums import Severity
from app.incidents.models import TimelineEvent
from app.postmortems import curation, queries
from app.postmortems.models import PostmortemRevision, PostmortemTimelineEntry
from tests.conftest import Actor
from tests.postmortems.helpers import in_postmortem


async def error_of(coroutine: object) -> DomainError:
    with pytest.raises(DomainError) as raised:
        await coroutine  # type: ignore[misc]
    return raised.value


async def test_highlights_entries_and_their_order(responder: Actor, broker: object) -> None:
    incident, postmortem = await in_postmortem(responder, Severity.SEV3)
    p, pid = responder.principal, postmortem.id
    await PostmortemTimelineEntry.filter(postmortem_id=pid).delete()
    note = await incidents.add_note(
        actor=p, incident_id=incident.id, body="Rolled back", occurred_at=clock.now() - timedelta(minutes=10)
    )
    await curation.highlight_event(actor=p, postmortem_id=pid, event_id=note.id)
    again = await curation.highlight_event(
        actor=p, postmortem_id=pid, event_id=note.id, annotation="This restored service"
    )
    same = await curation.highlight_event(
        actor=p, postmortem_id=pid, event_id=note.id, annotation="This restored service"
    )
    assert same.version == again.version  # nothing changed the second time
    assert await PostmortemTimelineEntry.filter(postmortem_id=pid).count() == 1
    earlier = clock.now() - timedelta(hours=2)
    await curation.add_entry(actor=p, postmortem_id=pid, occurred_at=earlier, body="Config change merged")
    entries = (await queries.timeline_by_postmortem([pid]))[pid]
    assert [(c.entry.body or c.event.message, c.entry.annotation) for c in entries] == [
        ("Config change merged", ""),
        ("Rolled back", "This restored service"),
    ]  # type: ignore[union-attr]

    own, highlight = entries[0].entry, entries[1].entry
    moved = await curation.update_entry(
        actor=p, entry_id=own.id, occurred_at=clock.now() - timedelta(minutes=1), body="Config change deployed"
    )
    assert [c.entry.id for c in (await queries.timeline_by_postmortem([pid]))[pid]] == [highlight.id, own.id]
    refused = await error_of(curation.update_entry(actor=p, entry_id=highlight.id, body="Rewritten history"))
    assert (refused.code, refused.field) == (ErrorCode.VALIDATION, "body")
    removed = await curation.remove_entry(actor=p, entry_id=highlight.id, expected_version=moved.version)
    assert await TimelineEvent.filter(id=note.id).exists()  # still on the incident's timeline
    stale = await error_of(curation.remove_entry(actor=p, entry_id=own.id, expected_version=moved.version))
    assert stale.code is ErrorCode.VERSION_CONFLICT
    gone = await error_of(curation.remove_entry(actor=p, entry_id=highlight.id))
    assert (gone.code, gone.field) == (ErrorCode.NOT_FOUND, "entryId")
    revisions = await PostmortemRevision.filter(postmortem_id=pid).order_by("id")
    assert [r.section for r in revisions] == ["timeline"] * 5 and revisions[-1].version == removed.version
    assert revisions[-1].before["value"]["annotation"] == "This restored service" and revisions[-1].after == {
        "value": None
    }


async def test_events_of_other_incidents_cannot_be_highlighted(responder: Actor, broker: object) -> None:
    _, postmortem = await in_postmortem(responder, Severity.SEV3)
    other = await incidents.declare_incident(actor=responder.principal, title="Other", severity=Severity.SEV3)
    event = await TimelineEvent.get(incident_id=other.id, sequence=1)
    error = await error_of(
        curation.highlight_event(actor=responder.principal, postmortem_id=postmortem.id, event_id=event.id)
    )
    assert (error.code, error.field) == (ErrorCode.NOT_FOUND, "eventId")
    blank = await error_of(
        curation.add_entry(actor=responder.principal, postmortem_id=postmortem.id, occurred_at=clock.now(), body="  ")
    )
    assert (blank.code, blank.field) == (ErrorCode.VALIDATION, "body")
