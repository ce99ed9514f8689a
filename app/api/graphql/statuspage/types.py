"""GraphQL types of the status page. Public types are built from the cached snapshot
(`app.statuspage.snapshot`), so a public query reads nothing the public outputs do not show."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry.types import Info

from app.api.graphql.catalog import Service
from app.api.graphql.context import Context
from app.api.graphql.errors import UserError
from app.api.graphql.identity import User
from app.api.graphql.relay import Node
from app.api.graphql.scalars import DateTime
from app.identity.policy import Action, require
from app.ids import to_global_id
from app.statuspage import enums
from app.statuspage import models as m
from app.statuspage import snapshot as views
from app.statuspage.uptime import UptimeDay as UptimeDayValue

if TYPE_CHECKING:
    from app.api.graphql.incidents.types import Incident

ComponentStatus = strawberry.enum(enums.ComponentStatus, name="ComponentStatus")
StatusUpdateAudience = strawberry.enum(enums.Audience, name="StatusUpdateAudience", description="Who an update is for.")
PublicIncidentStatus = strawberry.enum(enums.PublicStatus, name="PublicIncidentStatus")
StatusImpact = strawberry.enum(enums.Impact, name="StatusImpact")
StatusIndicator = strawberry.enum(enums.Indicator, name="StatusIndicator")
MaintenanceStatus = strawberry.enum(enums.MaintenanceStatus, name="MaintenanceStatus")


@strawberry.type(description="One calendar day (in the page's time zone) of a component's uptime.")
class UptimeDay:
    date: date
    uptime: float | None = strawberry.field(
        description="Percent of the observed time that was not a major outage; null without data."
    )
    downtime_seconds: int = strawberry.field(description="Time in MAJOR_OUTAGE.")
    degraded_seconds: int = strawberry.field(
        description="Time in DEGRADED_PERFORMANCE or PARTIAL_OUTAGE (not downtime)."
    )
    maintenance_seconds: int
    status: ComponentStatus | None = strawberry.field(description="The worst status of the day; null without data.")

    @classmethod
    def from_value(cls, day: UptimeDayValue) -> UptimeDay:
        value = day.uptime
        return cls(
            date=day.day,
            uptime=None if value is None else round(value * 100, 4),
            downtime_seconds=round(day.downtime),
            degraded_seconds=round(day.degraded),
            maintenance_seconds=round(day.maintenance),
            status=day.worst,
        )


@strawberry.type
class ComponentUptime:
    percentage: float | None = strawberry.field(description="Uptime over the whole window, in percent.")
    days: list[UptimeDay] = strawberry.field(description="Oldest first; 90 days ending today.")


@strawberry.type
class StatusComponent(Node):
    name: str
    description: str
    position: int
    status: ComponentStatus = strawberry.field(
        description="As shown: UNDER_MAINTENANCE during a maintenance unless worse."
    )
    created_at: DateTime
    updated_at: DateTime
    pk: strawberry.Private[int]
    group_pk: strawberry.Private[int | None]
    uptime_value: strawberry.Private[views.UptimeView]

    @strawberry.field(description="Uptime over the last 90 days (see the README for the rule).")
    def uptime(self) -> ComponentUptime:
        return ComponentUptime(
            percentage=self.uptime_value.percentage, days=[UptimeDay.from_value(d) for d in self.uptime_value.days]
        )

    @strawberry.field
    async def group(self, info: Info[Context, None]) -> ComponentGroup | None:
        if self.group_pk is None:
            return None
        from app.statuspage.cache import public_cache

        snapshot = await public_cache.snapshot()
        found = next((g for g in snapshot.groups if g.id == self.group_pk), None)
        return ComponentGroup.from_view(found, snapshot) if found else None

    @strawberry.field(description="The catalog service behind this component (needs a token).")
    async def service(self, info: Info[Context, None]) -> Service | None:
        require(info.context.principal, Action.READ)
        row = await info.context.loaders.status_component.load(self.pk)
        if row is None or row.service_id is None:
            return None
        service = await info.context.loaders.service.load(row.service_id)
        return Service.from_model(service) if service else None

    @strawberry.field(description="Every change of the shown status, newest first (needs a token).")
    async def status_history(self, info: Info[Context, None], first: int = 50) -> list[ComponentStatusChange]:
        from app.api.graphql.statuspage.history import status_history

        require(info.context.principal, Action.READ)
        return await status_history(info, self.pk, first)

    @classmethod
    def from_view(cls, view: views.ComponentView) -> StatusComponent:
        return cls(
            id=strawberry.ID(to_global_id("StatusComponent", view.id)),
            pk=view.id,
            name=view.name,
            description=view.description,
            position=view.position,
            status=view.status,
            created_at=view.created_at,
            updated_at=view.updated_at,
            group_pk=view.group_id,
            uptime_value=view.uptime,
        )


@strawberry.type
class ComponentGroup(Node):
    name: str
    description: str
    position: int
    status: ComponentStatus = strawberry.field(description="The worst status of its components.")
    components: list[StatusComponent]
    pk: strawberry.Private[int]

    @classmethod
    def from_view(cls, view: views.GroupView, snapshot: views.Snapshot) -> ComponentGroup:
        by_id = snapshot.components_by_id
        return cls(
            id=strawberry.ID(to_global_id("ComponentGroup", view.id)),
            pk=view.id,
            name=view.name,
            description=view.description,
            position=view.position,
            status=view.status,
            components=[StatusComponent.from_view(by_id[i]) for i in view.component_ids],
        )


@strawberry.type(description="A component's status as an update set it.")
class AffectedComponent:
    component_id: strawberry.ID
    name: str
    old_status: ComponentStatus | None
    new_status: ComponentStatus

    @classmethod
    def from_view(cls, view: views.AffectedComponent) -> AffectedComponent:
        return cls(
            component_id=strawberry.ID(to_global_id("StatusComponent", view.component_id)),
            name=view.name,
            old_status=view.old_status,
            new_status=view.new_status,
        )


@strawberry.type(description="A public update on a public incident.")
class PublicIncidentUpdate:
    id: strawberry.ID
    status: PublicIncidentStatus
    message: str
    created_at: DateTime
    affected_components: list[AffectedComponent]


@strawberry.type(description="An incident as the public sees it.")
class PublicIncident:
    id: strawberry.ID
    title: str
    status: PublicIncidentStatus
    impact: StatusImpact
    created_at: DateTime
    updated_at: DateTime
    monitoring_at: DateTime | None
    resolved_at: DateTime | None
    updates: list[PublicIncidentUpdate] = strawberry.field(description="Newest first.")
    components: list[StatusComponent]

    @classmethod
    def from_view(cls, view: views.IncidentView, snapshot: views.Snapshot) -> PublicIncident:
        by_id = snapshot.components_by_id
        return cls(
            id=strawberry.ID(to_global_id("PublicIncident", view.id)),
            title=view.title,
            status=view.status,
            impact=view.impact,
            created_at=view.created_at,
            updated_at=view.updated_at,
            monitoring_at=view.monitoring_at,
            resolved_at=view.resolved_at,
            updates=[
                PublicIncidentUpdate(
                    id=strawberry.ID(to_global_id("StatusUpdate", u.id)),
                    status=u.status,
                    message=u.message,
                    created_at=u.created_at,
                    affected_components=[AffectedComponent.from_view(a) for a in u.affected],
                )
                for u in view.updates
            ],
            components=[StatusComponent.from_view(by_id[i]) for i in view.component_ids if i in by_id],
        )


@strawberry.type
class MaintenanceUpdate:
    id: strawberry.ID
    status: MaintenanceStatus
    message: str
    created_at: DateTime


@strawberry.type(description="A maintenance window; its status is derived from the clock when read.")
class Maintenance(Node):
    title: str
    status: MaintenanceStatus
    scheduled_for: DateTime
    scheduled_until: DateTime
    started_at: DateTime | None
    ended_at: DateTime | None = strawberry.field(description="When it completed or was cancelled.")
    created_at: DateTime
    updated_at: DateTime
    updates: list[MaintenanceUpdate] = strawberry.field(description="Newest first.")
    pk: strawberry.Private[int]
    component_pks: strawberry.Private[tuple[int, ...]]

    @strawberry.field
    async def components(self) -> list[StatusComponent]:
        from app.statuspage.cache import public_cache

        by_id = (await public_cache.snapshot()).components_by_id
        return [StatusComponent.from_view(by_id[i]) for i in self.component_pks if i in by_id]

    @classmethod
    def from_view(cls, view: views.MaintenanceView) -> Maintenance:
        return cls(
            id=strawberry.ID(to_global_id("Maintenance", view.id)),
            pk=view.id,
            title=view.title,
            status=view.status,
            scheduled_for=view.scheduled_for,
            scheduled_until=view.scheduled_until,
            started_at=view.started_at,
            ended_at=view.ended_at,
            created_at=view.created_at,
            updated_at=view.updated_at,
            updates=[
                MaintenanceUpdate(
                    id=strawberry.ID(to_global_id("MaintenanceUpdate", u.id)),
                    status=u.status,
                    message=u.message,
                    created_at=u.created_at,
                )
                for u in view.updates
            ],
            component_pks=view.component_ids,
        )


@strawberry.type(description="The public status page: everything here is public.")
class StatusPage:
    name: str
    url: str
    logo_url: str | None
    time_zone: str
    updated_at: DateTime
    indicator: StatusIndicator
    description: str
    components: list[StatusComponent] = strawberry.field(description="Every component, in display order.")
    groups: list[ComponentGroup]
    incidents: list[PublicIncident] = strawberry.field(description="Unresolved public incidents, newest first.")
    recent_incidents: list[PublicIncident] = strawberry.field(
        description="The latest 50 public incidents, newest first."
    )
    upcoming_maintenances: list[Maintenance]
    active_maintenances: list[Maintenance]

    @classmethod
    def from_snapshot(cls, snapshot: views.Snapshot) -> StatusPage:
        page = snapshot.page
        return cls(
            name=page.name,
            url=page.url,
            logo_url=page.logo_url,
            time_zone=page.time_zone,
            updated_at=snapshot.updated_at,
            indicator=snapshot.overall.indicator,
            description=snapshot.overall.description,
            components=[StatusComponent.from_view(c) for c in snapshot.components],
            groups=[ComponentGroup.from_view(g, snapshot) for g in snapshot.groups],
            incidents=[PublicIncident.from_view(i, snapshot) for i in snapshot.unresolved_incidents],
            recent_incidents=[PublicIncident.from_view(i, snapshot) for i in snapshot.latest_incidents],
            upcoming_maintenances=[Maintenance.from_view(v) for v in snapshot.upcoming_maintenances],
            active_maintenances=[Maintenance.from_view(v) for v in snapshot.active_maintenances],
        )


@strawberry.type(description="An update on an incident, internal or public.")
class StatusUpdate(Node):
    audience: StatusUpdateAudience
    public_status: PublicIncidentStatus | None
    message: str
    created_at: DateTime
    sequence: int = strawberry.field(description="The incident timeline sequence of this update's event.")
    component_impacts: list[AffectedComponent]
    author_pk: strawberry.Private[int | None]
    incident_pk: strawberry.Private[int]

    @strawberry.field
    async def author(self, info: Info[Context, None]) -> User | None:
        if self.author_pk is None:
            return None
        row = await info.context.loaders.user.load(self.author_pk)
        return User.from_model(row) if row else None

    @classmethod
    def from_model(cls, row: m.StatusUpdate) -> StatusUpdate:
        return cls(
            id=strawberry.ID(to_global_id("StatusUpdate", row.id)),
            audience=row.audience,
            public_status=row.public_status,
            message=row.message,
            created_at=row.created_at,
            sequence=row.timeline_sequence,
            component_impacts=[
                AffectedComponent(
                    component_id=strawberry.ID(to_global_id("StatusComponent", i["componentId"])),
                    name=i["name"],
                    old_status=enums.ComponentStatus(i["from"]) if i.get("from") else None,
                    new_status=enums.ComponentStatus(i["to"]),
                )
                for i in row.impacts
            ],
            author_pk=row.author_id,
            incident_pk=row.incident_id,
        )


@strawberry.type(description="One change of a component's shown status and its cause.")
class ComponentStatusChange:
    at: DateTime
    from_status: ComponentStatus | None = strawberry.field(name="from")
    to_status: ComponentStatus = strawberry.field(name="to")
    incident_pk: strawberry.Private[int | None]
    actor_pk: strawberry.Private[int | None]
    maintenance_value: strawberry.Private[views.MaintenanceView | None]

    @strawberry.field(description="The incident whose update caused it, if visible to you.")
    async def incident(
        self, info: Info[Context, None]
    ) -> Annotated[Incident, strawberry.lazy("app.api.graphql.incidents.types")] | None:
        from app.api.graphql.incidents.types import Incident

        if self.incident_pk is None:
            return None
        row = await info.context.loaders.incident.load(self.incident_pk)
        return Incident.from_model(row) if row else None

    @strawberry.field(description="The maintenance window that caused it.")
    def maintenance(self) -> Maintenance | None:
        return Maintenance.from_view(self.maintenance_value) if self.maintenance_value else None

    @strawberry.field(description="Who set it by hand (null when an incident or a maintenance did).")
    async def actor(self, info: Info[Context, None]) -> User | None:
        if self.actor_pk is None or self.incident_pk is not None or self.maintenance_value is not None:
            return None
        row = await info.context.loaders.user.load(self.actor_pk)
        return User.from_model(row) if row else None


@strawberry.type
class StatusComponentPayload:
    component: StatusComponent | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class ComponentGroupPayload:
    group: ComponentGroup | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class DeletePayload:
    deleted_id: strawberry.ID | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class MaintenancePayload:
    maintenance: Maintenance | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)
