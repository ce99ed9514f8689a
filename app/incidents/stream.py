"""Live incident streams over the broker, made gap-free by the database.

Redis pub/sub is at-most-once. A stream subscribes before it reads storage, drops what it has
already yielded, and when it sees a sequence jump (or the broker reports a possible gap) it
backfills the missing events from the database before yielding more.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import orjson

from app import clock
from app.broker import GAP, Broker
from app.events import FEED_TOPIC, incident_topic
from app.incidents import timeline
from app.incidents.models import Incident, TimelineEvent


async def events_between(incident_id: int, after: int, up_to: int | None = None) -> list[TimelineEvent]:
    query = TimelineEvent.filter(incident_id=incident_id, sequence__gt=after)
    if up_to is not None:
        query = query.filter(sequence__lte=up_to)
    return await query.order_by("sequence")


async def timeline_stream(
    broker: Broker, incident_id: int, after_sequence: int | None
) -> AsyncIterator[tuple[TimelineEvent, bool]]:
    """Events with sequence > after_sequence (or, when None, from now on), each exactly once, in
    order; each with whether the incident was public when it was recorded (False when unknown:
    events read back from storage)."""
    async with broker.subscribe(incident_topic(incident_id)) as listener:
        if after_sequence is None:
            current = await Incident.filter(id=incident_id).values_list("last_sequence", flat=True)
            last = current[0] if current else 0
        else:
            last = max(after_sequence, 0)
        for event in await events_between(incident_id, last):
            yield event, False
            last = event.sequence
        async for message in listener:
            if message is GAP:
                for event in await events_between(incident_id, last):
                    yield event, False
                    last = event.sequence
                continue
            payload = orjson.loads(message)
            if payload.get("type") != "timeline":
                continue
            sequence = payload["event"]["sequence"]
            if sequence <= last:
                continue  # already yielded (replayed, or backfilled after a jump)
            if sequence > last + 1:
                for event in await events_between(incident_id, last, sequence - 1):
                    yield event, False
                    last = event.sequence
            yield timeline.deserialize(payload["event"]), payload.get("private") is False
            last = sequence


async def incident_changes(broker: Broker, incident_id: int) -> AsyncIterator[Incident]:
    """The incident after each change to it (roles included; notes are not changes)."""
    async with broker.subscribe(incident_topic(incident_id)) as listener:
        seen = await _last_sequence(incident_id)
        async for message in listener:
            if message is not GAP:
                payload = orjson.loads(message)
                if payload.get("type") != "timeline" or not payload.get("changed"):
                    continue
                if payload["event"]["sequence"] <= seen:
                    continue
            incident = await Incident.get_or_none(id=incident_id)
            if incident is None:
                return
            if incident.last_sequence > seen:
                seen = incident.last_sequence
                yield incident


async def _last_sequence(incident_id: int) -> int:
    values = await Incident.filter(id=incident_id).values_list("last_sequence", flat=True)
    return values[0] if values else 0


@dataclass(frozen=True)
class FeedItem:
    kind: str
    incident_id: int
    sequence: int
    private: bool


async def feed(broker: Broker) -> AsyncIterator[FeedItem]:
    """Every incident change the feed reports (visibility is the caller's to check). After a
    possible gap, each incident changed meanwhile is reported once as UPDATED."""
    async with broker.subscribe(FEED_TOPIC) as listener:
        since = clock.now()
        async for message in listener:
            if message is GAP:
                changed = (
                    await Incident.filter(updated_at__gt=since)
                    .order_by("updated_at")
                    .values_list("id", "last_sequence", "private", "updated_at")
                )
                for incident_id, sequence, private, updated_at in changed:
                    since = max(since, updated_at)
                    yield FeedItem("UPDATED", incident_id, sequence, private)
                continue
            payload: dict[str, Any] = orjson.loads(message)
            since = clock.now()
            yield FeedItem(payload["kind"], payload["incidentId"], payload["sequence"], payload["private"])
