"""Incident commands. Each runs in one transaction, writes its timeline event in it,
and publishes after commit."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from app import clock
from app.catalog import service as catalog
from app.commands import Changes, check_version, provided
from app.errors import InvalidTransition, NotFound, ValidationFailed
from app.events import AccessChanged, Outbox, unit_of_work
from app.identity.models import Role, User
from app.identity.policy import Action, Principal, require
from app.ids import to_global_id
from app.incidents import hooks, store, timeline
from app.incidents.enums import IncidentRole, IncidentStatus, Severity, TimelineKind
from app.incidents.lifecycle import (
    OPEN_STATUSES,
    TERMINAL_STATUSES,
    TransitionRefused,
    plan_transition,
)
from app.incidents.models import Incident, IncidentService, RoleAssignment, TimelineEvent
from app.incidents.store import locked as _locked
from app.incidents.store import save as _save
from app.text import TEXT_MAX, multi_line, single_line
from app.unset import UNSET, OrUnset

_MAX_BACKDATE = timedelta(days=365)


async def declare_incident(
    *,
    actor: Principal,
    title: str,
    severity: Severity,
    summary: str = "",
    service_ids: Sequence[int] = (),
    private: bool = False,
    status: IncidentStatus = IncidentStatus.TRIAGE,
) -> Incident:
    """Declare an incident; it gets the next number and a DECLARED timeline event."""
    require(actor, Action.RESPOND)
    title = single_line(title, field="title")
    summary = multi_line(summary, field="summary", max_length=TEXT_MAX)
    if status not in OPEN_STATUSES:
        raise ValidationFailed("An incident is declared in an open status", field="status")
    async with unit_of_work() as outbox:
        services = await catalog.existing_ids(service_ids)
        incident = await store.create(
            outbox,
            actor_id=actor.user_id,
            title=title,
            severity=severity,
            summary=summary,
            service_ids=services,
            private=private,
            status=status,
        )
    return incident


async def update_status(
    *,
    actor: Principal,
    incident_id: int,
    status: IncidentStatus,
    message: str | None = None,
    expected_version: int | None = None,
) -> Incident:
    """Move an incident through its lifecycle (merging has its own command)."""
    require(actor, Action.RESPOND)
    message = multi_line(message or "", field="message")
    if status is IncidentStatus.MERGED:
        raise ValidationFailed("Use mergeIncident to merge an incident", field="status")
    async with unit_of_work() as outbox:
        incident = await _locked(outbox, incident_id, actor)
        check_version(incident, expected_version, what="incident")
        previous = IncidentStatus(incident.status)
        change = hooks.StatusChange(outbox, incident, previous, status, actor)
        changes = await _transition(change)
        incident.status = status
        incident.version += 1
        await timeline.append(
            outbox,
            incident,
            TimelineKind.STATUS_CHANGED,
            actor_id=actor.user_id,
            message=message,
            data={"from": previous.value, "to": status.value},
        )
        await hooks.after(change)
        await _save(outbox, incident, ["status", "version", *changes])
    return incident


async def _transition(change: hooks.StatusChange) -> dict[str, datetime | None]:
    """Check the move (the table, then the registered guards) and stamp its timestamps."""
    incident = change.incident
    stamps = {
        name: getattr(incident, name)
        for name in ("acknowledged_at", "identified_at", "mitigated_at", "resolved_at", "closed_at")
    }
    plan = plan_transition(change.previous, change.target, stamps, clock.now())
    if isinstance(plan, TransitionRefused):
        raise InvalidTransition(plan.message, field="status")
    await hooks.check(change)
    for name, value in plan.items():
        setattr(incident, name, value)
    return plan


async def change_severity(
    *,
    actor: Principal,
    incident_id: int,
    severity: Severity,
    message: str | None = None,
    expected_version: int | None = None,
) -> Incident:
    """Change the severity; a change to the same value is a validation error."""
    require(actor, Action.RESPOND)
    message = multi_line(message or "", field="message")
    async with unit_of_work() as outbox:
        incident = await _locked(outbox, incident_id, actor)
        check_version(incident, expected_version, what="incident")
        previous = Severity(incident.severity)
        if previous is severity:
            raise ValidationFailed(f"The incident is already {severity.value}", field="severity")
        incident.severity = severity
        incident.version += 1
        await timeline.append(
            outbox,
            incident,
            TimelineKind.SEVERITY_CHANGED,
            actor_id=actor.user_id,
            message=message,
            data={"from": previous.value, "to": severity.value},
        )
        await _save(outbox, incident, ["severity", "version"])
    return incident


async def update_incident(
    *,
    actor: Principal,
    incident_id: int,
    title: OrUnset[str | None] = UNSET,
    summary: OrUnset[str | None] = UNSET,
    service_ids: OrUnset[Sequence[int] | None] = UNSET,
    private: OrUnset[bool | None] = UNSET,
    expected_version: int | None = None,
) -> Incident:
    """Edit title, summary, affected services and privacy; one FIELD_CHANGED event lists what changed."""
    require(actor, Action.RESPOND)
    if title is not UNSET:
        title = single_line(title or "", field="title")
    if summary is not UNSET:
        summary = multi_line(summary or "", field="summary")
    async with unit_of_work() as outbox:
        incident = await _locked(outbox, incident_id, actor)
        check_version(incident, expected_version, what="incident")
        changes = Changes()
        if title is not UNSET:
            changes.assign(incident, "title", title)
        if summary is not UNSET:
            changes.assign(incident, "summary", summary)
        if provided(service_ids):
            await _change_services(outbox, incident.id, service_ids, changes)
        if provided(private) and changes.assign(incident, "private", private) and private:
            await store.ensure_member(outbox, incident.id, actor.user_id)
            outbox.add(AccessChanged(incident.id, None))
        if changes:
            await _record_edit(outbox, incident, changes, actor)
    return incident


async def _change_services(outbox: Outbox, incident_id: int, service_ids: Sequence[int], changes: Changes) -> None:
    wanted = await catalog.existing_ids(service_ids)
    current = (
        await IncidentService.filter(incident_id=incident_id)
        .using_db(outbox.connection)
        .values_list("service_id", flat=True)
    )
    if set(wanted) != set(current):
        await _replace_services(outbox, incident_id, current, wanted)
        changes.record(
            "serviceIds",
            [to_global_id("Service", s) for s in current],
            [to_global_id("Service", s) for s in wanted],
        )


async def _record_edit(outbox: Outbox, incident: Incident, changes: Changes, actor: Principal) -> None:
    """The edit's version, its FIELD_CHANGED event, and (made private) the hooks."""
    incident.version += 1
    await timeline.append(
        outbox,
        incident,
        TimelineKind.FIELD_CHANGED,
        actor_id=actor.user_id,
        message="Updated " + ", ".join(changes.names),
        data={"changes": changes.as_data()},
    )
    await _save(outbox, incident, [*changes.fields, "version"])
    if "private" in changes:
        await hooks.privacy_changed(hooks.PrivacyChange(outbox, incident, actor))


