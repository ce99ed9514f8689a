"""Shared steps for postmortem tests: an incident taken to POSTMORTEM, people, approvals."""

from __future__ import annotations

from app.identity.models import Role
from app.incidents import service as incidents
from app.incidents.enums import IncidentStatus as S
from app.incidents.enums import Severity
from app.incidents.models import Incident
from app.postmortems import review
from app.postmortems.models import Postmortem
from tests.conftest import Actor, make_actor


async def resolved_incident(actor: Actor, severity: Severity = Severity.SEV2, **kwargs: object) -> Incident:
    incident = await incidents.declare_incident(
        actor=actor.principal, title="Checkout errors", severity=severity, **kwargs
    )  # type: ignore[arg-type]
    return await incidents.update_status(actor=actor.principal, incident_id=incident.id, status=S.RESOLVED)


async def in_postmortem(
    actor: Actor, severity: Severity = Severity.SEV2, **kwargs: object
) -> tuple[Incident, Postmortem]:
    """An incident moved to POSTMORTEM, and the postmortem that move started."""
    incident = await resolved_incident(actor, severity, **kwargs)
    incident = await incidents.update_status(actor=actor.principal, incident_id=incident.id, status=S.POSTMORTEM)
    return incident, await Postmortem.get(incident_id=incident.id)


async def reviewer() -> Actor:
    return await make_actor(Role.RESPONDER)


async def approved(author: Actor, postmortem: Postmortem, by: Actor) -> Postmortem:
    """Submitted for review by `author` and approved by `by`."""
    await review.submit(actor=author.principal, postmortem_id=postmortem.id, reviewer_ids=[by.user_id])
    return await review.approve(actor=by.principal, postmortem_id=postmortem.id, comment="Looks right")
