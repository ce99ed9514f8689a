"""Status page mutations: status updates on incidents, components and groups, maintenance."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from app import clock
from app.api.graphql.context import Context
from app.api.graphql.errors import UserError, payload
from app.api.graphql.incidents.types import Incident, IncidentPayload
from app.api.graphql.relay import pk_of, pks_of
from app.api.graphql.scalars import DateTime
from app.api.graphql.statuspage.types import (
    ComponentGroup,
    ComponentGroupPayload,
    ComponentStatus,
    DeletePayload,
    Maintenance,
    MaintenancePayload,
    MaintenanceStatus,
    PublicIncidentStatus,
    StatusComponent,
    StatusComponentPayload,
    StatusImpact,
    StatusUpdate,
    StatusUpdateAudience,
)
from app.ids import to_global_id
from app.incidents.models import Incident as IncidentModel
from app.statuspage import maintenance, queries, service
from app.statuspage.cache import public_cache


@strawberry.input
class ComponentImpactInput:
    component_id: strawberry.ID
    status: ComponentStatus


@strawberry.input
class PostStatusUpdateInput:
    incident_id: strawberry.ID
    message: str
    audience: StatusUpdateAudience
    public_status: PublicIncidentStatus | None = strawberry.field(
        default=None,
        description="PUBLIC updates: the incident's public status (defaults to the current one, else INVESTIGATING).",
    )
    component_impacts: list[ComponentImpactInput] = strawberry.field(
        default_factory=list, description="PUBLIC updates only."
    )
    public_title: str | None = strawberry.field(
        default=None, description="PUBLIC updates only: the title the public sees."
    )
    impact: StatusImpact | None = strawberry.field(
        default=None, description="PUBLIC updates only: overrides the impact derived from the component impacts."
    )


@strawberry.type
class StatusUpdatePayload:
    status_update: StatusUpdate | None = None
    incident: Incident | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class UpdateIncidentPublicTitleInput:
    incident_id: strawberry.ID
    public_title: str


@strawberry.input
class CreateStatusComponentInput:
    name: str
    description: str = ""
    group_id: strawberry.ID | None = None
    position: int = 0
    service_id: strawberry.ID | None = None
    status: ComponentStatus = ComponentStatus.OPERATIONAL  # type: ignore[attr-defined]


@strawberry.input
class UpdateStatusComponentInput:
    component_id: strawberry.ID
    name: str | None = strawberry.UNSET
    description: str | None = strawberry.UNSET
    group_id: strawberry.ID | None = strawberry.UNSET
    position: int | None = strawberry.UNSET
    service_id: strawberry.ID | None = strawberry.UNSET


@strawberry.input
class StatusComponentIdInput:
    component_id: strawberry.ID


@strawberry.input
class SetStatusComponentStatusInput:
    component_id: strawberry.ID
    status: ComponentStatus


@strawberry.input
class CreateComponentGroupInput:
    name: str
    description: str = ""
    position: int = 0


@strawberry.input
class UpdateComponentGroupInput:
    group_id: strawberry.ID
    name: str | None = strawberry.UNSET
    description: str | None = strawberry.UNSET
    position: int | None = strawberry.UNSET


@strawberry.input
class ComponentGroupIdInput:
    group_id: strawberry.ID


@strawberry.input
class ScheduleMaintenanceInput:
    title: str
    message: str
    component_ids: list[strawberry.ID]
    scheduled_for: DateTime
    scheduled_until: DateTime


@strawberry.input
class UpdateMaintenanceInput:
    maintenance_id: strawberry.ID
    title: str | None = strawberry.UNSET
    component_ids: list[strawberry.ID] | None = strawberry.UNSET
    scheduled_for: DateTime | None = strawberry.UNSET
    scheduled_until: DateTime | None = strawberry.UNSET


@strawberry.input
class PostMaintenanceUpdateInput:
    maintenance_id: strawberry.ID
    message: str | None = None
    status: MaintenanceStatus | None = strawberry.field(
        default=None, description="IN_PROGRESS starts early, VERIFYING marks the work done, COMPLETED ends early."
    )


@strawberry.input
class CancelMaintenanceInput:
    maintenance_id: strawberry.ID
    message: str | None = None


def _given(value: object, unset: object) -> object:
    return unset if value is strawberry.UNSET else value


def _optional_pk(value: object, type_name: str, field: str, unset: object) -> object:
    if value is strawberry.UNSET:
        return unset
    return None if value is None else pk_of(value, type_name, field=field)  # type: ignore[arg-type]


async def _component(pk: int) -> StatusComponent:
    snapshot = await public_cache.snapshot()
    return StatusComponent.from_view(snapshot.components_by_id[pk])


async def _group(pk: int) -> ComponentGroup:
    snapshot = await public_cache.snapshot()
    return ComponentGroup.from_view(next(g for g in snapshot.groups if g.id == pk), snapshot)


async def _maintenance(row: object) -> Maintenance:
    return Maintenance.from_view((await queries.maintenance_views([row], clock.now()))[0])  # type: ignore[list-item]


def _component_pk(value: strawberry.ID, field: str = "componentId") -> int:
    return pk_of(value, "StatusComponent", field=field)


@strawberry.type
class StatusPageMutation:
    @strawberry.mutation(
        description="Post an update on an incident, for the company (INTERNAL) or the status page (PUBLIC)."
    )
    @payload(StatusUpdatePayload)
    async def post_status_update(self, info: Info[Context, None], input: PostStatusUpdateInput) -> StatusUpdatePayload:
        update = await service.post_status_update(
            actor=info.context.principal,  # type: ignore[arg-type]
            incident_id=pk_of(input.incident_id, "Incident", field="incidentId"),
            message=input.message,
            audience=input.audience,
            public_status=input.public_status,
            component_impacts=[
                (_component_pk(i.component_id, "componentImpacts"), i.status) for i in input.component_impacts
            ],
            public_title=input.public_title,
            impact=input.impact,
        )
        incident = await IncidentModel.get(id=update.incident_id)
        return StatusUpdatePayload(
            status_update=StatusUpdate.from_model(update), incident=Incident.from_model(incident)
        )

    @strawberry.mutation(description="Set the title the public sees for an incident.")
    @payload(IncidentPayload)
    async def update_incident_public_title(
        self, info: Info[Context, None], input: UpdateIncidentPublicTitleInput
    ) -> IncidentPayload:
        public = await service.set_public_title(
            actor=info.context.principal,  # type: ignore[arg-type]
            incident_id=pk_of(input.incident_id, "Incident", field="incidentId"),
            public_title=input.public_title,
        )
        return IncidentPayload(incident=Incident.from_model(await IncidentModel.get(id=public.incident_id)))

    @strawberry.mutation(description="Admin: add a component to the status page.")
    @payload(StatusComponentPayload)
    async def create_status_component(
        self, info: Info[Context, None], input: CreateStatusComponentInput
    ) -> StatusComponentPayload:
        component = await service.create_component(
            actor=info.context.principal,  # type: ignore[arg-type]
            name=input.name,
            description=input.description,
            group_id=pk_of(input.group_id, "ComponentGroup", field="groupId") if input.group_id else None,
            position=input.position,
            service_id=pk_of(input.service_id, "Service", field="serviceId") if input.service_id else None,
            status=input.status,
        )
        return StatusComponentPayload(component=await _component(component.id))

    @strawberry.mutation(description="Admin: edit a component; omitted fields stay, null clears the group or service.")
    @payload(StatusComponentPayload)
    async def update_status_component(
        self, info: Info[Context, None], input: UpdateStatusComponentInput
    ) -> StatusComponentPayload:
        component = await service.update_component(
            actor=info.context.principal,  # type: ignore[arg-type]
            component_id=_component_pk(input.component_id),
            name=_given(input.name, service.UNSET),  # type: ignore[arg-type]
            description=_given(input.description, service.UNSET),  # type: ignore[arg-type]
            group_id=_optional_pk(input.group_id, "ComponentGroup", "groupId", service.UNSET),  # type: ignore[arg-type]
            position=_given(input.position, service.UNSET),  # type: ignore[arg-type]
            service_id=_optional_pk(input.service_id, "Service", "serviceId", service.UNSET),  # type: ignore[arg-type]
        )
        return StatusComponentPayload(component=await _component(component.id))

    @strawberry.mutation(description="Admin: remove a component and its history from the status page.")
    @payload(DeletePayload)
    async def delete_status_component(self, info: Info[Context, None], input: StatusComponentIdInput) -> DeletePayload:
        pk = _component_pk(input.component_id)
        await service.delete_component(actor=info.context.principal, component_id=pk)  # type: ignore[arg-type]
        return DeletePayload(deleted_id=strawberry.ID(to_global_id("StatusComponent", pk)))

    @strawberry.mutation(description="Set a component's status outside any incident.")
    @payload(StatusComponentPayload)
    async def set_status_component_status(
        self, info: Info[Context, None], input: SetStatusComponentStatusInput
    ) -> StatusComponentPayload:
        component = await service.set_component_status(
            actor=info.context.principal,
            component_id=_component_pk(input.component_id),
            status=input.status,  # type: ignore[arg-type]
        )
        return StatusComponentPayload(component=await _component(component.id))

    @strawberry.mutation(description="Admin: add a component group.")
    @payload(ComponentGroupPayload)
    async def create_component_group(
        self, info: Info[Context, None], input: CreateComponentGroupInput
    ) -> ComponentGroupPayload:
        group = await service.create_group(
            actor=info.context.principal,
            name=input.name,
            description=input.description,
            position=input.position,  # type: ignore[arg-type]
        )
        return ComponentGroupPayload(group=await _group(group.id))

    @strawberry.mutation(description="Admin: edit a component group; omitted fields stay.")
    @payload(ComponentGroupPayload)
    async def update_component_group(
        self, info: Info[Context, None], input: UpdateComponentGroupInput
    ) -> ComponentGroupPayload:
        group = await service.update_group(
            actor=info.context.principal,  # type: ignore[arg-type]
            group_id=pk_of(input.group_id, "ComponentGroup", field="groupId"),
            name=_given(input.name, service.UNSET),  # type: ignore[arg-type]
            description=_given(input.description, service.UNSET),  # type: ignore[arg-type]
            position=_given(input.position, service.UNSET),  # type: ignore[arg-type]
        )
        return ComponentGroupPayload(group=await _group(group.id))

    @strawberry.mutation(description="Admin: remove a group; its components stay, ungrouped.")
    @payload(DeletePayload)
    async def delete_component_group(self, info: Info[Context, None], input: ComponentGroupIdInput) -> DeletePayload:
        pk = pk_of(input.group_id, "ComponentGroup", field="groupId")
        await service.delete_group(actor=info.context.principal, group_id=pk)  # type: ignore[arg-type]
        return DeletePayload(deleted_id=strawberry.ID(to_global_id("ComponentGroup", pk)))

    @strawberry.mutation(description="Announce a maintenance window for some components.")
    @payload(MaintenancePayload)
    async def schedule_maintenance(
        self, info: Info[Context, None], input: ScheduleMaintenanceInput
    ) -> MaintenancePayload:
        row = await maintenance.schedule_maintenance(
            actor=info.context.principal,  # type: ignore[arg-type]
            title=input.title,
            message=input.message,
            component_ids=pks_of(input.component_ids, "StatusComponent", field="componentIds"),
            scheduled_for=input.scheduled_for,
            scheduled_until=input.scheduled_until,
        )
        return MaintenancePayload(maintenance=await _maintenance(row))

    @strawberry.mutation(description="Edit a maintenance that has not ended; omitted fields stay.")
    @payload(MaintenancePayload)
    async def update_maintenance(self, info: Info[Context, None], input: UpdateMaintenanceInput) -> MaintenancePayload:
        component_ids = _given(input.component_ids, maintenance.UNSET)
        if component_ids not in (maintenance.UNSET, None):
            component_ids = pks_of(component_ids, "StatusComponent", field="componentIds")  # type: ignore[arg-type]
        row = await maintenance.update_maintenance(
            actor=info.context.principal,  # type: ignore[arg-type]
            maintenance_id=pk_of(input.maintenance_id, "Maintenance", field="maintenanceId"),
            title=_given(input.title, maintenance.UNSET),  # type: ignore[arg-type]
            component_ids=component_ids,  # type: ignore[arg-type]
            scheduled_for=_given(input.scheduled_for, maintenance.UNSET),  # type: ignore[arg-type]
            scheduled_until=_given(input.scheduled_until, maintenance.UNSET),  # type: ignore[arg-type]
        )
        return MaintenancePayload(maintenance=await _maintenance(row))

    @strawberry.mutation(description="Post an update on a maintenance, optionally moving its status on.")
    @payload(MaintenancePayload)
    async def post_maintenance_update(
        self, info: Info[Context, None], input: PostMaintenanceUpdateInput
    ) -> MaintenancePayload:
        row = await maintenance.post_maintenance_update(
            actor=info.context.principal,  # type: ignore[arg-type]
            maintenance_id=pk_of(input.maintenance_id, "Maintenance", field="maintenanceId"),
            message=input.message,
            status=input.status,
        )
        return MaintenancePayload(maintenance=await _maintenance(row))

    @strawberry.mutation(description="Cancel a maintenance (one already running ends now).")
    @payload(MaintenancePayload)
    async def cancel_maintenance(self, info: Info[Context, None], input: CancelMaintenanceInput) -> MaintenancePayload:
        row = await maintenance.cancel_maintenance(
            actor=info.context.principal,  # type: ignore[arg-type]
            maintenance_id=pk_of(input.maintenance_id, "Maintenance", field="maintenanceId"),
            message=input.message,
        )
        return MaintenancePayload(maintenance=await _maintenance(row))