async def _replace_services(outbox: Outbox, incident_id: int, current: Sequence[int], wanted: Sequence[int]) -> None:
    removed = set(current) - set(wanted)
    added = [sid for sid in wanted if sid not in set(current)]
    if removed:
        await (
            IncidentService.filter(incident_id=incident_id, service_id__in=removed).using_db(outbox.connection).delete()
        )
    if added:
        await IncidentService.bulk_create(
            [IncidentService(incident_id=incident_id, service_id=sid) for sid in added],
            using_db=outbox.connection,
        )


async def assign_role(*, actor: Principal, incident_id: int, role: IncidentRole, user_id: int) -> Incident:
    """Give a role to a user; an existing holder hands off (both are on the timeline event)."""
    require(actor, Action.RESPOND)
    user = await User.get_or_none(id=user_id)
    if user is None or not user.active:
        raise NotFound("User not found", field="userId")
    if user.role is Role.VIEWER:
        raise ValidationFailed("Viewers cannot hold incident roles", field="userId")
    async with unit_of_work() as outbox:
        incident = await _locked(outbox, incident_id, actor)
        _require_not_terminal(incident)
        existing = await RoleAssignment.filter(incident_id=incident.id, role=role).using_db(outbox.connection).first()
        if existing is not None and existing.user_id == user.id:
            return incident
        now = clock.now()
        previous_id = existing.user_id if existing is not None else None
        if existing is not None:
            existing.user_id = user.id
            existing.assigned_at = now
            await existing.save(update_fields=["user_id", "assigned_at"], using_db=outbox.connection)
        else:
            await RoleAssignment.create(
                incident_id=incident.id, role=role, user_id=user.id, assigned_at=now, using_db=outbox.connection
            )
        verb = "handed off" if previous_id else "assigned"
        await timeline.append(
            outbox,
            incident,
            TimelineKind.ROLE_ASSIGNED,
            actor_id=actor.user_id,
            message=f"{role.value} {verb} to {user.name}",
            data={
                "role": role.value,
                "userId": to_global_id("User", user.id),
                "previousUserId": to_global_id("User", previous_id) if previous_id else None,
                "handoff": previous_id is not None,
            },
        )
        await _save(outbox, incident, [])
        if previous_id is not None:
            outbox.add(AccessChanged(incident.id, previous_id))
    return incident


