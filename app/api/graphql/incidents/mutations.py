"""Incident mutations: validate input, call the domain, map the result."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from app.api.graphql.context import Context
from app.api.graphql.errors import payload
from app.api.graphql.incidents.types import (
    Incident,
    IncidentPayload,
    IncidentRole,
    IncidentStatus,
    Severity,
    TimelineEvent,
    TimelineEventPayload,
)
from app.api.graphql.relay import pk_of, pks_of
from app.api.graphql.scalars import DateTime
from app.incidents import access, service
from app.incidents.enums import IncidentStatus as Status


@strawberry.input
class DeclareIncidentInput:
    title: str
    severity: Severity
    summary: str = ""
    service_ids: list[strawberry.ID] = strawberry.field(default_factory=list)
    private: bool = False
    status: IncidentStatus = Status.TRIAGE


@strawberry.input
class UpdateIncidentStatusInput:
    incident_id: strawberry.ID
    status: IncidentStatus
    message: str | None = None
    expected_version: int | None = None


@strawberry.input
class ChangeIncidentSeverityInput:
    incident_id: strawberry.ID
    severity: Severity
    message: str | None = None
    expected_version: int | None = None


@strawberry.input
class UpdateIncidentInput:
    incident_id: strawberry.ID
    title: str | None = strawberry.UNSET
    summary: str | None = strawberry.UNSET
    service_ids: list[strawberry.ID] | None = strawberry.UNSET
    private: bool | None = strawberry.field(
        default=strawberry.UNSET,
        description="Making an incident private hides it from everyone but admins, role holders and members.",
    )
    expected_version: int | None = None


@strawberry.input
class AssignIncidentRoleInput:
    incident_id: strawberry.ID
    role: IncidentRole
    user_id: strawberry.ID


@strawberry.input
class UnassignIncidentRoleInput:
    incident_id: strawberry.ID
    role: IncidentRole


@strawberry.input
class AddTimelineNoteInput:
    incident_id: strawberry.ID
    body: str
    occurred_at: DateTime | None = strawberry.field(
        default=None, description="Back-date the note (not into the future)."
    )


@strawberry.input
class IncidentMemberInput:
    incident_id: strawberry.ID
    user_id: strawberry.ID


@strawberry.input
class MergeIncidentInput:
    incident_id: strawberry.ID
    into_incident_id: strawberry.ID


def _incident_pk(global_id: strawberry.ID, field: str = "incidentId") -> int:
    return pk_of(global_id, "Incident", field=field)


def _given(value: object) -> object:
    return service.UNSET if value is strawberry.UNSET else value


@strawberry.type
class IncidentMutation:
    @strawberry.mutation(description="Declare an incident (status defaults to TRIAGE).")
    @payload(IncidentPayload)
    async def declare_incident(self, info: Info[Context, None], input: DeclareIncidentInput) -> IncidentPayload:
        incident = await service.declare_incident(
            actor=info.context.principal,
            title=input.title,
            severity=input.severity,
            summary=input.summary,
            service_ids=pks_of(input.service_ids, "Service", field="serviceIds"),
            private=input.private,
            status=input.status,
        )
        return IncidentPayload(incident=Incident.from_model(incident))

    @strawberry.mutation(description="Move an incident through its lifecycle.")
    @payload(IncidentPayload)
    async def update_incident_status(
        self, info: Info[Context, None], input: UpdateIncidentStatusInput
    ) -> IncidentPayload:
        incident = await service.update_status(
            actor=info.context.principal,
            incident_id=_incident_pk(input.incident_id),
            status=input.status,
            message=input.message,
            expected_version=input.expected_version,
        )
        return IncidentPayload(incident=Incident.from_model(incident))

    @strawberry.mutation
    @payload(IncidentPayload)
    async def change_incident_severity(
        self, info: Info[Context, None], input: ChangeIncidentSeverityInput
    ) -> IncidentPayload:
        incident = await service.change_severity(
            actor=info.context.principal,
            incident_id=_incident_pk(input.incident_id),
            severity=input.severity,
            message=input.message,
            expected_version=input.expected_version,
        )
        return IncidentPayload(incident=Incident.from_model(incident))

    @strawberry.mutation(description="Edit the title, summary or affected services; omitted fields stay.")
    @payload(IncidentPayload)
    async def update_incident(self, info: Info[Context, None], input: UpdateIncidentInput) -> IncidentPayload:
        service_ids = _given(input.service_ids)
        if service_ids is not service.UNSET and service_ids is not None:
            service_ids = pks_of(service_ids, "Service", field="serviceIds")  # type: ignore[arg-type]
        incident = await service.update_incident(
            actor=info.context.principal,
            incident_id=_incident_pk(input.incident_id),
            title=_given(input.title),  # type: ignore[arg-type]
            summary=_given(input.summary),  # type: ignore[arg-type]
            service_ids=service_ids,  # type: ignore[arg-type]
            private=_given(input.private),  # type: ignore[arg-type]
            expected_version=input.expected_version,
        )
        return IncidentPayload(incident=Incident.from_model(incident))

    @strawberry.mutation(description="Give a role to a user; the previous holder hands off.")
    @payload(IncidentPayload)
    async def assign_incident_role(self, info: Info[Context, None], input: AssignIncidentRoleInput) -> IncidentPayload:
        incident = await service.assign_role(
            actor=info.context.principal,
            incident_id=_incident_pk(input.incident_id),
            role=input.role,
            user_id=pk_of(input.user_id, "User", field="userId"),
        )
        return IncidentPayload(incident=Incident.from_model(incident))

    @strawberry.mutation
    @payload(IncidentPayload)
    async def unassign_incident_role(
        self, info: Info[Context, None], input: UnassignIncidentRoleInput
    ) -> IncidentPayload:
        incident = await service.unassign_role(
            actor=info.context.principal, incident_id=_incident_pk(input.incident_id), role=input.role
        )
        return IncidentPayload(incident=Incident.from_model(incident))

    @strawberry.mutation(description="Add a note to the timeline.")
    @payload(TimelineEventPayload)
    async def add_timeline_note(self, info: Info[Context, None], input: AddTimelineNoteInput) -> TimelineEventPayload:
        event = await service.add_note(
            actor=info.context.principal,
            incident_id=_incident_pk(input.incident_id),
            body=input.body,
            occurred_at=input.occurred_at,
        )
        return TimelineEventPayload(event=TimelineEvent.from_model(event))

    @strawberry.mutation(description="Merge an open incident into another.")
    @payload(IncidentPayload)
    async def merge_incident(self, info: Info[Context, None], input: MergeIncidentInput) -> IncidentPayload:
        incident = await service.merge_incident(
            actor=info.context.principal,
            incident_id=_incident_pk(input.incident_id),
            into_incident_id=_incident_pk(input.into_incident_id, "intoIncidentId"),
        )
        return IncidentPayload(incident=Incident.from_model(incident))

    @strawberry.mutation(description="Let a user see the incident, even when it is private.")
    @payload(IncidentPayload)
    async def add_incident_member(self, info: Info[Context, None], input: IncidentMemberInput) -> IncidentPayload:
        incident = await access.add_member(
            actor=info.context.principal,
            incident_id=_incident_pk(input.incident_id),
            user_id=pk_of(input.user_id, "User", field="userId"),
        )
        return IncidentPayload(incident=Incident.from_model(incident))

    @strawberry.mutation(description="Take a member off; their live subscriptions to a private incident end.")
    @payload(IncidentPayload)
    async def remove_incident_member(self, info: Info[Context, None], input: IncidentMemberInput) -> IncidentPayload:
        incident = await access.remove_member(
            actor=info.context.principal,
            incident_id=_incident_pk(input.incident_id),
            user_id=pk_of(input.user_id, "User", field="userId"),
        )
        return IncidentPayload(incident=Incident.from_model(incident))
