"""Timeline events: appending under the incident's lock, and their wire form for subscribers."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from app import clock, db
from app.events import FEED_TOPIC, Outbox, incident_topic
from app.identity.policy import Principal
from app.ids import parse_pk
from app.incidents.enums import IncidentStatus, TimelineKind
from app.incidents.models import Incident, TimelineEvent

# What the incident feed reports for each kind of timeline event (None: not a feed event).
_FEED_KINDS: dict[str, str | None] = {
    TimelineKind.DECLARED: "DECLARED",
    TimelineKind.SEVERITY_CHANGED: "SEVERITY_CHANGED",
    TimelineKind.FIELD_CHANGED: "UPDATED",
    TimelineKind.ROLE_ASSIGNED: "UPDATED",
    TimelineKind.ROLE_UNASSIGNED: "UPDATED",
    TimelineKind.INCIDENT_MERGED_IN: "UPDATED",
    TimelineKind.MERGED: "MERGED",
    TimelineKind.NOTE: None,
    TimelineKind.ALERT_ATTACHED: None,  # alert changes have their own feed (alertFeed)
    TimelineKind.ALERT_DETACHED: None,
    TimelineKind.ALERTS_RESOLVED: "UPDATED",
    TimelineKind.STATUS_UPDATE: "UPDATED",
    # Postmortem and action item events are about the learning, not the incident itself.
    TimelineKind.POSTMORTEM_CREATED: None,
    TimelineKind.POSTMORTEM_SUBMITTED: None,
    TimelineKind.POSTMORTEM_APPROVED: None,
    TimelineKind.POSTMORTEM_RETURNED: None,
    TimelineKind.POSTMORTEM_PUBLISHED: None,
    TimelineKind.POSTMORTEM_REOPENED: None,
    TimelineKind.ACTION_ITEM_CREATED: None,
    TimelineKind.ACTION_ITEM_STATUS_CHANGED: None,
}


# Events that name another incident: the `data` keys of its global id and of its reference.
_NAMES_ANOTHER: dict[str, tuple[str, str]] = {
    TimelineKind.MERGED: ("intoIncidentId", "intoReference"),
    TimelineKind.INCIDENT_MERGED_IN: ("incidentId", "reference"),
    TimelineKind.ALERT_ATTACHED: ("fromIncidentId", "fromReference"),
    TimelineKind.ALERT_DETACHED: ("toIncidentId", "toReference"),
}


def other_incident(kind: str, data: Any) -> int | None:
    """The other incident an event names (a merge, an alert moved between incidents), if any."""
    keys = _NAMES_ANOTHER.get(kind)
    if keys is None or not isinstance(data, dict) or not isinstance(data.get(keys[0]), str):
        return None
    return parse_pk(data[keys[0]], "Incident")


def without_other_incident(kind: str, message: str, data: Any) -> tuple[str, Any]:
    """The event as told to someone who may not see the other incident it names: a private
    incident they may not see is never named, not even by reference."""
    keys = _NAMES_ANOTHER.get(kind)
    if keys is None or not isinstance(data, dict):
        return message, data
    reference = data.get(keys[1])
    if isinstance(reference, str) and reference:
        message = message.replace(reference, "another incident")
        message = message[:1].upper() + message[1:]
    return message, {**data, keys[0]: None, keys[1]: None}


async def told_to(principal: Principal, events: Sequence[TimelineEvent]) -> dict[int, TimelineEvent]:
    """The events by id as `principal` may read them: those naming a private incident they may
    not see are copies that leave it unnamed."""
    from app.incidents.queries import get_visible

    others = {event.id: pk for event in events if (pk := other_incident(event.kind, event.data)) is not None}
    visible = await get_visible(principal, sorted(set(others.values()))) if others else {}
    told: dict[int, TimelineEvent] = {}
    for event in events:
        pk = others.get(event.id)
        if pk is not None and pk not in visible:
            event = copy.copy(event)
            event.message, event.data = without_other_incident(event.kind, event.message, event.data)
        told[event.id] = event
    return told


def feed_kind(kind: str, data: dict[str, Any]) -> str | None:
    if kind == TimelineKind.STATUS_CHANGED:
        return "RESOLVED" if data.get("to") == IncidentStatus.RESOLVED.value else "STATUS_CHANGED"
    return _FEED_KINDS.get(kind, "UPDATED")


async def append(
    outbox: Outbox,
    incident: Incident,
    kind: str,
    *,
    actor_id: int | None,
    message: str = "",
    data: dict[str, Any] | None = None,
    occurred_at: datetime | None = None,
    incident_changed: bool = True,
) -> TimelineEvent:
    """Append one event with the next sequence. The caller holds the incident's row lock
    and saves the incident (its `last_sequence`) in the same transaction."""
    now = clock.now()
    incident.last_sequence += 1
    incident.updated_at = now
    event = await TimelineEvent.create(
        incident_id=incident.id,
        sequence=incident.last_sequence,
        kind=str(kind.value if isinstance(kind, TimelineKind) else kind),
        actor_id=actor_id,
        occurred_at=occurred_at or now,
        recorded_at=now,
        message=message,
        data=data or {},
        using_db=outbox.connection,
    )
    _publish(outbox, incident, event, incident_changed)
    return event


@dataclass(frozen=True)
class Entry:
    """One event of a batch for `append_many`."""

    kind: str
    message: str = ""
    data: dict[str, Any] = field(default_factory=dict)


async def append_many(
    outbox: Outbox,
    incident: Incident,
    entries: Sequence[Entry],
    *,
    actor_id: int | None,
    incident_changed: bool = False,
) -> list[TimelineEvent]:
    """Append several events with consecutive sequences in one insert (same rules as `append`)."""
    if len(entries) == 1:
        entry = entries[0]
        return [
            await append(
                outbox,
                incident,
                entry.kind,
                actor_id=actor_id,
                message=entry.message,
                data=entry.data,
                incident_changed=incident_changed,
            )
        ]
    if not entries:
        return []
    now = clock.now()
    first = incident.last_sequence + 1
    events = [
        TimelineEvent(
            incident_id=incident.id,
            sequence=first + offset,
            kind=str(entry.kind.value if isinstance(entry.kind, TimelineKind) else entry.kind),
            actor_id=actor_id,
            occurred_at=now,
            recorded_at=now,
            message=entry.message,
            data=entry.data,
        )
        for offset, entry in enumerate(entries)
    ]
    incident.last_sequence += len(events)
    incident.updated_at = now
    assert outbox.connection is not None
    rows = await db.insert_returning(TimelineEvent, events, outbox.connection, ("id", "sequence"))
    ids = {row["sequence"]: row["id"] for row in rows}
    for event in events:
        event.id = ids[event.sequence]
        _publish(outbox, incident, event, incident_changed)
    return events


@dataclass(frozen=True)
class TimelineAppended:
    """An event joined an incident's timeline; `changed`: the incident's own fields changed too."""

    incident_id: int
    private: bool
    changed: bool
    event: dict[str, Any]  # `serialize(event)`

    @property
    def topic(self) -> str:
        return incident_topic(self.incident_id)

    def payload(self) -> dict[str, object]:
        return {
            "type": "timeline",
            "incidentId": self.incident_id,
            "private": self.private,
            "changed": self.changed,
            "event": self.event,
        }


@dataclass(frozen=True)
class FeedChanged:
    """An incident changed in a way the incident feed reports (`kind`: see `feed_kind`)."""

    kind: str
    incident_id: int
    private: bool
    sequence: int

    @property
    def topic(self) -> str:
        return FEED_TOPIC

    def payload(self) -> dict[str, object]:
        return {
            "type": "feed",
            "kind": self.kind,
            "incidentId": self.incident_id,
            "private": self.private,
            "sequence": self.sequence,
        }


def _publish(outbox: Outbox, incident: Incident, event: TimelineEvent, incident_changed: bool) -> None:
    outbox.add(TimelineAppended(incident.id, incident.private, incident_changed, serialize(event)))
    kind_for_feed = feed_kind(event.kind, event.data)
    if kind_for_feed is not None:
        outbox.add(FeedChanged(kind_for_feed, incident.id, incident.private, event.sequence))


def serialize(event: TimelineEvent) -> dict[str, Any]:
    return {
        "id": event.id,
        "incidentId": event.incident_id,
        "sequence": event.sequence,
        "kind": event.kind,
        "actorId": event.actor_id,
        "occurredAt": event.occurred_at.isoformat(),
        "recordedAt": event.recorded_at.isoformat(),
        "message": event.message,
        "data": event.data,
    }


def deserialize(raw: dict[str, Any]) -> TimelineEvent:
    """An unsaved model instance equal to the stored event (no database read)."""
    return TimelineEvent(
        id=raw["id"],
        incident_id=raw["incidentId"],
        sequence=raw["sequence"],
        kind=raw["kind"],
        actor_id=raw["actorId"],
        occurred_at=datetime.fromisoformat(raw["occurredAt"]),
        recorded_at=datetime.fromisoformat(raw["recordedAt"]),
        message=raw["message"],
        data=raw["data"],
    )
