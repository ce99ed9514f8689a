"""The pure alert rules: severities, fingerprints, text, deduplication plans and routing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from app.alerts import rules
from app.alerts.enums import AlertSeverity as A
from app.alerts.enums import AlertStatus, AttachReason, SignalAction
from app.alerts.signals import Signal
from app.incidents.enums import Severity

NOW = datetime(2026, 1, 31, 12, 0, tzinfo=UTC)


def trigger(key: str, severity: A = A.CRITICAL, summary: str = "s") -> Signal:
    return Signal(SignalAction.TRIGGER, key, severity=severity, summary=summary)


def stored(status: AlertStatus = AlertStatus.FIRING, summary: str = "s", severity: A = A.CRITICAL) -> SimpleNamespace:
    return SimpleNamespace(
        status=status, summary=summary, severity=severity, details={}, labels={}, annotations={}, links=[]
    )


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("critical", A.CRITICAL),
        ("PAGE", A.CRITICAL),
        (" High ", A.CRITICAL),
        ("error", A.ERROR),
        ("major", A.ERROR),
        ("warning", A.WARNING),
        ("warn", A.WARNING),
        ("info", A.INFO),
        ("none", A.INFO),
        (None, A.ERROR),
        ("", A.ERROR),
        ("bogus", A.ERROR),
    ],
)
def test_severity_words(word: str | None, expected: A) -> None:
    assert rules.severity_from_word(word) is expected


def test_default_rules_declare_critical_and_error_only() -> None:
    defaults = rules.Rules()
    assert [defaults.incident_severity(s) for s in A] == [Severity.SEV2, Severity.SEV3, None, None]
    assert defaults.grouping_window == timedelta(minutes=30)


def test_fingerprint_is_stable_and_order_free() -> None:
    a = rules.label_fingerprint({"alertname": "X", "instance": "a", "zone": "€"})
    b = rules.label_fingerprint({"zone": "€", "instance": "a", "alertname": "X"})
    assert a == b and len(a) == 16
    assert a != rules.label_fingerprint({"alertname": "X", "instance": "b", "zone": "€"})
    # label boundaries count: {"a": "bc"} is not {"ab": "c"}
    assert rules.label_fingerprint({"a": "bc"}) != rules.label_fingerprint({"ab": "c"})


def test_clean_line_bounds_and_strips_controls() -> None:
    assert rules.clean_line("  disk\tfull\n on\x00 db-1 ") == "disk full on db-1"
    long = rules.clean_line("ü" * 2000)
    assert len(long) == rules.SUMMARY_MAX and long.endswith("…")


def test_safe_links_keep_http_only_once() -> None:
    links = rules.safe_links(
        [
            {"href": "javascript:alert(1)", "text": "x"},
            {"href": "https://a.example/", "text": "A\nB"},
            {"href": "https://a.example/", "text": "again"},
            {"href": "", "text": "empty"},
            {"href": "HTTP://b.example/x"},
        ]
    )
    assert links == [{"href": "https://a.example/", "text": "A B"}, {"href": "HTTP://b.example/x", "text": ""}]


def test_collapse_keeps_the_last_signal_in_first_order() -> None:
    signals = [trigger("a", summary="1"), trigger("b"), Signal(SignalAction.RESOLVE, "a")]
    collapsed = rules.collapse(signals)
    assert [(s.dedup_key, s.action) for s in collapsed] == [("a", SignalAction.RESOLVE), ("b", SignalAction.TRIGGER)]


def test_plan_follows_events_v2_semantics() -> None:
    open_alerts = {
        "same": stored(),
        "changed": stored(summary="old"),
        "ack-me": stored(),
        "acked": stored(AlertStatus.ACKNOWLEDGED),
        "resolve-me": stored(AlertStatus.ACKNOWLEDGED),
    }
    plan = rules.plan(
        [
            trigger("same"),
            trigger("changed", summary="new"),
            trigger("fresh"),
            Signal(SignalAction.ACKNOWLEDGE, "ack-me"),
            Signal(SignalAction.ACKNOWLEDGE, "acked"),
            Signal(SignalAction.RESOLVE, "resolve-me"),
            Signal(SignalAction.RESOLVE, "unknown"),
            Signal(SignalAction.ACKNOWLEDGE, "unknown-too"),
        ],
        open_alerts,
    )
    assert [s.dedup_key for s in plan.new] == ["fresh"]
    assert [a for a, _ in plan.repeated] == [open_alerts["same"]]
    assert [a for a, _ in plan.changed] == [open_alerts["changed"]]
    assert [a for a, _ in plan.acknowledged] == [open_alerts["ack-me"]]
    assert [a for a, _ in plan.resolved] == [open_alerts["resolve-me"]]
    assert [s.dedup_key for s in plan.ignored] == ["acked", "unknown", "unknown-too"]


def test_route_groups_within_the_window_else_declares_the_worst() -> None:
    defaults = rules.Rules()
    target = rules.GroupTarget(7, "INC-7", NOW - timedelta(minutes=3))
    assert rules.route([A.WARNING], defaults, target) == rules.Routing(target=target)
    assert rules.route([A.WARNING, A.ERROR, A.CRITICAL], defaults, None) == rules.Routing(declare=Severity.SEV2)
    assert rules.route([A.ERROR], defaults, None) == rules.Routing(declare=Severity.SEV3)
    assert rules.route([A.WARNING, A.INFO], defaults, None) == rules.Routing()
    assert rules.route([], defaults, target) == rules.Routing()
    no_grouping = rules.Rules(grouping_window_minutes=0)
    assert rules.route([A.CRITICAL], no_grouping, target) == rules.Routing(declare=Severity.SEV2)
    custom = rules.Rules(declare={A.CRITICAL: Severity.SEV1, A.ERROR: None, A.WARNING: Severity.SEV4, A.INFO: None})
    assert rules.route([A.ERROR], custom, None) == rules.Routing()
    assert rules.route([A.WARNING, A.CRITICAL], custom, None) == rules.Routing(declare=Severity.SEV1)


def test_attachment_reasons_name_the_rule_or_the_window() -> None:
    defaults = rules.Rules()
    declared = rules.attachment(trigger("a"), rules.Routing(declare=Severity.SEV2), defaults, "checkout", "INC-3", NOW)
    assert declared.reason is AttachReason.DECLARED
    assert declared.data == {"rule": {"alertSeverity": "CRITICAL", "incidentSeverity": "SEV2"}}
    assert "CRITICAL alerts declare a SEV2 incident" in declared.message and "checkout" in declared.message
    tagalong = rules.attachment(
        trigger("b", A.WARNING), rules.Routing(declare=Severity.SEV2), defaults, "checkout", "INC-3", NOW
    )
    assert tagalong.reason is AttachReason.GROUPED and tagalong.data["window"]["sameDelivery"] is True
    target = rules.GroupTarget(3, "INC-3", NOW - timedelta(minutes=4, seconds=10))
    grouped = rules.attachment(trigger("c"), rules.Routing(target=target), defaults, "checkout", "INC-3", NOW)
    assert grouped.reason is AttachReason.GROUPED
    assert grouped.data == {"window": {"minutes": 30, "lastAttachedAt": target.last_attached_at.isoformat()}}
    assert "4 min ago" in grouped.message and "30 min grouping window" in grouped.message
