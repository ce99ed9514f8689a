"""What a schedule change would do (`previewScheduleChange`): the shifts of the schedule as it is
and as it would be over one window, compared interval by interval. Pure, nothing is saved.

An interval is *added* where someone would be on call and nobody is now, *removed* where someone
is on call now and nobody would be, and *changed* where both have someone but another user, or
the same user for another reason (another layer, an override). Neighbouring intervals with the
same pair of shifts are one change.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from app.oncall.calculator import Calculator
from app.oncall.schedule import Schedule, Shift, UserId


class ChangeKind(str, Enum):
    ADDED = "ADDED"
    REMOVED = "REMOVED"
    CHANGED = "CHANGED"


@dataclass(frozen=True, slots=True)
class ShiftChange:
    kind: ChangeKind
    start: datetime
    end: datetime
    before: Shift | None  # the shift holding [start, end) now
    after: Shift | None  # the shift that would hold it

    @property
    def user_changed(self) -> bool:
        return (self.before and self.before.user) != (self.after and self.after.user)


@dataclass(frozen=True, slots=True)
class ScheduleDiff:
    added: tuple[ShiftChange, ...]
    removed: tuple[ShiftChange, ...]
    changed: tuple[ShiftChange, ...]

    @property
    def unchanged(self) -> bool:
        return not (self.added or self.removed or self.changed)


def _same(a: Shift | None, b: Shift | None) -> bool:
    if a is None or b is None:
        return a is b
    return (a.user, a.source, a.layer, a.override) == (b.user, b.source, b.layer, b.override)


def _holder(shifts: Sequence[Shift], index: int, at: datetime) -> tuple[Shift | None, int]:
    """The shift of a sorted list holding `at`, walking forward from `index`."""
    while index < len(shifts) and shifts[index].end <= at:
        index += 1
    if index < len(shifts) and shifts[index].start <= at:
        return shifts[index], index
    return None, index


def diff_shifts(before: Sequence[Shift], after: Sequence[Shift]) -> ScheduleDiff:
    """Compare two sorted, non-overlapping lists of shifts (as `shifts` returns them)."""
    edges = sorted({s.start for s in (*before, *after)} | {s.end for s in (*before, *after)})
    changes: list[ShiftChange] = []
    i = j = 0
    for start, end in zip(edges, edges[1:], strict=False):
        old, i = _holder(before, i, start)
        new, j = _holder(after, j, start)
        if _same(old, new):
            continue
        kind = ChangeKind.ADDED if old is None else ChangeKind.REMOVED if new is None else ChangeKind.CHANGED
        last = changes[-1] if changes else None
        if last is not None and last.end == start and last.before == old and last.after == new:
            changes[-1] = ShiftChange(kind, last.start, end, old, new)
        else:
            changes.append(ShiftChange(kind, start, end, old, new))
    return ScheduleDiff(
        tuple(c for c in changes if c.kind is ChangeKind.ADDED),
        tuple(c for c in changes if c.kind is ChangeKind.REMOVED),
        tuple(c for c in changes if c.kind is ChangeKind.CHANGED),
    )


def preview_change(
    before: Schedule,
    after: Schedule,
    start: datetime,
    end: datetime,
    inactive_users: Collection[UserId] = frozenset(),
) -> ScheduleDiff:
    """The shift diff over [start, end) if `before` became `after`."""
    return diff_shifts(
        Calculator(before, inactive_users).shifts(start, end),
        Calculator(after, inactive_users).shifts(start, end),
    )
