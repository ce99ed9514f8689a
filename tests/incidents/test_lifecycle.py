"""The lifecycle table, checked over every (from, to) pair."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import product

import pytest

from app.incidents.enums import IncidentStatus
from app.incidents.lifecycle import (
    TRANSITIONS,
    TransitionRefused,
    allowed_targets,
    plan_transition,
)

S = IncidentStatus
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
OPEN = [S.TRIAGE, S.INVESTIGATING, S.IDENTIFIED, S.MONITORING]


def expected_allowed(current: IncidentStatus, target: IncidentStatus) -> bool:
    """The rules as the issue states them, written independently of the table."""
    if current in OPEN and target in OPEN:
        return OPEN.index(target) > OPEN.index(current)  # skipping forward only
    if current in OPEN and target in (S.RESOLVED, S.MERGED):
        return True
    if current is S.TRIAGE and target is S.DECLINED:
        return True
    if current is S.RESOLVED and target in (S.POSTMORTEM, S.CLOSED, S.INVESTIGATING):
        return True
    if current is S.POSTMORTEM and target is S.CLOSED:
        return True
    return False


@pytest.mark.parametrize(("current", "target"), list(product(S, S)), ids=lambda s: s.value)
def test_every_pair(current: IncidentStatus, target: IncidentStatus) -> None:
    result = plan_transition(current, target, {}, NOW)
    if expected_allowed(current, target):
        assert not isinstance(result, TransitionRefused)
    else:
        assert isinstance(result, TransitionRefused)
        assert result.allowed == allowed_targets(current)
        assert current.value in result.message and target.value in result.message
        for allowed in result.allowed:
            assert allowed.value in result.message


def test_table_covers_every_status() -> None:
    assert set(TRANSITIONS) == set(S)
    for status in (S.CLOSED, S.DECLINED, S.MERGED):
        assert allowed_targets(status) == []
        assert "terminal" in plan_transition(status, S.TRIAGE, {}, NOW).message  # type: ignore[union-attr]


def test_first_entry_into_monitoring_sets_mitigated_once() -> None:
    stamps = {"acknowledged_at": NOW - timedelta(hours=1), "identified_at": NOW - timedelta(minutes=30)}
    changes = plan_transition(S.IDENTIFIED, S.MONITORING, stamps, NOW)
    assert changes == {"mitigated_at": NOW}


def test_skipping_forward_stamps_the_passed_milestones() -> None:
    changes = plan_transition(S.TRIAGE, S.RESOLVED, {}, NOW)
    assert changes == {"acknowledged_at": NOW, "identified_at": NOW, "mitigated_at": NOW, "resolved_at": NOW}


def test_existing_stamps_are_kept() -> None:
    earlier = NOW - timedelta(days=1)
    changes = plan_transition(S.INVESTIGATING, S.MONITORING, {"acknowledged_at": earlier}, NOW)
    assert "acknowledged_at" not in changes
    assert changes == {"identified_at": NOW, "mitigated_at": NOW}


def test_reopen_clears_resolved_at() -> None:
    assert plan_transition(S.RESOLVED, S.INVESTIGATING, {"resolved_at": NOW}, NOW) == {"resolved_at": None}


@pytest.mark.parametrize("target", [S.CLOSED, S.DECLINED])
def test_terminal_moves_set_closed_at(target: IncidentStatus) -> None:
    current = S.TRIAGE if target is S.DECLINED else S.RESOLVED
    changes = plan_transition(current, target, {}, NOW)
    assert isinstance(changes, dict) and changes["closed_at"] == NOW
    assert "resolved_at" not in changes


def test_postmortem_keeps_timestamps() -> None:
    stamps = {name: NOW for name in ("acknowledged_at", "identified_at", "mitigated_at", "resolved_at")}
    assert plan_transition(S.RESOLVED, S.POSTMORTEM, stamps, NOW) == {}
