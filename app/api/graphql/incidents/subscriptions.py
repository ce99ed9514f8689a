"""Incident subscriptions: the timeline (gap-free), the incident itself, and the feed."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from enum import Enum

import strawberry
from strawberry.types import Info

from app.api.graphql.context import Context
from app.api.graphql.incidents.types import Incident, TimelineEvent
from app.api.graphql.relay import pk_of
from app.broker import get_broker
from app.errors import Forbidden, NotFound
from app.identity.policy import Action, require
from app.incidents import queries, stream


class FeedKind(str, Enum):
    DECLARED = "DECLARED"
    UPDATED = "UPDATED"
    STATUS_CHANGED = "STATUS_CHANGED"
    SEVERITY_CHANGED = "SEVERITY_CHANGED"
    RESOLVED = "RESOLVED"
    MERGED = "MERGED"


IncidentFeedKind = strawberry.enum(FeedKind, name="IncidentFeedKind", description="What happened to the incident.")


@strawberry.type(description="One change in the incident feed.")
class IncidentFeedEvent:
    kind: IncidentFeedKind
    incident: Incident
    sequence: int = strawberry.field(description="The incident's timeline sequence of this change.")


async def _visible_incident_pk(info: Info[Context, None], incident_id: str) -> int:
    principal = require(info.context.principal, Action.READ)
    pk = pk_of(incident_id, "Incident", field="incidentId")
    if not await queries.get_visible(principal, [pk]):
        raise NotFound("Incident not found", field="incidentId")
    return pk


async def _still_visible(info: Info[Context, None], pk: int) -> None:
    """Before each event not known to be public: the change that hides the incident from this
    stream's readers (made private, a membership or role lost) ends it, and is not sent first."""
    principal = require(info.context.principal, Action.READ)
    if not await queries.can_see(principal, pk):
        raise Forbidden("Access to this incident was withdrawn")


def _broker():  # type: ignore[no-untyped-def]
    broker = get_broker()
    if broker is None:
        raise RuntimeError("the broker is not running")
    return broker


@strawberry.type
class IncidentSubscription:
    @strawberry.subscription(
        description=(
            "Replays stored events with sequence > afterSequence (none when omitted), then streams new "
            "ones: strictly increasing, contiguous sequences with no gap and no duplicate."
        )
    )
    async def incident_timeline(
        self, info: Info[Context, None], incident_id: strawberry.ID, after_sequence: int | None = None
    ) -> AsyncGenerator[TimelineEvent, None]:
        pk = await _visible_incident_pk(info, incident_id)
        async for event, public in stream.timeline_stream(_broker(), pk, after_sequence):
            if not public:  # every reader sees a public incident's events
                await _still_visible(info, pk)
            info.context.fresh_loaders()  # relations are read as of this event, not from an earlier one
            yield TimelineEvent.from_model(event)

    @strawberry.subscription(description="The incident after each change (status, severity, roles, fields).")
    async def incident_updated(
        self, info: Info[Context, None], incident_id: strawberry.ID
    ) -> AsyncGenerator[Incident, None]:
        pk = await _visible_incident_pk(info, incident_id)
        async for incident in stream.incident_changes(_broker(), pk):
            if incident.private:
                await _still_visible(info, pk)
            info.context.fresh_loaders()
            yield Incident.from_model(incident)

    @strawberry.subscription(description="Every change to the incidents the viewer may see.")
    async def incident_feed(self, info: Info[Context, None]) -> AsyncGenerator[IncidentFeedEvent, None]:
        principal = require(info.context.principal, Action.READ)
        async for item in stream.feed(_broker()):
            visible = await queries.get_visible(principal, [item.incident_id])
            incident = visible.get(item.incident_id)
            if incident is not None:
                info.context.fresh_loaders()
                yield IncidentFeedEvent(
                    kind=FeedKind(item.kind), incident=Incident.from_model(incident), sequence=item.sequence
                )
