"""GraphQL types of incidents and their timeline."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry.types import Info

from app.api.graphql.catalog import Service
from app.api.graphql.context import Context
from app.api.graphql.errors import UserError
from app.api.graphql.identity import User
from app.api.graphql.relay import Node, PageInfo
from app.api.graphql.scalars import JSON, DateTime
from app.api.graphql.statuspage.types import PublicIncidentStatus, StatusUpdate, StatusUpdateAudience
from app.ids import to_global_id
from app.incidents import lifecycle, timeline
from app.incidents.enums import IncidentRole as IncidentRoleEnum
from app.incidents.enums import IncidentStatus as IncidentStatusEnum
from app.incidents.enums import Severity as SeverityEnum
from app.incidents.enums import TimelineKind
from app.incidents.models import Incident as IncidentModel
from app.incidents.models import RoleAssignment as RoleAssignmentModel
from app.incidents.models import TimelineEvent as TimelineEventModel
from app.incidents.queries import TimelineWindow, event_cursor, timeline_window

if TYPE_CHECKING:
    from app.api.graphql.alerts.types import AlertConnection
    from app.api.graphql.postmortems.action_items import ActionItem
    from app.api.graphql.postmortems.types import Postmortem


class Unset:
    """Marks a relation that was not prefetched (None is a valid prefetched value)."""


UNSET_RELATION: Any = Unset()

Severity = strawberry.enum(SeverityEnum, name="Severity", description="SEV1 is the worst.")
IncidentStatus = strawberry.enum(IncidentStatusEnum, name="IncidentStatus")
IncidentRole = strawberry.enum(IncidentRoleEnum, name="IncidentRole")
TimelineEventKind = strawberry.enum(TimelineKind, name="TimelineEventKind")


@strawberry.type
class TimelineEvent(Node):
    sequence: int
    kind: TimelineEventKind
    occurred_at: DateTime
    recorded_at: DateTime
    stored_message: strawberry.Private[str]
    stored_data: strawberry.Private[Any]
    actor_pk: strawberry.Private[int | None]
    incident_pk: strawberry.Private[int]
    other_incident_pk: strawberry.Private[int | None] = None
    prefetched_actor: strawberry.Private[User | None | Unset] = UNSET_RELATION

    @strawberry.field
    def message(self, info: Info[Context, None]) -> str:
        if self.other_incident_pk is None:
            return self.stored_message
        return self._as_told(info, 0)  # type: ignore[return-value]

    @strawberry.field
    def data(self, info: Info[Context, None]) -> JSON:
        if self.other_incident_pk is None:
            return self.stored_data  # type: ignore[no-any-return]
        return self._as_told(info, 1)  # type: ignore[return-value]

    async def _as_told(self, info: Info[Context, None], part: int) -> Any:
        """Message or data, without the other incident the event names if the viewer may not see it."""
        told = (self.stored_message, self.stored_data)
        if await info.context.loaders.incident.load(self.other_incident_pk) is None:
            told = timeline.without_other_incident(self.kind, self.stored_message, self.stored_data)
        return told[part]

    @strawberry.field
    def actor(self, info: Info[Context, None]) -> User | None:
        if self.prefetched_actor is not UNSET_RELATION:
            return self.prefetched_actor  # type: ignore[return-value]
        if self.actor_pk is None:
            return None
        return load_user(info, self.actor_pk)  # type: ignore[return-value]

    @classmethod
    def from_model(cls, event: TimelineEventModel) -> TimelineEvent:
        return cls(
            id=strawberry.ID(to_global_id("TimelineEvent", event.id)),
            sequence=event.sequence,
            kind=_kind(event.kind),
            occurred_at=event.occurred_at,
            recorded_at=event.recorded_at,
            stored_message=event.message,
            stored_data=event.data,
            actor_pk=event.actor_id,
            incident_pk=event.incident_id,
            other_incident_pk=timeline.other_incident(event.kind, event.data),
        )


def _kind(value: str) -> Any:
    try:
        return TimelineKind(value)
    except ValueError:
        return value


@strawberry.type
class TimelineEventEdge:
    cursor: str
    node: TimelineEvent


@strawberry.type
class TimelineEventConnection:
    edges: list[TimelineEventEdge]
    page_info: PageInfo
    total_count: int

    @strawberry.field(description="The events of this page, without cursors.")
    def nodes(self) -> list[TimelineEvent]:
        return [edge.node for edge in self.edges]


@strawberry.type
class IncidentRoleAssignment:
    role: IncidentRole
    assigned_at: DateTime
    user_pk: strawberry.Private[int]
    prefetched_user: strawberry.Private[User | None | Unset] = UNSET_RELATION

    @strawberry.field
    def user(self, info: Info[Context, None]) -> User | None:
        if self.prefetched_user is not UNSET_RELATION:
            return self.prefetched_user  # type: ignore[return-value]
        return load_user(info, self.user_pk)  # type: ignore[return-value]


@strawberry.type
class Incident(Node):
    number: int
    reference: str = strawberry.field(description="Human reference such as INC-42.")
    title: str
    summary: str
    severity: Severity
    status: IncidentStatus
    private: bool
    version: int = strawberry.field(description="Changes with every change of the incident's own fields.")
    declared_at: DateTime
    acknowledged_at: DateTime | None
    identified_at: DateTime | None
    mitigated_at: DateTime | None
    resolved_at: DateTime | None
    closed_at: DateTime | None
    updated_at: DateTime
    pk: strawberry.Private[int]
    last_sequence: strawberry.Private[int]
    merged_into_pk: strawberry.Private[int | None]
    prefetched: strawberry.Private[dict[Any, Any]] = dataclasses.field(default_factory=dict)

    @strawberry.field(description="Statuses this incident may move to next.")
    def allowed_transitions(self) -> list[IncidentStatus]:
        return lifecycle.allowed_targets(self.status)

    @strawberry.field
    def services(self, info: Info[Context, None]) -> list[Service]:
        if "services" in self.prefetched:
            return self.prefetched["services"]  # type: ignore[no-any-return]
        return self._services(info)  # type: ignore[return-value]

    async def _services(self, info: Info[Context, None]) -> list[Service]:
        return [Service.from_model(row) for row in await info.context.loaders.incident_services.load(self.pk)]

    @strawberry.field(description="Current role holders, one per role.")
    def roles(self, info: Info[Context, None]) -> list[IncidentRoleAssignment]:
        if "roles" in self.prefetched:
            return self.prefetched["roles"]  # type: ignore[no-any-return]
        return self._roles(info)  # type: ignore[return-value]

    async def _roles(self, info: Info[Context, None]) -> list[IncidentRoleAssignment]:
        rows = await info.context.loaders.incident_roles.load(self.pk)
        return [role_assignment(r) for r in rows]

    @strawberry.field(description="Users explicitly allowed to see this incident (besides admins and role holders).")
    async def members(self, info: Info[Context, None]) -> list[User]:
        rows = await info.context.loaders.incident_members.load(self.pk)
        users = await info.context.loaders.user.load_many([row.user_id for row in rows])
        return [User.from_model(user) for user in users if user is not None]

    @strawberry.field(description="The incident this one was merged into.")
    async def merged_into(self, info: Info[Context, None]) -> Incident | None:
        if self.merged_into_pk is None:
            return None
        row = await info.context.loaders.incident.load(self.merged_into_pk)
        return Incident.from_model(row) if row else None

    @strawberry.field(
        description=(
            "The timeline in sequence order. `first`/`after`/`afterSequence` page forward; "
            "`last`/`before` page backward (`last: 5` is the five newest events)."
        )
    )
    def timeline(
        self,
        info: Info[Context, None],
        first: int | None = None,
        after: str | None = None,
        after_sequence: int | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> TimelineEventConnection:
        window = timeline_window(
            self.last_sequence, first=first, after=after, after_sequence=after_sequence, last=last, before=before
        )
        prefetched = self.prefetched.get(("timeline", window.low, window.high))
        if prefetched is not None:
            return timeline_connection(window, prefetched)
        return self._timeline(info, window)  # type: ignore[return-value]

    async def _timeline(self, info: Info[Context, None], window: TimelineWindow) -> TimelineEventConnection:
        events = await info.context.loaders.timeline.load((self.pk, window))
        return timeline_connection(window, [TimelineEvent.from_model(e) for e in events])

    @strawberry.field(description="Alerts attached to this incident, newest first.")
    async def alerts(
        self, info: Info[Context, None], first: int | None = None, after: str | None = None
    ) -> Annotated[AlertConnection, strawberry.lazy("app.api.graphql.alerts.types")]:
        from app.api.graphql.alerts.types import incident_alerts

        return await incident_alerts(info, self.pk, first, after)

    @strawberry.field(description="Updates posted on this incident (both audiences unless one is given), newest first.")
    async def status_updates(
        self, info: Info[Context, None], audience: StatusUpdateAudience | None = None
    ) -> list[StatusUpdate]:
        rows = await info.context.loaders.status_updates.load(self.pk)
        return [StatusUpdate.from_model(r) for r in rows if audience is None or r.audience == audience]

    @strawberry.field(
        description="The title the public sees; null until set or published (then the title at publication)."
    )
    async def public_title(self, info: Info[Context, None]) -> str | None:
        row = await info.context.loaders.public_incident.load(self.pk)
        return (row.title or None) if row is not None else None

    @strawberry.field(description="The status the public sees; null until the first PUBLIC update.")
    async def public_status(self, info: Info[Context, None]) -> PublicIncidentStatus | None:
        row = await info.context.loaders.public_incident.load(self.pk)
        return row.status if row is not None else None

    @strawberry.field(description="The incident's postmortem, once started.")
    async def postmortem(
        self, info: Info[Context, None]
    ) -> Annotated[Postmortem, strawberry.lazy("app.api.graphql.postmortems.types")] | None:
        from app.api.graphql.postmortems.types import Postmortem

        row = await info.context.loaders.postmortems.by_incident.load(self.pk)
        return Postmortem.from_model(row) if row else None

    @strawberry.field(description="The incident's follow-ups, earliest due first (undated last).")
    async def action_items(
        self, info: Info[Context, None]
    ) -> list[Annotated[ActionItem, strawberry.lazy("app.api.graphql.postmortems.action_items")]]:
        from app.api.graphql.postmortems.action_items import ActionItem

        return [
            ActionItem.from_model(i) for i in await info.context.loaders.postmortems.incident_action_items.load(self.pk)
        ]

    @classmethod
    def from_model(cls, incident: IncidentModel) -> Incident:
        return cls(
            id=strawberry.ID(to_global_id("Incident", incident.id)),
            pk=incident.id,
            number=incident.number,
            reference=incident.reference,
            title=incident.title,
            summary=incident.summary,
            severity=incident.severity,
            status=incident.status,
            private=incident.private,
            version=incident.version,
            declared_at=incident.declared_at,
            acknowledged_at=incident.acknowledged_at,
            identified_at=incident.identified_at,
            mitigated_at=incident.mitigated_at,
            resolved_at=incident.resolved_at,
            closed_at=incident.closed_at,
            updated_at=incident.updated_at,
            last_sequence=incident.last_sequence,
            merged_into_pk=incident.merged_into_id,
        )


def timeline_connection(window: TimelineWindow, events: list[TimelineEvent]) -> TimelineEventConnection:
    return TimelineEventConnection(
        edges=[TimelineEventEdge(cursor=event_cursor(e.sequence), node=e) for e in events],
        page_info=PageInfo(
            has_next_page=window.has_next,
            has_previous_page=window.has_previous,
            start_cursor=event_cursor(events[0].sequence) if events else None,
            end_cursor=event_cursor(events[-1].sequence) if events else None,
        ),
        total_count=window.last_sequence,
    )


def role_assignment(row: RoleAssignmentModel, user: Any = UNSET_RELATION) -> IncidentRoleAssignment:
    return IncidentRoleAssignment(role=row.role, assigned_at=row.assigned_at, user_pk=row.user_id, prefetched_user=user)


async def load_user(info: Info[Context, None], pk: int) -> User | None:
    row = await info.context.loaders.user.load(pk)
    return User.from_model(row) if row else None


@strawberry.type
class IncidentEdge:
    cursor: str
    node: Incident


@strawberry.type
class IncidentPayload:
    incident: Incident | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class TimelineEventPayload:
    event: TimelineEvent | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)
