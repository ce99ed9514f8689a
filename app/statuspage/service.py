"""Status page commands: components and groups (admin), component status, and status updates
on incidents. Each runs in one transaction and publishes after commit."""

from __future__ import annotations

from collections.abc import Sequence

from app import clock
from app.catalog import service as catalog
from app.commands import Changes, locked_row, provided
from app.errors import NotFound, ValidationFailed
from app.events import Outbox
from app.identity.policy import Action, Principal, require
from app.incidents import queries as incident_queries
from app.incidents import timeline
from app.incidents.enums import TimelineKind
from app.incidents.store import locked, save
from app.statuspage.cache import public_change
from app.statuspage.enums import Audience, ComponentStatus, Impact, PublicStatus
from app.statuspage.models import Component, ComponentGroup, ComponentStatusChange, PublicIncident, StatusUpdate
from app.statuspage.publishing import PublicRequest, Published, go_public
from app.text import TITLE_MAX, multi_line, single_line
from app.unset import UNSET, OrUnset

_NAME_MAX = 100
_DESCRIPTION_MAX = 5_000
_POSITION_LIMIT = 1_000_000


def _position(value: int, field: str = "position") -> int:
    if not -_POSITION_LIMIT <= value <= _POSITION_LIMIT:
        raise ValidationFailed(f"{field} must be between -{_POSITION_LIMIT} and {_POSITION_LIMIT}", field=field)
    return value


async def _group_exists(group_id: int | None) -> int | None:
    if group_id is not None and not await ComponentGroup.filter(id=group_id).exists():
        raise NotFound("Component group not found", field="groupId")
    return group_id


async def _service_exists(service_id: int | None) -> int | None:
    if service_id is None:
        return None
    return (await catalog.existing_ids([service_id], field="serviceId"))[0]


async def create_group(*, actor: Principal, name: str, description: str = "", position: int = 0) -> ComponentGroup:
    """Add a component group to the page."""
    require(actor, Action.ADMIN)
    name = single_line(name, field="name", max_length=_NAME_MAX)
    description = multi_line(description, field="description", max_length=_DESCRIPTION_MAX)
    async with public_change() as change:
        now = clock.now()
        return await ComponentGroup.create(
            name=name,
            description=description,
            position=_position(position),
            created_at=now,
            updated_at=now,
            using_db=change.outbox.connection,
        )


async def update_group(
    *,
    actor: Principal,
    group_id: int,
    name: OrUnset[str | None] = UNSET,
    description: OrUnset[str | None] = UNSET,
    position: OrUnset[int | None] = UNSET,
) -> ComponentGroup:
    """Rename, describe or move a group; omitted fields stay."""
    require(actor, Action.ADMIN)
    async with public_change() as change:
        group = await locked_row(change.outbox, ComponentGroup, group_id, what="Component group", field="groupId")
        if name is not UNSET:
            group.name = single_line(name or "", field="name", max_length=_NAME_MAX)
        if description is not UNSET:
            group.description = multi_line(description or "", field="description", max_length=_DESCRIPTION_MAX)
        if provided(position):
            group.position = _position(position)
        group.updated_at = clock.now()
        await group.save(using_db=change.outbox.connection)
    return group


async def delete_group(*, actor: Principal, group_id: int) -> None:
    """Remove a group; its components stay on the page, ungrouped."""
    require(actor, Action.ADMIN)
    async with public_change() as change:
        if not await ComponentGroup.filter(id=group_id).using_db(change.outbox.connection).delete():
            raise NotFound("Component group not found", field="groupId")


async def _record(
    outbox: Outbox,
    component: Component,
    to: ComponentStatus,
    *,
    previous: ComponentStatus | None,
    actor_id: int | None,
    update: StatusUpdate | None = None,
) -> None:
    """A component's status history gains a change (with the status update that made it)."""
    await ComponentStatusChange.create(
        component_id=component.id,
        at=component.updated_at,
        from_status=previous,
        to_status=to,
        incident_id=update.incident_id if update else None,
        status_update_id=update.id if update else None,
        actor_id=actor_id,
        using_db=outbox.connection,
    )


