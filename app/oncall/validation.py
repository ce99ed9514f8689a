"""Bad schedule input, refused before anything is saved: each rule raises `ValidationFailed`
naming the GraphQL input field (`timeZone`, `users`, `rotation.lengthHours`, `restrictions[1].endTime`,
`end`, `to`...), with an optional prefix for nested input (`layers[0].`). Pure."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, time, timedelta

from app.errors import ValidationFailed
from app.oncall.schedule import (
    ROTATION_HOURS,
    Layer,
    Override,
    Restriction,
    RestrictionKind,
    RotationKind,
    Schedule,
    UserId,
)
from app.oncall.wallclock import is_known_zone
from app.text import NAME_MAX, multi_line, single_line

MAX_LAYERS = 20
MAX_LAYER_USERS = 100
MAX_RESTRICTIONS = 28
MAX_CUSTOM_HOURS = 24 * 366
MAX_OVERRIDE = timedelta(days=366)  # a year, a leap year included
MAX_SHIFTS_WINDOW = timedelta(days=90)  # for `shifts`/`scheduleGaps` over the API
DESCRIPTION_MAX = 2000


def validate_time_zone(name: str, *, field: str = "timeZone") -> str:
    if not isinstance(name, str) or not is_known_zone(name):
        raise ValidationFailed(f"{field} must be an IANA time zone such as Europe/Berlin", field=field)
    return name


def _aware(value: datetime, field: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValidationFailed(f"{field} needs a time zone", field=field)


def _inactive(users: Collection[UserId], inactive_users: Collection[UserId], field: str) -> None:
    if any(user in inactive_users for user in users):
        raise ValidationFailed(f"{field} names a deactivated user", field=field)


def _whole_minutes(value: time, field: str) -> None:
    if value.tzinfo is not None:
        raise ValidationFailed(f"{field} is a local time of day, without a time zone", field=field)
    if value.second or value.microsecond:
        raise ValidationFailed(f"{field} must be in whole minutes", field=field)


def validate_restriction(restriction: Restriction, *, field: str = "restrictions[0]") -> None:
    """A DAILY window has no weekday and a WEEKLY one has one; times are local, in whole minutes."""
    if restriction.kind is RestrictionKind.DAILY and restriction.weekday is not None:
        raise ValidationFailed(f"{field}.weekday is only for WEEKLY restrictions", field=f"{field}.weekday")
    if restriction.kind is RestrictionKind.WEEKLY and restriction.weekday is None:
        raise ValidationFailed(f"{field}.weekday is required for WEEKLY restrictions", field=f"{field}.weekday")
    _whole_minutes(restriction.start_time, f"{field}.startTime")
    _whole_minutes(restriction.end_time, f"{field}.endTime")


def validate_layer(layer: Layer, *, prefix: str = "", inactive_users: Collection[UserId] = ()) -> None:
    """Users to take turns (active ones, at most 100), a rotation of positive length starting at
    an aware instant, and well-formed restrictions."""
    single_line(layer.name, field=f"{prefix}name", max_length=NAME_MAX, required=False)
    if not layer.users:
        raise ValidationFailed("A layer needs at least one user", field=f"{prefix}users")
    if len(layer.users) > MAX_LAYER_USERS:
        raise ValidationFailed(f"A layer has at most {MAX_LAYER_USERS} users", field=f"{prefix}users")
    _inactive(layer.users, inactive_users, f"{prefix}users")
    rotation = layer.rotation
    _aware(rotation.handoff_at, f"{prefix}rotation.handoffAt")
    length_field = f"{prefix}rotation.lengthHours"
    if rotation.kind is RotationKind.CUSTOM:
        if rotation.length_hours is None or rotation.length_hours <= 0:
            raise ValidationFailed("A CUSTOM rotation needs lengthHours greater than 0", field=length_field)
        if rotation.length_hours > MAX_CUSTOM_HOURS:
            raise ValidationFailed(f"lengthHours must be at most {MAX_CUSTOM_HOURS}", field=length_field)
    elif rotation.length_hours is not None and rotation.length_hours != ROTATION_HOURS[rotation.kind]:
        raise ValidationFailed(
            f"A {rotation.kind.value} rotation is {ROTATION_HOURS[rotation.kind]} hours long; "
            "use CUSTOM for another length",
            field=length_field,
        )
    if len(layer.restrictions) > MAX_RESTRICTIONS:
        raise ValidationFailed(f"A layer has at most {MAX_RESTRICTIONS} restrictions", field=f"{prefix}restrictions")
    for n, restriction in enumerate(layer.restrictions):
        validate_restriction(restriction, field=f"{prefix}restrictions[{n}]")


def validate_schedule(schedule: Schedule, *, inactive_users: Collection[UserId] = ()) -> None:
    """The whole schedule: name, description, zone, layers with distinct positions, overrides."""
    single_line(schedule.name, field="name", max_length=NAME_MAX)
    multi_line(schedule.description, field="description", max_length=DESCRIPTION_MAX)
    validate_time_zone(schedule.time_zone)
    if len(schedule.layers) > MAX_LAYERS:
        raise ValidationFailed(f"A schedule has at most {MAX_LAYERS} layers", field="layers")
    positions = [layer.position for layer in schedule.layers]
    if len(set(positions)) != len(positions):
        raise ValidationFailed("Two layers share a position", field="layers")
    for n, layer in enumerate(schedule.layers):
        validate_layer(layer, prefix=f"layers[{n}].", inactive_users=inactive_users)
    for n, override in enumerate(schedule.overrides):
        validate_override(override, prefix=f"overrides[{n}].", inactive_users=inactive_users)


def validate_override(override: Override, *, prefix: str = "", inactive_users: Collection[UserId] = ()) -> None:
    """An override ends after it starts, and lasts at most a year (366 days)."""
    _aware(override.start, f"{prefix}start")
    _aware(override.end, f"{prefix}end")
    if override.end <= override.start:
        raise ValidationFailed("An override must end after it starts", field=f"{prefix}end")
    if override.end - override.start > MAX_OVERRIDE:
        raise ValidationFailed("An override lasts at most a year (366 days)", field=f"{prefix}end")
    _inactive((override.user,), inactive_users, f"{prefix}user")


def validate_window(
    start: datetime,
    end: datetime,
    *,
    longest: timedelta = MAX_SHIFTS_WINDOW,
    fields: tuple[str, str] = ("from", "to"),
) -> None:
    """A window to list shifts or gaps over: aware, ending after it starts, at most 90 days."""
    _aware(start, fields[0])
    _aware(end, fields[1])
    if end <= start:
        raise ValidationFailed(f"{fields[1]} must be after {fields[0]}", field=fields[1])
    if end - start > longest:
        raise ValidationFailed(f"The window is at most {longest.days} days long", field=fields[1])
