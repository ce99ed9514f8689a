"""Scheduled maintenance commands. The status is never stored: it is derived from the clock
and the stamps these commands set (see `rules.maintenance_status`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from app import clock
from app.commands import locked_row, provided
from app.errors import InvalidTransition, NotFound, ValidationFailed
from app.events import Outbox
from app.identity.policy import Action, Principal, require
from app.statuspage import rules
from app.statuspage.cache import public_change
from app.statuspage.enums import MaintenanceStatus as MS
from app.statuspage.models import Component, Maintenance, MaintenanceComponent, MaintenanceUpdate
from app.statuspage.queries import times_of
from app.text import TITLE_MAX, multi_line, single_line
from app.unset import UNSET, OrUnset

# "Now" as typed by a person: a start up to this far in the past means "starting now".
_GRACE = timedelta(minutes=5)
_MAX_LENGTH = timedelta(days=31)
_DEFAULT_MESSAGES = {
    MS.IN_PROGRESS: "Scheduled maintenance is currently in progress.",
    MS.VERIFYING: "Maintenance work is done; we are verifying the results.",
    MS.COMPLETED: "The scheduled maintenance has been completed.",
    MS.CANCELLED: "This scheduled maintenance has been cancelled.",
}


def _aware(value: datetime, field: str) -> datetime:
    if value.tzinfo is None:
        raise ValidationFailed(f"{field} needs a time zone", field=field)
    return value


def _check_window(start: datetime, end: datetime, now: datetime) -> None:
    if end <= start:
        raise ValidationFailed("scheduledUntil must be after scheduledFor", field="scheduledUntil")
    if end <= now:
        raise ValidationFailed("scheduledUntil must be in the future", field="scheduledUntil")
    if end - start > _MAX_LENGTH:
        raise ValidationFailed("A maintenance lasts at most 31 days", field="scheduledUntil")


async def _component_ids(component_ids: Sequence[int]) -> list[int]:
    wanted = list(dict.fromkeys(component_ids))
    if wanted and await Component.filter(id__in=wanted).count() != len(wanted):
        raise NotFound("Component not found", field="componentIds")
    return wanted


async def _add_update(outbox: Outbox, maintenance: Maintenance, status: MS, message: str, actor_id: int | None) -> None:
    await MaintenanceUpdate.create(
        maintenance_id=maintenance.id,
        status=status,
        message=message,
        author_id=actor_id,
        created_at=clock.now(),
        using_db=outbox.connection,
    )


async def schedule_maintenance(
    *,
    actor: Principal,
    title: str,
    message: str,
    component_ids: Sequence[int],
    scheduled_for: datetime,
    scheduled_until: datetime,
) -> Maintenance:
    """Announce a maintenance window; its components show UNDER_MAINTENANCE while it runs."""
    require(actor, Action.RESPOND)
    title = single_line(title, field="title", max_length=TITLE_MAX)
    message = multi_line(message, field="message", required=True)
    now = clock.now()
    start, end = _aware(scheduled_for, "scheduledFor"), _aware(scheduled_until, "scheduledUntil")
    if start < now - _GRACE:
        raise ValidationFailed("scheduledFor must not be in the past", field="scheduledFor")
    start = max(start, now)
    _check_window(start, end, now)
    components = await _component_ids(component_ids)
    async with public_change() as change:
        maintenance = await Maintenance.create(
            title=title,
            scheduled_for=start,
            scheduled_until=end,
            created_by_id=actor.user_id,
            created_at=now,
            updated_at=now,
            using_db=change.outbox.connection,
        )
        if components:
            await MaintenanceComponent.bulk_create(
                [MaintenanceComponent(maintenance_id=maintenance.id, component_id=c) for c in components],
                using_db=change.outbox.connection,
            )
        await _add_update(
            change.outbox, maintenance, rules.maintenance_status(times_of(maintenance), now), message, actor.user_id
        )
    return maintenance


async def _locked(outbox: Outbox, maintenance_id: int) -> tuple[Maintenance, MS]:
    maintenance = await locked_row(outbox, Maintenance, maintenance_id, what="Maintenance", field="maintenanceId")
    return maintenance, rules.maintenance_status(times_of(maintenance), clock.now())


def _require_open(status: MS) -> None:
    if status in (MS.COMPLETED, MS.CANCELLED):
        raise InvalidTransition(f"The maintenance is {status.value}", field="maintenanceId")


async def update_maintenance(
    *,
    actor: Principal,
    maintenance_id: int,
    title: OrUnset[str | None] = UNSET,
    component_ids: OrUnset[Sequence[int] | None] = UNSET,
    scheduled_for: OrUnset[datetime | None] = UNSET,
    scheduled_until: OrUnset[datetime | None] = UNSET,
) -> Maintenance:
    """Edit a maintenance that has not ended. Only the future can move: the start and the
    components while it is SCHEDULED, the end until it is over."""
    require(actor, Action.RESPOND)
    if title is not UNSET:
        title = single_line(title or "", field="title", max_length=TITLE_MAX)
    components = await _component_ids(component_ids) if provided(component_ids) else UNSET
    async with public_change() as change:
        maintenance, status = await _locked(change.outbox, maintenance_id)
        _require_open(status)
        now = clock.now()
        start, end = maintenance.scheduled_for, maintenance.scheduled_until
        if provided(scheduled_for) and scheduled_for != start:
            if status is not MS.SCHEDULED:
                raise InvalidTransition("The maintenance has started: its start cannot move", field="scheduledFor")
            start = _aware(scheduled_for, "scheduledFor")
            if start < now - _GRACE:
                raise ValidationFailed("scheduledFor must not be in the past", field="scheduledFor")
            start = max(start, now)
        if provided(scheduled_until):
            end = _aware(scheduled_until, "scheduledUntil")
        _check_window(start, end, now)
        if components is not UNSET:
            current = (
                await MaintenanceComponent.filter(maintenance_id=maintenance.id)
                .using_db(change.outbox.connection)
                .values_list("component_id", flat=True)
            )
            if set(current) != set(components):
                if status is not MS.SCHEDULED:
                    raise InvalidTransition(
                        "The maintenance has started: its components cannot change", field="componentIds"
                    )
                await (
                    MaintenanceComponent.filter(maintenance_id=maintenance.id)
                    .using_db(change.outbox.connection)
                    .delete()
                )
                await MaintenanceComponent.bulk_create(
                    [MaintenanceComponent(maintenance_id=maintenance.id, component_id=c) for c in components],
                    using_db=change.outbox.connection,
                )
        if title is not UNSET:
            maintenance.title = title
        maintenance.scheduled_for, maintenance.scheduled_until = start, end
        maintenance.updated_at = now
        await maintenance.save(using_db=change.outbox.connection)
    return maintenance


# Which statuses an update may move a maintenance to, from its current status.
_MOVES: dict[MS, frozenset[MS]] = {
    MS.SCHEDULED: frozenset({MS.SCHEDULED, MS.IN_PROGRESS}),
    MS.IN_PROGRESS: frozenset({MS.IN_PROGRESS, MS.VERIFYING, MS.COMPLETED}),
    MS.VERIFYING: frozenset({MS.VERIFYING, MS.COMPLETED}),
}


async def post_maintenance_update(
    *, actor: Principal, maintenance_id: int, message: str | None = None, status: MS | None = None
) -> Maintenance:
    """Post an update; with `status` it also starts the work early (IN_PROGRESS), marks it
    VERIFYING, or completes it early (COMPLETED)."""
    require(actor, Action.RESPOND)
    message = multi_line(message or "", field="message")
    if status is MS.CANCELLED:
        raise ValidationFailed("Use cancelMaintenance to cancel a maintenance", field="status")
    async with public_change() as change:
        maintenance, current = await _locked(change.outbox, maintenance_id)
        _require_open(current)
        target = status or current
        if target not in _MOVES[current]:
            raise InvalidTransition(f"A {current.value} maintenance cannot become {target.value}", field="status")
        now = clock.now()
        if target is MS.IN_PROGRESS and current is MS.SCHEDULED:
            maintenance.started_at = now
        elif target is MS.VERIFYING and current is MS.IN_PROGRESS:
            maintenance.verifying_at = now
        elif target is MS.COMPLETED:
            maintenance.completed_at = now
        if not message.strip():
            if target is current:
                raise ValidationFailed("message must not be blank", field="message")
            message = _DEFAULT_MESSAGES[target]
        maintenance.updated_at = now
        await maintenance.save(using_db=change.outbox.connection)
        await _add_update(change.outbox, maintenance, target, message, actor.user_id)
    return maintenance


async def cancel_maintenance(*, actor: Principal, maintenance_id: int, message: str | None = None) -> Maintenance:
    """Cancel a maintenance: before its start it never happens (and leaves the page); once
    running, it ends now (COMPLETED)."""
    require(actor, Action.RESPOND)
    message = multi_line(message or "", field="message")
    async with public_change() as change:
        maintenance, current = await _locked(change.outbox, maintenance_id)
        _require_open(current)
        now = clock.now()
        maintenance.cancelled_at = now
        maintenance.updated_at = now
        await maintenance.save(using_db=change.outbox.connection)
        result = rules.maintenance_status(times_of(maintenance), now)
        await _add_update(
            change.outbox,
            maintenance,
            result,
            message.strip() and message or _DEFAULT_MESSAGES[MS.CANCELLED],
            actor.user_id,
        )
    return maintenance
