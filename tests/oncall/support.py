"""Builders for schedules in tests, and a reference oracle: who is on call at one instant,
decided straight from the rules in `app.oncall.schedule` with zoneinfo and nothing of the
calculator's own arithmetic (no wall integers, no memo, no pieces), slowly and obviously."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import UTC, datetime, timedelta
from datetime import time as clock
from itertools import count
from zoneinfo import ZoneInfo

from app.oncall.schedule import (
    Layer,
    Override,
    Restriction,
    RestrictionKind,
    Rotation,
    RotationKind,
    Schedule,
    Shift,
    ShiftSource,
    Weekday,
)

_ids = count(1)
CREATED = datetime(2026, 1, 1, tzinfo=UTC)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def local(zone: str, year: int, month: int, day: int, hour: int = 0, minute: int = 0, fold: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=ZoneInfo(zone), fold=fold)


def layer(
    handoff_at: datetime,
    users: Sequence[int],
    kind: RotationKind = RotationKind.DAILY,
    hours: int | None = None,
    restrictions: Sequence[Restriction] = (),
    position: int = 0,
    id: int | None = None,
) -> Layer:
    return Layer(
        id if id is not None else next(_ids),
        Rotation(kind, handoff_at, hours),
        tuple(users),
        tuple(restrictions),
        position=position,
    )


def daily(start: clock, end: clock) -> Restriction:
    return Restriction(RestrictionKind.DAILY, start, end)


def weekly(day: Weekday, start: clock, end: clock) -> Restriction:
    return Restriction(RestrictionKind.WEEKLY, start, end, weekday=day)


def override(user: int, start: datetime, end: datetime, created: int = 0, id: int | None = None) -> Override:
    """`created` orders overrides: a larger number was created later."""
    return Override(
        id if id is not None else next(_ids), user, start, end, created_at=CREATED + timedelta(minutes=created)
    )


def schedule(zone: str, layers: Sequence[Layer] = (), overrides: Sequence[Override] = ()) -> Schedule:
    return Schedule(next(_ids), "On call", zone, tuple(layers), tuple(overrides))


def spans(shifts: Sequence[Shift]) -> list[tuple[int, datetime, datetime]]:
    return [(s.user, s.start, s.end) for s in shifts]


# -- the reference ------------------------------------------------------------------------------

_MINUTE = timedelta(minutes=1)


def resolve_ref(naive: datetime, tz: ZoneInfo) -> datetime:
    """A local reading as an instant: its first occurrence, or, in a spring-forward gap, the
    first instant (scanning by the minute, then by the second) whose reading is past it."""
    first = naive.replace(tzinfo=tz, fold=0).astimezone(UTC)
    if first.astimezone(tz).replace(tzinfo=None) == naive:
        return first
    instant = naive.replace(tzinfo=tz, fold=1).astimezone(UTC)  # before the gap
    for step in (_MINUTE, timedelta(seconds=1)):
        while instant.astimezone(tz).replace(tzinfo=None) < naive:
            instant += step
        instant -= step
    return instant + timedelta(seconds=1)


def _reading(at: datetime, tz: ZoneInfo) -> datetime:
    return at.astimezone(tz).replace(tzinfo=None)


def layer_user_ref(item: Layer, tz: ZoneInfo, at: datetime, inactive: Collection[int]) -> int | None:
    """The layer's user at `at`, or None where it has no shift."""
    if not item.users:
        return None
    start = _reading(item.rotation.handoff_at, tz)
    if at < resolve_ref(start, tz):
        return None
    if not in_restrictions_ref(item, tz, at):
        return None
    length = timedelta(hours=item.rotation.hours)
    turn = max(0, (_reading(at, tz) - start) // length - 2)
    while resolve_ref(start + (turn + 1) * length, tz) <= at:
        turn += 1
    user = item.users[turn % len(item.users)]
    return None if user in inactive else user


def in_restrictions_ref(item: Layer, tz: ZoneInfo, at: datetime) -> bool:
    if not item.restrictions:
        return True
    today = _reading(at, tz).date()
    for back in range(-1, 3):
        day = today - timedelta(days=back)
        for restriction in item.restrictions:
            weekday = restriction.weekday
            if restriction.kind is RestrictionKind.WEEKLY and weekday and day.weekday() != list(Weekday).index(weekday):
                continue
            opens = datetime.combine(day, restriction.start_time)
            closes = opens + restriction.duration
            if resolve_ref(opens, tz) <= at < resolve_ref(closes, tz):
                return True
    return False


def state_ref(
    item: Schedule, at: datetime, inactive: Collection[int] = ()
) -> tuple[int, ShiftSource, int | None, int | None] | None:
    """(user, source, layer id, override id) at `at`, or None: the rules, read literally."""
    for o in sorted(item.overrides, key=lambda o: (o.created_at, o.id), reverse=True):
        if o.start <= at < o.end and o.user not in inactive:
            return o.user, ShiftSource.OVERRIDE, None, o.id
    tz = ZoneInfo(item.time_zone)
    for candidate in sorted(item.layers, key=lambda lay: (lay.position, lay.id), reverse=True):
        user = layer_user_ref(candidate, tz, at, inactive)
        if user is not None:
            return user, ShiftSource.LAYER, candidate.id, None
    return None


def key(shift: Shift) -> tuple[int, ShiftSource, int | None, int | None]:
    return shift.user, shift.source, shift.layer, shift.override
