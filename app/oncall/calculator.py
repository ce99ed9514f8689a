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
from collections.abc import Collection
from datetime import UTC, datetime, timedelta
from operator import attrgetter, itemgetter
from typing import NamedTuple

from app.oncall.layering import CompiledLayer
from app.oncall.schedule import (
    Gap,
    LayerId,
    OverrideId,
    Schedule,
    Shift,
    ShiftSource,
    UserId,
)
from app.oncall.wallclock import (
    NEVER_AFTER,
    NEVER_BEFORE,
    zone,
)

DEFAULT_HORIZON = timedelta(days=90)
_CREATED = attrgetter("created_at", "id")
_START = itemgetter(0)
_ONE_US = timedelta(microseconds=1)

# (start, end, user, source, layer id, override id): the painter's unit, ordered by start.
_Piece = tuple[datetime, datetime, UserId, ShiftSource, LayerId | None, OverrideId | None]


def _aware(value: datetime, name: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")
    return value.astimezone(UTC)


def _union(spans: list[tuple[datetime, datetime]]) -> tuple[list[datetime], list[datetime]]:
    """The starts and ends of the sorted union of intervals (touching ones join)."""
    starts: list[datetime] = []
    ends: list[datetime] = []
    spans.sort()
    for start, end in spans:
        if ends and start <= ends[-1]:
            if end > ends[-1]:
                ends[-1] = end
        else:
            starts.append(start)
            ends.append(end)
    return starts, ends


class _State(NamedTuple):
    """Who has an instant (user None: nobody), a piece of time around it over which that does not
    change, and whether it surely changes just before `low` / at `high`."""

    user: UserId | None
    source: ShiftSource
    layer: LayerId | None
    override: OverrideId | None
    low: datetime
    high: datetime
    low_sure: bool
    high_sure: bool


class Calculator:
    """A schedule prepared for repeated questions (the service may keep one per schedule version
    and set of inactive users). The module functions build one per call."""

    __slots__ = ("zone", "layers", "overrides", "override_starts", "override_ends")

    def __init__(self, schedule: Schedule, inactive_users: Collection[UserId] = frozenset()) -> None:
        self.zone = zone(schedule.time_zone)
        inactive = frozenset(inactive_users)
        ordered = sorted(schedule.layers, key=lambda layer: (layer.position, layer.id), reverse=True)
        self.layers = [CompiledLayer(layer, self.zone, inactive) for layer in ordered]
        # Later-created first; an inactive user's override, or an empty one, is as if absent.
        # (Aware datetimes compare as instants whatever their zone; shifts come out in UTC.)
        for override in schedule.overrides:
            if override.start.tzinfo is None or override.end.tzinfo is None or override.created_at.tzinfo is None:
                raise ValueError(f"override {override.id} has a naive datetime")
        self.overrides = [
            (o.start, o.end, o.user, o.id)
            for o in sorted(schedule.overrides, key=_CREATED, reverse=True)
            if o.end > o.start and o.user not in inactive
        ]
        # Where any override holds: an instant outside this union is a layer's (or nobody's).
        self.override_starts, self.override_ends = _union([(o[0], o[1]) for o in self.overrides])

    # -- at one instant -------------------------------------------------------------------------

    def _state(self, at: datetime) -> _State:
        """Who holds `at`: the overrides' union first, then the layers from the top down."""
        low, high, low_sure, high_sure = NEVER_BEFORE, NEVER_AFTER, False, False
        starts = self.override_starts
        if starts:
            # Next to an override, the answer surely changes where it begins or ends.
            i = bisect_right(starts, at) - 1
            if i >= 0:
                low, low_sure = self.override_ends[i], True
                if low > at:
                    return self._override_state(at)
            if i + 1 < len(starts):
                high, high_sure = starts[i + 1], True
        wall = self.zone.key(at)
        for layer in self.layers:
            piece = layer.at(wall)
            if piece.low > low:
                low, low_sure = piece.low, piece.low_sure
            elif piece.low == low:
                low_sure = low_sure or piece.low_sure
            if piece.high < high:
                high, high_sure = piece.high, piece.high_sure
            elif piece.high == high:
                high_sure = high_sure or piece.high_sure
            if piece.user is not None:
                return _State(piece.user, ShiftSource.LAYER, layer.id, None, low, high, low_sure, high_sure)
        return _State(None, ShiftSource.LAYER, None, None, low, high, False, False)

    def _override_state(self, at: datetime) -> _State:
        """`at` lies in some override: the later-created one holding it wins, from its start or the
        end of a later-created one, to its end or the start of a later-created one."""
        low, high = NEVER_BEFORE, NEVER_AFTER
        for start, end, user, override_id in self.overrides:
            if start <= at < end:
                return _State(
                    user, ShiftSource.OVERRIDE, None, override_id, max(low, start), min(high, end), True, True
                )
            if end <= at:
                low = max(low, end)
            else:
                high = min(high, start)
        raise AssertionError("an instant in the overrides' union is in one of them")

    def _may_hold(self, at: datetime, state: _State) -> bool:
        """A quick look whether `state`'s holder may still hold `at`: False means surely not."""
        starts = self.override_starts
        if starts:
            i = bisect_right(starts, at) - 1
            if (i >= 0 and self.override_ends[i] > at) != (state.source is ShiftSource.OVERRIDE):
                return False
        if state.source is ShiftSource.OVERRIDE:
            return True
        wall = self.zone.key(at)
        for layer in self.layers:
            user = layer.user_at(wall)
            if layer.id == state.layer:
                return user == state.user
            if user is not None:
                return False
        return False

    def on_call(self, at: datetime, horizon: timedelta = DEFAULT_HORIZON) -> Shift | None:
        """The shift that holds `at`, as `shifts(at - horizon, at + horizon)` would give it."""
        at = _aware(at, "at")
        state = self._state(at)
        if state.user is None:
            return None
        key = state[:4]
        first, last = at - horizon, at + horizon
        start, end, sure = state.low, state.high, state.high_sure
        while end < last and not sure and self._may_hold(end, state):
            following = self._state(end)
            if following[:4] != key:
                break
            end, sure = following.high, following.high_sure
        sure = state.low_sure
        while start > first and not sure and self._may_hold(start - _ONE_US, state):
            preceding = self._state(start - _ONE_US)
            if preceding[:4] != key:
                break
            start, sure = preceding.low, preceding.low_sure
        start, end = max(start, first).astimezone(UTC), min(end, last).astimezone(UTC)
        return Shift(state.user, start, end, state.source, state.layer, state.override)

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
                covered = sorted(covered + _uncovered([piece], covered), key=_START)
        wall_low, wall_high = self.zone.key(start), self.zone.key(end) + 1
        for layer in self.layers:
            pieces: list[_Piece] = []
            for w_start, w_end, user in layer.intervals(wall_low, wall_high):
                s, e = max(self.zone.resolve(w_start), start), min(self.zone.resolve(w_end), end)
                if s < e:
                    pieces.append((s, e, user, ShiftSource.LAYER, layer.id, None))
            if pieces:
                covered = sorted(covered + _uncovered(pieces, covered), key=_START)
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
            shifts[-1] = Shift(user, last.start, end.astimezone(UTC), source, layer, override)
        else:
            shifts.append(Shift(user, start.astimezone(UTC), end.astimezone(UTC), source, layer, override))
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
