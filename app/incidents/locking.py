"""The incident row lock every incident command takes, and the save that goes with it."""

from __future__ import annotations

from collections.abc import Sequence

from app.errors import NotFound
from app.events import Outbox
from app.identity.policy import Principal
from app.incidents.models import Incident, IncidentMember, RoleAssignment


async def locked(outbox: Outbox, incident_id: int, actor: Principal, *, field: str = "incidentId") -> Incident:
    """The incident, row-locked until commit; a private one the actor may not see does not exist."""
    incident = (
        await Incident.filter(id=incident_id).using_db(outbox.connection).select_for_update().first()
    )
    if incident is None or (incident.private and not await _may_see_private(outbox, incident.id, actor)):
        raise NotFound("Incident not found", field=field)
    return incident


async def _may_see_private(outbox: Outbox, incident_id: int, actor: Principal) -> bool:
    if actor.is_admin:
        return True
    conn = outbox.connection
    return await IncidentMember.filter(incident_id=incident_id, user_id=actor.user_id).using_db(conn).exists() or (
        await RoleAssignment.filter(incident_id=incident_id, user_id=actor.user_id).using_db(conn).exists()
    )


async def save(outbox: Outbox, incident: Incident, fields: Sequence[str]) -> None:
    await incident.save(
        update_fields=[*fields, "last_sequence", "updated_at"], using_db=outbox.connection
    )


