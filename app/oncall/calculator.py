"""The pure shift calculator: who is on call over a window (`shifts`, `gaps`) and at an instant
(`on_call`). No I/O; the rules it applies are documented in `app.oncall.schedule`, the time
conversions in `app.oncall.wallclock`.

Two independent paths compute the same answer. `shifts` builds each layer's intervals for the
whole window at once and paints them from the highest priority down (overrides, later-created
first, then layers, highest position first). `on_call` looks only at the instant: which override
or layer has it, over which piece of time that stays so, and then walks piece by piece to the
ends of the merged shift, so it costs the same now as in ten years. The property tests hold the
two to agreement.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from app.oncall.schedule import (
    Gap,
    Layer,
    LayerId,
    OverrideId,
    RestrictionKind,
    Schedule,
    Shift,
    ShiftSource,
    UserId,
)
from app.oncall.wallclock import (
    NEVER_AFTER,
    NEVER_BEFORE,
    US_PER_DAY,
    US_PER_HOUR,
    US_PER_MINUTE,
    US_PER_WEEK,
    WALL_MAX,
    WALL_MIN,
    Zone,
    wall_of,
    weekday_of,
    zone,
)

DEFAULT_HORIZON = timedelta(days=90)
_ONE_US = timedelta(microseconds=1)

# (start, end, user, source, layer id, override id): the painter's unit, ordered by start.
_Piece = tuple[datetime, datetime, UserId, ShiftSource, LayerId | None, OverrideId | None]
_WallPiece = tuple[int, int, UserId]


def _aware(value: datetime, name: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")
    return value.astimezone(UTC)


class _Week:
    """A layer's restrictions as merged windows of one week of wall time, offsets from Monday
    00:00 of week 0, laid over weeks -1, 0 and 1 so that any offset in week 0 finds the window
    holding it, or the windows either side of its gap."""

    __slots__ = ("starts", "ends", "canonical")

    def __init__(self, layer: Layer) -> None:
        raw: list[tuple[int, int]] = []
        for restriction in layer.restrictions:
            start = restriction.start_time.hour * US_PER_HOUR + restriction.start_time.minute * US_PER_MINUTE
            length = int(restriction.duration / _ONE_US)
            if restriction.kind is RestrictionKind.DAILY:
                days: tuple[int, ...] = tuple(range(7))
            else:
                days = (restriction.weekday.number,) if restriction.weekday is not None else ()
            raw.extend((day * US_PER_DAY + start, day * US_PER_DAY + start + length) for day in days)
        raw.sort()
        self.canonical = raw  # the windows that start in week 0
        merged = _merge_walls((s + week * US_PER_WEEK, e + week * US_PER_WEEK) for week in (-1, 0, 1) for s, e in raw)
        self.starts = [s for s, _ in merged]
        self.ends = [e for _, e in merged]

    def piece(self, wall: int) -> tuple[bool, int, int]:
        """Whether a window holds `wall`, and the window (or the gap) around it."""
        monday = (wall // US_PER_DAY - weekday_of(wall)) * US_PER_DAY
        offset = wall - monday
        i = bisect_right(self.starts, offset) - 1
        if i >= 0 and self.ends[i] > offset:
            return True, monday + self.starts[i], monday + self.ends[i]
        low = monday + self.ends[i] if i >= 0 else WALL_MIN
        high = monday + self.starts[i + 1] if i + 1 < len(self.starts) else WALL_MAX
        return False, low, high

    def windows(self, low: int, high: int) -> list[tuple[int, int]]:
        """The merged windows meeting the wall interval [low, high)."""
        monday = (low // US_PER_DAY - weekday_of(low)) * US_PER_DAY - US_PER_WEEK
        found: list[tuple[int, int]] = []
        while monday < high:
            found.extend((monday + s, monday + e) for s, e in self.canonical)
            monday += US_PER_WEEK
        return [(s, e) for s, e in _merge_walls(found) if e > low and s < high]


def _merge_walls(intervals: Iterator[tuple[int, int]] | list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


class _CompiledLayer:
    __slots__ = ("id", "start", "length", "users", "active", "single", "week")

    def __init__(self, layer: Layer, zone: Zone, inactive: Collection[UserId]) -> None:
        self.id = layer.id
        self.start = wall_of(_aware(layer.rotation.handoff_at, "handoff_at").astimezone(zone.tz))
        self.length = max(layer.rotation.hours, 1) * US_PER_HOUR
        self.users = layer.users
        self.active = tuple(user not in inactive for user in layer.users)
        distinct = set(layer.users)
        self.single = layer.users[0] if len(distinct) == 1 else None
        self.week = _Week(layer) if layer.restrictions else None

    def piece(self, wall: int) -> tuple[UserId | None, int, int]:
        """The layer's user at a wall value (None: no shift there), and a wall interval around it
        over which that stays so."""
        if wall < self.start or not self.users:
            return None, WALL_MIN, self.start if self.users else WALL_MAX
        if self.single is not None:
            index, low, high = 0, self.start, WALL_MAX
        else:
            turn = (wall - self.start) // self.length
            index = turn % len(self.users)
            low = self.start + turn * self.length
            high = low + self.length
        if self.week is not None:
            inside, window_low, window_high = self.week.piece(wall)
            if not inside:
                return None, max(window_low, self.start), window_high
            low, high = max(low, window_low), min(high, window_high)
        return (self.users[index] if self.active[index] else None), low, high

    def turns(self, low: int, high: int) -> Iterator[_WallPiece]:
        """The rotation's turns of active users meeting [low, high), before restrictions."""
        low = max(low, self.start)
        if low >= high or not self.users:
            return
        if self.single is not None:
            if self.active[0]:
                yield low, high, self.single
            return
        turn = (low - self.start) // self.length
        begin = self.start + turn * self.length
        count = len(self.users)
        while begin < high:
            index = turn % count
            if self.active[index]:
                yield max(begin, low), min(begin + self.length, high), self.users[index]
            turn += 1
            begin += self.length

    def intervals(self, low: int, high: int) -> list[_WallPiece]:
        """Wall intervals with their user over [low, high): turns cut to the restriction windows."""
        turns = list(self.turns(low, high))
        if self.week is None:
            return turns
        windows = self.week.windows(low, high)
        out: list[_WallPiece] = []
        j = 0
        for start, end, user in turns:
            while j < len(windows) and windows[j][1] <= start:
                j += 1
            k = j
            while k < len(windows) and windows[k][0] < end:
                cut_start, cut_end = max(start, windows[k][0]), min(end, windows[k][1])
                if cut_start < cut_end:
                    out.append((cut_start, cut_end, user))
                k += 1
        return out