async def unassign_role(*, actor: Principal, incident_id: int, role: IncidentRole) -> Incident:
    """Leave a role vacant."""
    require(actor, Action.RESPOND)
    async with unit_of_work() as outbox:
        incident = await _locked(outbox, incident_id, actor)
        existing = await RoleAssignment.filter(incident_id=incident.id, role=role).using_db(outbox.connection).first()
        if existing is None:
            raise NotFound(f"Nobody holds {role.value} on this incident", field="role")
        await existing.delete(using_db=outbox.connection)
        await timeline.append(
            outbox,
            incident,
            TimelineKind.ROLE_UNASSIGNED,
            actor_id=actor.user_id,
            message=f"{role.value} unassigned",
            data={"role": role.value, "previousUserId": to_global_id("User", existing.user_id)},
        )
        await _save(outbox, incident, [])
        outbox.add(AccessChanged(incident.id, existing.user_id))
    return incident


async def add_note(
    *, actor: Principal, incident_id: int, body: str, occurred_at: datetime | None = None
) -> TimelineEvent:
    """Add a note; a scribe may back-date it with `occurred_at` (never into the future)."""
    require(actor, Action.RESPOND)
    body = multi_line(body, field="body", required=True)
    if occurred_at is not None:
        if occurred_at.tzinfo is None:
            raise ValidationFailed("occurredAt needs a time zone", field="occurredAt")
        if occurred_at > clock.now():
            raise ValidationFailed("occurredAt must not be in the future", field="occurredAt")
    async with unit_of_work() as outbox:
        incident = await _locked(outbox, incident_id, actor)
        if occurred_at is not None and occurred_at < incident.declared_at - _MAX_BACKDATE:
            raise ValidationFailed("occurredAt is more than a year before the incident", field="occurredAt")
        event = await timeline.append(
            outbox,
            incident,
            TimelineKind.NOTE,
            actor_id=actor.user_id,
            message=body,
            occurred_at=occurred_at,
            incident_changed=False,
        )
        await _save(outbox, incident, [])
    return event


async def merge_incident(*, actor: Principal, incident_id: int, into_incident_id: int) -> Incident:
    """Merge an open incident into another; both timelines record it."""
    require(actor, Action.RESPOND)
    if incident_id == into_incident_id:
        raise ValidationFailed("An incident cannot be merged into itself", field="intoIncidentId")
    async with unit_of_work() as outbox:
        # Lock in id order so two opposite merges cannot deadlock.
        first, second = sorted((incident_id, into_incident_id))
        rows = {
            first: await _locked(
                outbox, first, actor, field="incidentId" if first == incident_id else "intoIncidentId"
            ),
            second: await _locked(
                outbox, second, actor, field="incidentId" if second == incident_id else "intoIncidentId"
            ),
        }
        source, target = rows[incident_id], rows[into_incident_id]
        if target.status in TERMINAL_STATUSES:
            raise InvalidTransition(
                f"Cannot merge into {target.reference}: it is {target.status.value}", field="intoIncidentId"
            )
        previous = IncidentStatus(source.status)
        change = hooks.StatusChange(outbox, source, previous, IncidentStatus.MERGED, actor)
        changes = await _transition(change)
        source.status = IncidentStatus.MERGED
        source.merged_into_id = target.id
        source.version += 1
        await timeline.append(
            outbox,
            source,
            TimelineKind.MERGED,
            actor_id=actor.user_id,
            message=f"Merged into {target.reference}",
            data={
                "from": previous.value,
                "to": IncidentStatus.MERGED.value,
                "intoIncidentId": to_global_id("Incident", target.id),
                "intoReference": target.reference,
            },
        )
        await hooks.after(change)
        await _save(outbox, source, ["status", "version", "merged_into_id", *changes])
        await timeline.append(
            outbox,
            target,
            TimelineKind.INCIDENT_MERGED_IN,
            actor_id=actor.user_id,
            message=f"{source.reference} merged into this incident",
            data={"incidentId": to_global_id("Incident", source.id), "reference": source.reference},
        )
        await _save(outbox, target, [])
    return source


def _require_not_terminal(incident: Incident) -> None:
    if incident.status in TERMINAL_STATUSES:
        raise InvalidTransition(f"{incident.reference} is {incident.status.value}", field="incidentId")