async def create_component(
    *,
    actor: Principal,
    name: str,
    description: str = "",
    group_id: int | None = None,
    position: int = 0,
    service_id: int | None = None,
    status: ComponentStatus = ComponentStatus.OPERATIONAL,
) -> Component:
    """Add a component to the page; its first status is the start of its history."""
    require(actor, Action.ADMIN)
    name = single_line(name, field="name", max_length=_NAME_MAX)
    description = multi_line(description, field="description", max_length=_DESCRIPTION_MAX)
    await _group_exists(group_id)
    service_id = await _service_exists(service_id)
    async with public_change() as change:
        now = clock.now()
        component = await Component.create(
            name=name,
            description=description,
            group_id=group_id,
            position=_position(position),
            service_id=service_id,
            status=status,
            created_at=now,
            updated_at=now,
            using_db=change.outbox.connection,
        )
        await _record(change.outbox, component, status, previous=None, actor_id=actor.user_id)
    return component


async def update_component(
    *,
    actor: Principal,
    component_id: int,
    name: OrUnset[str | None] = UNSET,
    description: OrUnset[str | None] = UNSET,
    group_id: OrUnset[int | None] = UNSET,
    position: OrUnset[int | None] = UNSET,
    service_id: OrUnset[int | None] = UNSET,
) -> Component:
    """Edit a component's name, description, group, position or service; omitted fields stay."""
    require(actor, Action.ADMIN)
    if group_id is not UNSET:
        await _group_exists(group_id)
    if service_id is not UNSET:
        service_id = await _service_exists(service_id)
    async with public_change() as change:
        component = await _locked_component(change.outbox, component_id)
        if name is not UNSET:
            component.name = single_line(name or "", field="name", max_length=_NAME_MAX)
        if description is not UNSET:
            component.description = multi_line(description or "", field="description", max_length=_DESCRIPTION_MAX)
        if group_id is not UNSET:
            component.group_id = group_id
        if provided(position):
            component.position = _position(position)
        if service_id is not UNSET:
            component.service_id = service_id
        component.updated_at = clock.now()
        await component.save(using_db=change.outbox.connection)
    return component


async def delete_component(*, actor: Principal, component_id: int) -> None:
    """Remove a component from the page, with its history."""
    require(actor, Action.ADMIN)
    async with public_change() as change:
        if not await Component.filter(id=component_id).using_db(change.outbox.connection).delete():
            raise NotFound("Component not found", field="componentId")


async def _locked_component(outbox: Outbox, component_id: int) -> Component:
    return await locked_row(outbox, Component, component_id, what="Component", field="componentId")


async def set_component_status(*, actor: Principal, component_id: int, status: ComponentStatus) -> Component:
    """Set a component's status outside any incident (recorded with who did it)."""
    require(actor, Action.RESPOND)
    async with public_change() as change:
        component = await _locked_component(change.outbox, component_id)
        previous = ComponentStatus(component.status)
        if previous is status:
            change.public = False
            return component
        component.status = status
        component.updated_at = clock.now()
        await component.save(update_fields=["status", "updated_at"], using_db=change.outbox.connection)
        await _record(change.outbox, component, status, previous=previous, actor_id=actor.user_id)
    return component


def _impacts(component_impacts: Sequence[tuple[int, ComponentStatus]]) -> dict[int, ComponentStatus]:
    wanted: dict[int, ComponentStatus] = {}
    for component_id, status in component_impacts:
        if component_id in wanted:
            raise ValidationFailed("A component appears twice in componentImpacts", field="componentImpacts")
        wanted[component_id] = status
    return wanted