@dataclass(frozen=True, slots=True)
class _State:
    user: UserId | None
    source: ShiftSource
    layer: LayerId | None
    override: OverrideId | None
    low: datetime
    high: datetime

    @property
    def key(self) -> tuple[UserId | None, ShiftSource, LayerId | None, OverrideId | None]:
        return self.user, self.source, self.layer, self.override


class Calculator:
    """A schedule prepared for repeated questions (the service may keep one per schedule version
    and set of inactive users). The module functions build one per call."""

    __slots__ = ("zone", "layers", "overrides")

    def __init__(self, schedule: Schedule, inactive_users: Collection[UserId] = frozenset()) -> None:
        self.zone = zone(schedule.time_zone)
        inactive = frozenset(inactive_users)
        ordered = sorted(schedule.layers, key=lambda layer: (layer.position, layer.id), reverse=True)
        self.layers = [_CompiledLayer(layer, self.zone, inactive) for layer in ordered]
        # Later-created first; an inactive user's override, or an empty one, is as if absent.
        overrides = sorted(schedule.overrides, key=lambda o: (_aware(o.created_at, "created_at"), o.id), reverse=True)
        self.overrides = [
            (_aware(o.start, "start"), _aware(o.end, "end"), o.user, o.id)
            for o in overrides
            if o.user not in inactive and o.end > o.start
        ]

    # -- at one instant -------------------------------------------------------------------------

    def _state(self, at: datetime) -> _State:
        """Who has `at`, and a piece of time around it over which that does not change."""
        low, high = NEVER_BEFORE, NEVER_AFTER
        for start, end, user, override_id in self.overrides:
            if start <= at < end:
                return _State(user, ShiftSource.OVERRIDE, None, override_id, max(low, start), min(high, end))
            if end <= at:
                low = max(low, end)
            else:
                high = min(high, start)
        wall = self.zone.key(at)
        for layer in self.layers:
            holder, wall_low, wall_high = layer.piece(wall)
            low = max(low, self.zone.resolve(wall_low))
            high = min(high, self.zone.resolve(wall_high))
            if holder is not None:
                return _State(holder, ShiftSource.LAYER, layer.id, None, low, high)
        return _State(None, ShiftSource.LAYER, None, None, low, high)

    def on_call(self, at: datetime, horizon: timedelta = DEFAULT_HORIZON) -> Shift | None:
        """The shift that holds `at`, as `shifts(at - horizon, at + horizon)` would give it."""
        at = _aware(at, "at")
        state = self._state(at)
        if state.user is None:
            return None
        first, last = at - horizon, at + horizon
        start, end = state.low, state.high
        while end < last:
            following = self._state(end)
            if following.key != state.key:
                break
            end = following.high
        while start > first:
            preceding = self._state(start - _ONE_US)
            if preceding.key != state.key:
                break
            start = preceding.low
        return Shift(state.user, max(start, first), min(end, last), state.source, state.layer, state.override)

    # -- over a window --------------------------------------------------------------------------

    def shifts(self, start: datetime, end: datetime) -> list[Shift]:
        """Contiguous, non-overlapping, merged shifts over [start, end), sorted."""
        start, end = _aware(start, "start"), _aware(end, "end")
        if end <= start:
            return []
        covered: list[_Piece] = []
        for o_start, o_end, user, override_id in self.overrides:
            if o_start < end and o_end > start:
                piece = (max(o_start, start), min(o_end, end), user, ShiftSource.OVERRIDE, None, override_id)
                covered = sorted(covered + _uncovered([piece], covered))
        wall_low, wall_high = self.zone.key(start), self.zone.key(end) + 1
        for layer in self.layers:
            pieces: list[_Piece] = []
            for w_start, w_end, user in layer.intervals(wall_low, wall_high):
                s, e = max(self.zone.resolve(w_start), start), min(self.zone.resolve(w_end), end)
                if s < e:
                    pieces.append((s, e, user, ShiftSource.LAYER, layer.id, None))
            if pieces:
                covered = sorted(covered + _uncovered(pieces, covered))
        return _merged(covered)

    def gaps(self, start: datetime, end: datetime) -> list[Gap]:
        """The intervals of [start, end) in which nobody is on call."""
        start, end = _aware(start, "start"), _aware(end, "end")
        found: list[Gap] = []
        cursor = start
        for shift in self.shifts(start, end):
            if shift.start > cursor:
                found.append(Gap(cursor, shift.start))
            cursor = shift.end
        if cursor < end:
            found.append(Gap(cursor, end))
        return found


