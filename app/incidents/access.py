"""Who may see a private incident: its members (besides admins and role holders)."""

from __future__ import annotations

from app import clock
from app.errors import Conflict, NotFound
from app.events import AccessChanged, unit_of_work
from app.identity.models import User
from app.identity.policy import Action, Principal, require
from app.ids import to_global_id
from app.incidents import timeline
from app.incidents.enums import TimelineKind
from app.incidents.models import Incident, IncidentMember
from app.incidents.store import locked, save


async def add_member(*, actor: Principal, incident_id: int, user_id: int) -> Incident:
    """Let a user see the incident (it matters when the incident is private)."""
    require(actor, Action.RESPOND)
    user = await User.get_or_none(id=user_id)
    if user is None or not user.active:
        raise NotFound("User not found", field="userId")
    async with unit_of_work() as outbox:
        incident = await locked(outbox, incident_id, actor)
        if await IncidentMember.filter(incident_id=incident.id, user_id=user.id).using_db(outbox.connection).exists():
            raise Conflict(f"{user.name} is already a member", field="userId")
        await IncidentMember.create(
            incident_id=incident.id, user_id=user.id, added_at=clock.now(), using_db=outbox.connection
        )
        await timeline.append(
            outbox,
            incident,
            TimelineKind.MEMBER_ADDED,
            actor_id=actor.user_id,
            message=f"{user.name} added as a member",
            data={"userId": to_global_id("User", user.id)},
        )
        await save(outbox, incident, [])
    return incident


async def remove_member(*, actor: Principal, incident_id: int, user_id: int) -> Incident:
    """Take a member off; on a private incident their live subscriptions to it end."""
    require(actor, Action.RESPOND)
    async with unit_of_work() as outbox:
        incident = await locked(outbox, incident_id, actor)
        member = (
            await IncidentMember.filter(incident_id=incident.id, user_id=user_id).using_db(outbox.connection).first()
        )
        if member is None:
            raise NotFound("Not a member of this incident", field="userId")
        await member.delete(using_db=outbox.connection)
        await timeline.append(
            outbox,
            incident,
            TimelineKind.MEMBER_REMOVED,
            actor_id=actor.user_id,
            message="Member removed",
            data={"userId": to_global_id("User", user_id)},
        )
        await save(outbox, incident, [])
        outbox.add(AccessChanged(incident.id, user_id))
    return incident
