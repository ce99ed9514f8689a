"""The incident lifecycle as an explicit transition table. Pure: no I/O, no framework imports."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from app.incidents.enums import IncidentStatus

S = IncidentStatus

OPEN_STATUSES: tuple[IncidentStatus, ...] = (S.TRIAGE, S.INVESTIGATING, S.IDENTIFIED, S.MONITORING)
TERMINAL_STATUSES: frozenset[IncidentStatus] = frozenset({S.CLOSED, S.DECLINED, S.MERGED})

# Every allowed move, and nothing else. Open statuses may skip forward, never back.
TRANSITIONS: dict[IncidentStatus, frozenset[IncidentStatus]] = {
    S.TRIAGE: frozenset({S.INVESTIGATING, S.IDENTIFIED, S.MONITORING, S.RESOLVED, S.DECLINED, S.MERGED}),
    S.INVESTIGATING: frozenset({S.IDENTIFIED, S.MONITORING, S.RESOLVED, S.MERGED}),
    S.IDENTIFIED: frozenset({S.MONITORING, S.RESOLVED, S.MERGED}),
    S.MONITORING: frozenset({S.RESOLVED, S.MERGED}),
    S.RESOLVED: frozenset({S.POSTMORTEM, S.CLOSED, S.INVESTIGATING}),
    S.POSTMORTEM: frozenset({S.CLOSED}),
    S.CLOSED: frozenset(),
    S.DECLINED: frozenset(),
    S.MERGED: frozenset(),
}

# Entering a status (or passing it by skipping forward) stamps these fields once.
_MILESTONES: tuple[tuple[IncidentStatus, str], ...] = (
    (S.INVESTIGATING, "acknowledged_at"),
    (S.IDENTIFIED, "identified_at"),
    (S.MONITORING, "mitigated_at"),
    (S.RESOLVED, "resolved_at"),
)
_RANK = {status: rank for rank, status in enumerate((*OPEN_STATUSES, S.RESOLVED, S.POSTMORTEM))}


def allowed_targets(current: IncidentStatus) -> list[IncidentStatus]:
    """The statuses reachable from `current`, in lifecycle order."""
    return [status for status in IncidentStatus if status in TRANSITIONS[current]]


def is_open(status: IncidentStatus) -> bool:
    return status in OPEN_STATUSES


@dataclass(frozen=True)
class TransitionRefused:
    current: IncidentStatus
    target: IncidentStatus
    allowed: list[IncidentStatus]

    @property
    def message(self) -> str:
        allowed = ", ".join(s.value for s in self.allowed) or "none (terminal status)"
        return (
            f"Cannot move an incident from {self.current.value} to {self.target.value}; "
            f"allowed from {self.current.value}: {allowed}"
        )


def plan_transition(
    current: IncidentStatus,
    target: IncidentStatus,
    stamps: dict[str, datetime | None],
    now: datetime,
) -> dict[str, datetime | None] | TransitionRefused:
    """Return the timestamp fields a move sets (or clears), or why the move is refused."""
    if target not in TRANSITIONS[current]:
        return TransitionRefused(current, target, allowed_targets(current))
    changes: dict[str, datetime | None] = {}
    if current is S.RESOLVED and target is S.INVESTIGATING:
        changes["resolved_at"] = None  # reopened: it will be resolved again later
        return changes
    if target in TERMINAL_STATUSES:
        changes["closed_at"] = now
        if target is S.CLOSED:
            return changes
    target_rank = _RANK.get(target)
    if target_rank is None:
        return changes
    for milestone, field in _MILESTONES:
        if _RANK[milestone] <= target_rank and stamps.get(field) is None:
            changes[field] = now
    return changes
