"""One schedule layer prepared for the calculator: its rotation turns and restriction windows as
integer wall-clock arithmetic in the schedule's zone (`app.oncall.wallclock`), answered either at
one instant (`CompiledLayer.at`) or over a whole window (`CompiledLayer.intervals`). Pure."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Collection, Iterable, Iterator
from datetime import datetime, timedelta
from functools import lru_cache
from typing import NamedTuple

from app.oncall.schedule import Layer, Restriction, RestrictionKind, UserId
from app.oncall.wallclock import (
    US_PER_DAY,
    US_PER_HOUR,
    US_PER_MINUTE,
    US_PER_WEEK,
    WALL_MAX,
    WALL_MIN,
    Zone,
    wall_of,
    weekday_of,
)

_ONE_US = timedelta(microseconds=1)

WallPiece = tuple[int, int, UserId]  # [start, end) in wall values, and whose turn it is


class LayerPiece(NamedTuple):
    """A layer at one instant: its user there (None: no shift), an interval of instants around the
    instant over which that stays so, and whether the layer's answer is sure to differ just
    before `low` / at `high` (so a caller merging equal neighbours need not look)."""

    user: UserId | None
    low: datetime
    high: datetime
    low_sure: bool
    high_sure: bool


def merge_walls(intervals: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sorted union of wall intervals; touching ones join."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


class RestrictionWeek:
    """A layer's restrictions as merged windows of wall time, offsets from Monday 00:00 of week 0,
    laid over weeks -1, 0 and 1: any offset in week 0 finds the window holding it, or the windows
    either side of its gap. A window first or last in that list may go on beyond it (restrictions
    that cover the whole week), so its outer edge is not a real one."""

    __slots__ = ("starts", "ends", "canonical")

    def __init__(self, restrictions: tuple[Restriction, ...]) -> None:
        raw: list[tuple[int, int]] = []
        for restriction in restrictions:
            start = restriction.start_time.hour * US_PER_HOUR + restriction.start_time.minute * US_PER_MINUTE
            length = restriction.duration // _ONE_US
            if restriction.kind is RestrictionKind.DAILY:
                days: tuple[int, ...] = tuple(range(7))
            else:
                days = (restriction.weekday.number,) if restriction.weekday is not None else ()
            raw.extend((day * US_PER_DAY + start, day * US_PER_DAY + start + length) for day in days)
        self.canonical = sorted(raw)  # the windows that start in week 0
        merged = merge_walls((s + week * US_PER_WEEK, e + week * US_PER_WEEK) for week in (-1, 0, 1) for s, e in raw)
        self.starts = [s for s, _ in merged]
        self.ends = [e for _, e in merged]

    def at(self, wall: int) -> tuple[bool, int, int, bool, bool]:
        """Whether a window holds `wall`; the window (or gap) around it; whether its edges are real."""
        monday = (wall // US_PER_DAY - weekday_of(wall)) * US_PER_DAY
        offset = wall - monday
        i = bisect_right(self.starts, offset) - 1
        if i >= 0 and self.ends[i] > offset:
            return True, monday + self.starts[i], monday + self.ends[i], i > 0, i < len(self.starts) - 1
        low = monday + self.ends[i] if i >= 0 else WALL_MIN
        high = monday + self.starts[i + 1] if i + 1 < len(self.starts) else WALL_MAX
        return False, low, high, False, False

    def windows(self, low: int, high: int) -> list[tuple[int, int]]:
        """The merged windows meeting the wall interval [low, high)."""
        monday = (low // US_PER_DAY - weekday_of(low)) * US_PER_DAY - US_PER_WEEK
        found: list[tuple[int, int]] = []
        while monday < high:
            found.extend((monday + s, monday + e) for s, e in self.canonical)
            monday += US_PER_WEEK
        return [(s, e) for s, e in merge_walls(found) if e > low and s < high]


@lru_cache(maxsize=4096)
def restriction_week(restrictions: tuple[Restriction, ...]) -> RestrictionWeek:
    """Shared between layers (and calls) with the same restrictions; it never changes."""
    return RestrictionWeek(restrictions)


class CompiledLayer:
    __slots__ = ("id", "zone", "start", "length", "users", "active", "single", "week")

    def __init__(self, layer: Layer, zone: Zone, inactive: Collection[UserId]) -> None:
        self.id = layer.id
        self.zone = zone
        self.start = wall_of(layer.rotation.handoff_at.astimezone(zone.tz))
        self.length = max(layer.rotation.hours, 1) * US_PER_HOUR
        users = self.users = layer.users
        # Per turn: whether its user is active (None: all are).
        self.active = tuple(user not in inactive for user in users) if inactive and set(users) & set(inactive) else None
        self.single = users[0] if len(set(users)) == 1 else None
        self.week = restriction_week(layer.restrictions) if layer.restrictions else None

    def is_active(self, index: int) -> bool:
        return self.active is None or self.active[index]

    def at(self, wall: int) -> LayerPiece:
        """The layer at the instant whose key (`Zone.key`) is `wall`."""
        resolve = self.zone.resolve
        if wall < self.start or not self.users:
            return LayerPiece(None, resolve(WALL_MIN), resolve(self.start if self.users else WALL_MAX), False, False)
        turn = 0 if self.single is not None else (wall - self.start) // self.length
        index = turn % len(self.users)
        low = self.start + turn * self.length
        high = WALL_MAX if self.single is not None else low + self.length
        window_low, window_high, real_low, real_high = WALL_MIN, WALL_MAX, False, False
        if self.week is not None:
            inside, window_low, window_high, real_low, real_high = self.week.at(wall)
            if not inside:
                return LayerPiece(None, resolve(max(window_low, self.start)), resolve(window_high), False, False)
        if not self.is_active(index):
            return LayerPiece(None, resolve(max(low, window_low)), resolve(min(high, window_high)), False, False)
        # Whether the answer surely differs on the far side of each bound: a window edge is real
        # if the gap beside it survives resolution; a handoff changes the user if the turn beside
        # it is someone else's and not empty (a spring-forward gap can swallow a short turn).
        if window_low > low:
            low, low_sure = window_low, real_low and self._gap_before(window_low)
        else:
            low_sure = self._handoff_before(turn, index) or (
                window_low == low and real_low and self._gap_before(window_low)
            )
        if window_high < high:
            high, high_sure = window_high, real_high and self._gap_after(window_high)
        else:
            high_sure = self._handoff_after(index, high) or (
                window_high == high and real_high and self._gap_after(window_high)
            )
        return LayerPiece(self.users[index], resolve(low), resolve(high), low_sure, high_sure)

    def user_at(self, wall: int) -> UserId | None:
        """Only the layer's user at the instant whose key is `wall` (None: no shift there)."""
        if wall < self.start or not self.users:
            return None
        index = 0 if self.single is not None else (wall - self.start) // self.length % len(self.users)
        if self.week is not None and not self.week.at(wall)[0]:
            return None
        return self.users[index] if self.is_active(index) else None

    def _handoff_before(self, turn: int, index: int) -> bool:
        if turn == 0:
            return True  # the layer's first handoff: no shift before it
        if self.single is not None or self.users[index - 1] == self.users[index]:
            return False
        low = self.start + turn * self.length
        return self.zone.resolve(low - self.length) < self.zone.resolve(low)

    def _handoff_after(self, index: int, high: int) -> bool:
        if self.single is not None or self.users[(index + 1) % len(self.users)] == self.users[index]:
            return False
        return self.zone.resolve(high) < self.zone.resolve(high + self.length)

    def _gap_before(self, window_start: int) -> bool:
        """Whether the gap before this window start is still there once resolved to instants."""
        assert self.week is not None
        _, gap_low, _, _, _ = self.week.at(window_start - 1)
        return self.zone.resolve(gap_low) < self.zone.resolve(window_start)

    def _gap_after(self, window_end: int) -> bool:
        assert self.week is not None
        _, _, gap_high, _, _ = self.week.at(window_end)
        return self.zone.resolve(window_end) < self.zone.resolve(gap_high)

    def turns(self, low: int, high: int) -> Iterator[WallPiece]:
        """The rotation's turns of active users meeting [low, high), before restrictions."""
        low = max(low, self.start)
        if low >= high or not self.users:
            return
        if self.single is not None:
            if self.is_active(0):
                yield low, high, self.single
            return
        turn = (low - self.start) // self.length
        begin = self.start + turn * self.length
        count = len(self.users)
        while begin < high:
            index = turn % count
            if self.is_active(index):
                yield max(begin, low), min(begin + self.length, high), self.users[index]
            turn += 1
            begin += self.length

    def intervals(self, low: int, high: int) -> list[WallPiece]:
        """Wall intervals with their user over [low, high): turns cut to the restriction windows."""
        turns = list(self.turns(low, high))
        if self.week is None:
            return turns
        windows = self.week.windows(low, high)
        out: list[WallPiece] = []
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
