"""Key times and durations of an incident, computed from its lifecycle timestamps (never typed
in). Pure: no I/O, no framework imports."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol


@dataclass(frozen=True)
class KeyTimes:
    """Detection is the declaration; the other times are stamped by the lifecycle (a stage that
    was skipped is stamped when it was passed)."""

    detected_at: datetime
    acknowledged_at: datetime | None
    identified_at: datetime | None
    mitigated_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None = None

    @property
    def time_to_acknowledge(self) -> timedelta | None:
        return _since(self.detected_at, self.acknowledged_at)

    @property
    def time_to_identify(self) -> timedelta | None:
        return _since(self.detected_at, self.identified_at)

    @property
    def time_to_mitigate(self) -> timedelta | None:
        return _since(self.detected_at, self.mitigated_at)

    @property
    def time_to_resolve(self) -> timedelta | None:
        return _since(self.detected_at, self.resolved_at)

    @property
    def duration(self) -> timedelta | None:
        """From detection to resolution; None while unresolved."""
        return self.time_to_resolve


class HasLifecycleTimes(Protocol):
    declared_at: datetime
    acknowledged_at: datetime | None
    identified_at: datetime | None
    mitigated_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None


def key_times(incident: HasLifecycleTimes) -> KeyTimes:
    """Key times of an incident (or anything with its timestamps)."""
    return KeyTimes(
        detected_at=incident.declared_at,
        acknowledged_at=incident.acknowledged_at,
        identified_at=incident.identified_at,
        mitigated_at=incident.mitigated_at,
        resolved_at=incident.resolved_at,
        closed_at=incident.closed_at,
    )


def _since(start: datetime, end: datetime | None) -> timedelta | None:
    if end is None:
        return None
    return max(end - start, timedelta(0))


def humanize(delta: timedelta) -> str:
    """`45 s`, `12 min`, `1 h 5 min`, `2 d 3 h` — the two largest units, rounded down."""
    seconds = int(delta.total_seconds())
    if seconds < 60:
        return f"{seconds} s"
    minutes, _ = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{minutes} min"