def _uncovered(pieces: list[_Piece], covered: list[_Piece]) -> list[_Piece]:
    """The parts of `pieces` (sorted, disjoint) that no piece of `covered` (same) overlaps."""
    out: list[_Piece] = []
    j, count = 0, len(covered)
    for piece in pieces:
        start, end = piece[0], piece[1]
        while j < count and covered[j][1] <= start:
            j += 1
        cursor, k = start, j
        while k < count and covered[k][0] < end:
            if covered[k][0] > cursor:
                out.append((cursor, covered[k][0], piece[2], piece[3], piece[4], piece[5]))
            cursor = max(cursor, covered[k][1])
            k += 1
        if cursor < end:
            out.append((cursor, end, piece[2], piece[3], piece[4], piece[5]))
    return out


def _merged(pieces: list[_Piece]) -> list[Shift]:
    shifts: list[Shift] = []
    for start, end, user, source, layer, override in pieces:
        last = shifts[-1] if shifts else None
        if (
            last is not None
            and last.end == start
            and (last.user, last.source, last.layer, last.override) == (user, source, layer, override)
        ):
            shifts[-1] = Shift(user, last.start, end, source, layer, override)
        else:
            shifts.append(Shift(user, start, end, source, layer, override))
    return shifts


def shifts(
    schedule: Schedule, start: datetime, end: datetime, inactive_users: Collection[UserId] = frozenset()
) -> list[Shift]:
    """Who is on call over [start, end): contiguous, non-overlapping, merged, sorted shifts."""
    return Calculator(schedule, inactive_users).shifts(start, end)


def on_call(
    schedule: Schedule,
    at: datetime,
    inactive_users: Collection[UserId] = frozenset(),
    horizon: timedelta = DEFAULT_HORIZON,
) -> Shift | None:
    """The shift holding `at` (its ends at most `horizon` away), or None when nobody is on call."""
    return Calculator(schedule, inactive_users).on_call(at, horizon)


def gaps(
    schedule: Schedule, start: datetime, end: datetime, inactive_users: Collection[UserId] = frozenset()
) -> list[Gap]:
    """The uncovered intervals of [start, end)."""
    return Calculator(schedule, inactive_users).gaps(start, end)
