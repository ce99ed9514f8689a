"""Writing incidents inside a unit of work: numbers, row locks, creation and saving.

Shared by the incident commands and by other domains' commands that change incidents in their
own transaction (alert ingestion), so every writer keeps the same invariants: numbers are
gap-free, and a change locks the row, appends its timeline event and saves `last_sequence`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F
from tortoise.transactions import in_transaction

from app import clock
from app.errors import NotFound
from app.events import Outbox
from app.identity.policy import Actor, Principal
from app.ids import to_global_id
from app.incidents import timeline
from app.incidents.enums import IncidentStatus, Severity, TimelineKind
from app.incidents.lifecycle import TransitionRefused, plan_transition
from app.incidents.models import Counter, Incident, IncidentMember, IncidentService, RoleAssignment


async def next_number(outbox: Outbox) -> int:
    """The next incident number, gap-free: the counter row stays locked until commit."""
    conn = outbox.connection
    bumped = await Counter.filter(name="incident").using_db(conn).update(value=F("value") + 1)
    if not bumped:
        try:
            async with in_transaction() as savepoint:  # the first declare of a database
                await Counter.create(name="incident", value=1, using_db=savepoint)
            return 1
        except IntegrityError:
            await Counter.filter(name="incident").using_db(conn).update(value=F("value") + 1)
    counter = await Counter.get(name="incident").using_db(conn)
    return counter.value


async def locked(
    outbox: Outbox, incident_id: int, actor: Actor | None = None, *, field: str = "incidentId"
) -> Incident:
    """The incident, its row locked until the transaction ends; NotFound naming `field`. For a
    person (`actor`), a private incident they may not see does not exist either; system actors
    (alert ingestion) see every incident."""
    incident = await Incident.filter(id=incident_id).using_db(outbox.connection).select_for_update().first()
    if incident is None or (
        incident.private and isinstance(actor, Principal) and not await _may_see_private(outbox, incident.id, actor)
    ):
        raise NotFound("Incident not found", field=field)
    return incident


async def _may_see_private(outbox: Outbox, incident_id: int, actor: Principal) -> bool:
    if actor.is_admin:
        return True
    conn = outbox.connection
    return await IncidentMember.filter(incident_id=incident_id, user_id=actor.user_id).using_db(conn).exists() or (
        await RoleAssignment.filter(incident_id=incident_id, user_id=actor.user_id).using_db(conn).exists()
    )


async def ensure_member(outbox: Outbox, incident_id: int, user_id: int | None) -> None:
    """Make `user_id` a member (the declarer of a private incident, or who made it private)."""
    if user_id is None:
        return
    conn = outbox.connection
    if not await IncidentMember.filter(incident_id=incident_id, user_id=user_id).using_db(conn).exists():
        await IncidentMember.create(incident_id=incident_id, user_id=user_id, added_at=clock.now(), using_db=conn)


async def save(outbox: Outbox, incident: Incident, fields: Sequence[str]) -> None:
    await incident.save(update_fields=[*fields, "last_sequence", "updated_at"], using_db=outbox.connection)


async def create(
    outbox: Outbox,
    *,
    actor_id: int | None,
    title: str,
    severity: Severity,
    summary: str,
    service_ids: Sequence[int],
    private: bool = False,
    status: IncidentStatus = IncidentStatus.TRIAGE,
    declared_data: dict[str, Any] | None = None,
) -> Incident:
    """Insert an incident with the next number, its services and its DECLARED event. The
    caller has checked the policy and the text, and that the services exist."""
    now = clock.now()
    stamps = plan_transition(IncidentStatus.TRIAGE, status, {}, now) if status != IncidentStatus.TRIAGE else {}
    assert not isinstance(stamps, TransitionRefused)
    incident = await Incident.create(
        number=await next_number(outbox),
        title=title,
        summary=summary,
        severity=severity,
        status=status,
        private=private,
        declared_at=now,
        updated_at=now,
        created_by_id=actor_id,
        using_db=outbox.connection,
        **stamps,
    )
    if service_ids:
        await IncidentService.bulk_create(
            [IncidentService(incident_id=incident.id, service_id=sid) for sid in service_ids],
            using_db=outbox.connection,
        )
    if private:
        await ensure_member(outbox, incident.id, actor_id)
    await timeline.append(
        outbox,
        incident,
        TimelineKind.DECLARED,
        actor_id=actor_id,
        message=title,
        data={
            "severity": severity.value,
            "status": status.value,
            "private": private,
            "serviceIds": [to_global_id("Service", sid) for sid in service_ids],
            **(declared_data or {}),
        },
    )
    await save(outbox, incident, [])
    return incident