async def post_status_update(
    *,
    actor: Principal,
    incident_id: int,
    message: str,
    audience: Audience,
    public_status: PublicStatus | None = None,
    component_impacts: Sequence[tuple[int, ComponentStatus]] = (),
    public_title: str | None = None,
    impact: Impact | None = None,
) -> StatusUpdate:
    """Post an update on an incident. A PUBLIC one puts the incident on the status page (with
    its public title, status and component impacts); an INTERNAL one is never shown there."""
    require(actor, Action.RESPOND)
    message = multi_line(message, field="message", required=True)
    wanted = _impacts(component_impacts)
    if public_title is not None:
        public_title = single_line(public_title, field="publicTitle", max_length=TITLE_MAX)
    if audience is Audience.INTERNAL:
        _require_private_only(wanted=wanted, public_title=public_title, impact=impact)
    if not await incident_queries.get_visible(actor, [incident_id]):
        raise NotFound("Incident not found", field="incidentId")
    async with public_change() as change:
        change.public = audience is Audience.PUBLIC
        outbox = change.outbox
        incident = await locked(outbox, incident_id, actor)
        now = clock.now()
        published = Published(public_status)
        if audience is Audience.PUBLIC:
            if incident.private:
                raise ValidationFailed("A private incident never appears on the status page", field="audience")
            request = PublicRequest(wanted, public_status, public_title, impact)
            published = await go_public(outbox, incident, request, now)
        event = await timeline.append(
            outbox,
            incident,
            TimelineKind.STATUS_UPDATE,
            actor_id=actor.user_id,
            message=message,
            data=published.timeline_data(audience, public_title),
            incident_changed=published.title_changed,
        )
        update = await StatusUpdate.create(
            incident_id=incident.id,
            audience=audience,
            public_status=published.status,
            message=message,
            impacts=published.impacts,
            author_id=actor.user_id,
            timeline_sequence=event.sequence,
            created_at=now,
            using_db=outbox.connection,
        )
        for component, previous in published.touched:
            status = ComponentStatus(component.status)
            await _record(outbox, component, status, previous=previous, actor_id=actor.user_id, update=update)
        await save(outbox, incident, [])
    return update


def _require_private_only(
    *, wanted: dict[int, ComponentStatus], public_title: str | None, impact: Impact | None
) -> None:
    """An INTERNAL update carries nothing meant for the public."""
    for given, field in ((wanted, "componentImpacts"), (public_title, "publicTitle"), (impact, "impact")):
        if given:
            raise ValidationFailed(f"{field} is public: post it with a PUBLIC update", field=field)


async def set_public_title(*, actor: Principal, incident_id: int, public_title: str) -> PublicIncident:
    """Set the title the public sees for an incident (before or after it is published)."""
    require(actor, Action.RESPOND)
    public_title = single_line(public_title, field="publicTitle", max_length=TITLE_MAX)
    if not await incident_queries.get_visible(actor, [incident_id]):
        raise NotFound("Incident not found", field="incidentId")
    async with public_change() as change:
        outbox = change.outbox
        incident = await locked(outbox, incident_id, actor)
        if incident.private:
            raise ValidationFailed("A private incident never appears on the status page", field="incidentId")
        now = clock.now()
        public = await PublicIncident.filter(incident_id=incident.id).using_db(outbox.connection).first()
        if public is None:
            public = PublicIncident(incident_id=incident.id, title="", updated_at=now)
        change.public = public.published_at is not None
        if public.title == public_title:
            change.public = False
            return public
        changes = Changes()
        changes.record("publicTitle", public.title or None, public_title)
        public.title = public_title
        public.updated_at = now
        await public.save(using_db=outbox.connection)
        await timeline.append(
            outbox,
            incident,
            TimelineKind.FIELD_CHANGED,
            actor_id=actor.user_id,
            message="Updated " + ", ".join(changes.names),
            data={"changes": changes.as_data()},
        )
        await save(outbox, incident, [])
    return public
