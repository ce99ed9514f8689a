"""The pure rules: the status table over every pair, publish rules, action item moves, content
checks, and key times and durations from known timestamps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import product
from types import SimpleNamespace

import pytest

from app.errors import DomainError
from app.postmortems import content, lifecycle, metrics
from app.postmortems.enums import ActionItemStatus as A
from app.postmortems.enums import FactorCategory, SectionKind
from app.postmortems.enums import PostmortemStatus as P
from app.postmortems.lifecycle import Step

EXPECTED = {
    (P.DRAFT, Step.SUBMIT): P.IN_REVIEW,
    (P.IN_REVIEW, Step.RETURN): P.DRAFT,
    (P.IN_REVIEW, Step.PUBLISH): P.PUBLISHED,
    (P.PUBLISHED, Step.REOPEN): P.DRAFT,
}


@pytest.mark.parametrize(("current", "step"), list(product(P, Step)))
def test_status_table(current: P, step: Step) -> None:
    planned = lifecycle.plan(current, step)
    if (current, step) in EXPECTED:
        assert planned is EXPECTED[(current, step)]
    else:
        assert isinstance(planned, lifecycle.Refused)
        assert current.value in planned.message and step.value in planned.message


def test_allowed_targets_and_editable() -> None:
    assert lifecycle.allowed_targets(P.DRAFT) == [P.IN_REVIEW]
    assert lifecycle.allowed_targets(P.IN_REVIEW) == [P.DRAFT, P.PUBLISHED]
    assert lifecycle.allowed_targets(P.PUBLISHED) == [P.DRAFT]
    assert {P.DRAFT, P.IN_REVIEW} == lifecycle.EDITABLE


def test_only_current_approvals_by_non_authors_count() -> None:
    approvals = [
        lifecycle.Approval(1, 3),
        lifecycle.Approval(2, 2),
        lifecycle.Approval(3, 3),
        lifecycle.Approval(4, None),
    ]
    assert lifecycle.counting_approvals(approvals, author_ids=[3], content_version=3) == [1]
    assert lifecycle.counting_approvals(approvals, author_ids=[1, 3], content_version=3) == []


def test_publish_blockers() -> None:
    ready = lifecycle.publish_blockers(status=P.IN_REVIEW, approvers=[7], action_items=1, no_action_items_reason="")
    assert ready == []
    assert (
        lifecycle.publish_blockers(
            status=P.IN_REVIEW, approvers=[7], action_items=0, no_action_items_reason="Vendor bug"
        )
        == []
    )
    blocked = lifecycle.publish_blockers(
        status=P.DRAFT, approvers=[], action_items=0, no_action_items_reason="  ", incident_open=True
    )
    assert [b.field for b in blocked] == ["postmortemId", "postmortemId", "postmortemId", "noActionItemsReason"]


@pytest.mark.parametrize(("current", "target"), list(product(A, A)))
def test_action_item_moves(current: A, target: A) -> None:
    allowed = {
        (A.OPEN, A.IN_PROGRESS),
        (A.OPEN, A.DONE),
        (A.OPEN, A.WONT_DO),
        (A.IN_PROGRESS, A.OPEN),
        (A.IN_PROGRESS, A.DONE),
        (A.IN_PROGRESS, A.WONT_DO),
        (A.DONE, A.OPEN),
        (A.WONT_DO, A.OPEN),
    }
    refusal = lifecycle.action_item_refusal(current, target)
    assert (refusal is None) == ((current, target) in allowed)


def test_default_template_has_the_issue_sections() -> None:
    titles = [s["title"] for s in content.DEFAULT_SECTIONS]
    assert titles == [
        "Summary",
        "Customer impact",
        "Detection",
        "Response",
        "Recovery",
        "Root cause analysis",
        "Contributing factors",
        "What went well",
        "What went wrong",
        "Where we got lucky",
        "Lessons learned",
    ]
    assert content.check_template_sections(
        [
            content.TemplateSection(s["key"], s["title"], SectionKind(s["kind"]), s["guidance"])
            for s in content.DEFAULT_SECTIONS
        ]
    )


def test_content_checks() -> None:
    assert content.check_whys([content.Why(" Why? ", " Because ")]) == [{"question": "Why?", "answer": "Because"}]
    with pytest.raises(DomainError):
        content.check_whys([content.Why("q", "a")] * 11)
    assert content.check_factors([content.Factor(FactorCategory.EXTERNAL, "Cloud region outage")]) == [
        {"category": "EXTERNAL", "description": "Cloud region outage"}
    ]
    with pytest.raises(DomainError):
        content.check_factors([content.Factor(FactorCategory.PROCESS, "")])


T0 = datetime(2026, 3, 1, 14, 2, tzinfo=UTC)


def test_key_times_and_durations_from_known_timestamps() -> None:
    incident = SimpleNamespace(
        declared_at=T0,
        acknowledged_at=T0 + timedelta(minutes=4, seconds=30),
        identified_at=T0 + timedelta(minutes=20),
        mitigated_at=T0 + timedelta(hours=1, minutes=3),
        resolved_at=T0 + timedelta(hours=2, minutes=10),
        closed_at=None,
    )
    times = metrics.key_times(incident)
    assert times.detected_at == T0
    assert times.time_to_acknowledge == timedelta(minutes=4, seconds=30)
    assert times.time_to_identify == timedelta(minutes=20)
    assert times.time_to_mitigate == timedelta(hours=1, minutes=3)
    assert times.time_to_resolve == times.duration == timedelta(hours=2, minutes=10)
    unresolved = metrics.key_times(SimpleNamespace(**{**vars(incident), "resolved_at": None, "mitigated_at": None}))
    assert unresolved.duration is None and unresolved.time_to_mitigate is None


@pytest.mark.parametrize(
    ("delta", "text"),
    [
        (timedelta(seconds=45), "45 s"),
        (timedelta(minutes=12, seconds=59), "12 min"),
        (timedelta(hours=1), "1 h"),
        (timedelta(hours=1, minutes=5), "1 h 5 min"),
        (timedelta(days=2, hours=3, minutes=7), "2 d 3 h"),
        (timedelta(days=3), "3 d"),
    ],
)
def test_humanize(delta: timedelta, text: str) -> None:
    assert metrics.humanize(delta) == text
