"""Uptime from status history. Pure functions, no I/O.

The rule (documented in the README): a component's time is split by its effective status —
the stored status with maintenance windows laid over it (see `rules.effective_status`).
  - MAJOR_OUTAGE time is downtime;
  - DEGRADED_PERFORMANCE and PARTIAL_OUTAGE time is degraded time: it is reported, shown on
    the bars, and does NOT count as downtime;
  - UNDER_MAINTENANCE time is planned and does not count as downtime either.
uptime = (observed - downtime) / observed, where observed is the time the component existed
within the period (so a component created yesterday is judged on yesterday and today only).
Days are calendar days in the page's time zone; a day with no observed time has no uptime.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any

from app.statuspage.enums import ComponentStatus
from app.statuspage.rules import STATUS_RANK, effective_status

_DEGRADED = (ComponentStatus.DEGRADED_PERFORMANCE, ComponentStatus.PARTIAL_OUTAGE)


@dataclass(frozen=True)
class Interval:
    start: datetime
    end: datetime
    status: ComponentStatus


def effective_intervals(
    start: datetime,
    initial: ComponentStatus,
    changes: Sequence[tuple[datetime, ComponentStatus]],
    windows: Sequence[tuple[datetime, datetime]],
    end: datetime,
) -> list[Interval]:
    """Effective status over [start, end): `initial` until the first stored change (time, new
    status), each change from its time on, with the maintenance windows laid over."""
    if end <= start:
        return []
    ordered = sorted(changes, key=lambda c: c[0])
    times = [c[0] for c in ordered]
    cuts = {start, end}
    cuts.update(t for t in times if start < t < end)
    for w_start, w_end in windows:
        cuts.update(t for t in (w_start, w_end) if start < t < end)
    points = sorted(cuts)
    intervals: list[Interval] = []
    for a, b in zip(points, points[1:], strict=False):
        index = bisect.bisect_right(times, a) - 1
        stored = ordered[index][1] if index >= 0 else initial
        in_window = any(w_start <= a < w_end for w_start, w_end in windows)
        status = effective_status(stored, in_window)
        if intervals and intervals[-1].status is status and intervals[-1].end == a:
            intervals[-1] = Interval(intervals[-1].start, b, status)
        else:
            intervals.append(Interval(a, b, status))
    return intervals


@dataclass(frozen=True)
class UptimeDay:
    day: date
    observed: float  # seconds
    downtime: float
    degraded: float
    maintenance: float
    worst: ComponentStatus | None  # None: no observed time

    @property
    def uptime(self) -> float | None:
        """Fraction of the observed time that was not downtime; None without observed time."""
        if self.observed <= 0:
            return None
        return (self.observed - self.downtime) / self.observed


def day_bounds(day: date, tz: tzinfo) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(0), tz)
    return start, datetime.combine(day + timedelta(days=1), time(0), tz)


def days_ending(today: date, count: int) -> list[date]:
    return [today - timedelta(days=offset) for offset in range(count - 1, -1, -1)]


def daily(intervals: Sequence[Interval], days: Sequence[date], tz: tzinfo) -> list[UptimeDay]:
    """One UptimeDay per requested calendar day (in `tz`)."""
    result = []
    for day in days:
        day_start, day_end = day_bounds(day, tz)
        totals = dict.fromkeys(ComponentStatus, 0.0)
        for interval in intervals:
            overlap = (min(interval.end, day_end) - max(interval.start, day_start)).total_seconds()
            if overlap > 0:
                totals[interval.status] += overlap
        observed = sum(totals.values())
        seen = [s for s, seconds in totals.items() if seconds > 0]
        result.append(
            UptimeDay(
                day=day,
                observed=observed,
                downtime=totals[ComponentStatus.MAJOR_OUTAGE],
                degraded=sum(totals[s] for s in _DEGRADED),
                maintenance=totals[ComponentStatus.UNDER_MAINTENANCE],
                worst=max(seen, key=STATUS_RANK.__getitem__) if seen else None,
            )
        )
    return result


def overall(days: Sequence[UptimeDay]) -> float | None:
    """Uptime over all the days together (weighted by observed time)."""
    observed = sum(d.observed for d in days)
    if observed <= 0:
        return None
    return (observed - sum(d.downtime for d in days)) / observed


@dataclass(frozen=True)
class Cause:
    incident_id: int | None = None
    actor_id: int | None = None
    maintenance_id: int | None = None


@dataclass(frozen=True)
class EffectiveChange:
    at: datetime
    from_status: ComponentStatus | None
    to_status: ComponentStatus
    cause: Cause


def effective_changes(
    changes: Sequence[tuple[datetime, ComponentStatus, Cause]],
    windows: Sequence[tuple[datetime, datetime, int]],
    now: datetime,
) -> list[EffectiveChange]:
    """Every change of the shown status, oldest first: the stored changes (from the first, the
    creation) with the maintenance windows (start, end, maintenance id) laid over them."""
    events: list[tuple[datetime, int, Any]] = [(at, 0, (to, cause)) for at, to, cause in changes]
    for start, end, maintenance_id in windows:
        events += [(t, 1, (kind, maintenance_id)) for t, kind in ((start, +1), (end, -1)) if t <= now]
    events.sort(key=lambda e: (e[0], e[1]))
    stored: ComponentStatus | None = None
    active: dict[int, int] = {}
    shown: ComponentStatus | None = None
    result: list[EffectiveChange] = []
    index = 0
    while index < len(events):
        at, cause = events[index][0], Cause()
        while index < len(events) and events[index][0] == at:
            _, order, payload = events[index]
            if order == 0:
                stored, cause = payload
            else:
                kind, maintenance_id = payload
                active[maintenance_id] = active.get(maintenance_id, 0) + kind
                if cause == Cause():
                    cause = Cause(maintenance_id=maintenance_id)
            index += 1
        if stored is None:
            continue
        now_shown = effective_status(stored, any(count > 0 for count in active.values()))
        if now_shown is not shown:
            result.append(EffectiveChange(at, shown, now_shown, cause))
            shown = now_shown
    return result
