"""Schedules as plain immutable values: layers with rotations and restrictions, overrides, shifts.

Pure: no I/O, no framework imports. Field names follow the GraphQL contract (`timeZone` is
`time_zone`, and so on) so rows load into them and resolvers expose them one to one.

Meaning (the calculator, `app.oncall.calculator`, implements it):

- A **layer** hands off at its rotation's first handoff (`rotation.handoff_at`, the layer's start)
  and every `DAILY` (24 h), `WEEKLY` (168 h) or `CUSTOM` (`length_hours`) of *wall-clock* time
  after it, in the schedule's zone; `users` take turns in order, the first from the first handoff.
  Before its first handoff a layer has no shift. Wall-clock means a daily 09:00 Europe/Berlin
  rotation hands off at 09:00 local on both sides of a DST change (a 23 h and a 25 h shift), and
  a 12 h custom rotation started at 09:00 stays on 09:00/21:00 local.
- A handoff (or restriction edge) whose local time falls in a spring-forward gap moves to the
  first instant after the gap; one whose local time exists twice in a fall-back takes the first
  occurrence (fold=0). A shift that this shrinks to nothing (an hourly rotation at 02:00 on a
  spring-forward night) is not shown: that turn passes.
- **Restrictions** are windows of local time outside which the layer has no shift: `DAILY` every
  day from `start_time` to `end_time`, `WEEKLY` only on `weekday` (starting that day). A window
  whose end is not after its start crosses midnight into the next day; equal times mean 24 hours.
  A layer with several restrictions has a shift wherever any of them is open.
- The layer with the higher `position` wins where it has a shift; **overrides** win over every
  layer, and of two overlapping overrides the later-created one (`created_at`, then `id`) wins.
- A user who is inactive (deactivated) has no shift: their turn in a layer, or their override,
  is as if absent, so a lower layer shows through or the interval is a gap.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from enum import Enum

UserId = int
ScheduleId = int
LayerId = int
OverrideId = int


class RotationKind(str, Enum):
    DAILY = "DAILY"
    WEEKLY = "WEEKLY"
    CUSTOM = "CUSTOM"


class RestrictionKind(str, Enum):
    DAILY = "DAILY"  # every day, start_time to end_time
    WEEKLY = "WEEKLY"  # on one weekday, start_time to end_time


class Weekday(str, Enum):
    MONDAY = "MONDAY"
    TUESDAY = "TUESDAY"
    WEDNESDAY = "WEDNESDAY"
    THURSDAY = "THURSDAY"
    FRIDAY = "FRIDAY"
    SATURDAY = "SATURDAY"
    SUNDAY = "SUNDAY"

    @property
    def number(self) -> int:
        """Monday is 0, as in `datetime.weekday()`."""
        return _WEEKDAY_NUMBER[self]


_WEEKDAY_NUMBER = {day: n for n, day in enumerate(Weekday)}


class ShiftSource(str, Enum):
    LAYER = "LAYER"
    OVERRIDE = "OVERRIDE"


ROTATION_HOURS = {RotationKind.DAILY: 24, RotationKind.WEEKLY: 7 * 24}


@dataclass(frozen=True, slots=True)
class Rotation:
    kind: RotationKind
    handoff_at: datetime  # the first handoff (aware); its local time is the handoff time of day
    length_hours: int | None = None  # CUSTOM only (DAILY and WEEKLY may repeat 24 and 168)

    @property
    def hours(self) -> int:
        """The wall-clock length of one turn."""
        if self.kind is RotationKind.CUSTOM:
            return self.length_hours or 0
        return ROTATION_HOURS[self.kind]


@dataclass(frozen=True, slots=True)
class Restriction:
    kind: RestrictionKind
    start_time: time  # naive local time of day, whole minutes
    end_time: time  # not after start_time: the window ends the next day
    weekday: Weekday | None = None  # WEEKLY only: the day the window starts

    @property
    def duration(self) -> timedelta:
        """Wall-clock length of the window: crossing midnight when the end is not after the
        start, 24 hours when they are equal."""
        start = timedelta(hours=self.start_time.hour, minutes=self.start_time.minute)
        end = timedelta(hours=self.end_time.hour, minutes=self.end_time.minute)
        length = (end - start) % timedelta(days=1)
        return length or timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Layer:
    id: LayerId
    rotation: Rotation
    users: tuple[UserId, ...]  # in turn order; a user may appear more than once
    restrictions: tuple[Restriction, ...] = ()
    position: int = 0  # higher wins
    name: str = ""


@dataclass(frozen=True, slots=True)
class Override:
    id: OverrideId
    user: UserId
    start: datetime
    end: datetime
    created_at: datetime  # with `id`, decides which of two overlapping overrides wins
    created_by: UserId | None = None


@dataclass(frozen=True, slots=True)
class Schedule:
    id: ScheduleId
    name: str
    time_zone: str
    layers: tuple[Layer, ...] = ()
    overrides: tuple[Override, ...] = ()
    description: str = ""
    version: int = 1


@dataclass(frozen=True, slots=True)
class Shift:
    """Who is on call over [start, end), and which layer or override says so."""

    user: UserId
    start: datetime
    end: datetime
    source: ShiftSource
    layer: LayerId | None = None
    override: OverrideId | None = None

    @property
    def duration(self) -> timedelta:
        return self.end - self.start


@dataclass(frozen=True, slots=True)
class Gap:
    """An interval in which nobody is on call."""

    start: datetime
    end: datetime
