"""Alert rules: severities, deduplication and grouping. Pure: no I/O, no framework imports."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Generic, Protocol, TypeVar

from app.alerts.enums import AlertSeverity, AlertStatus, AttachReason, SignalAction
from app.alerts.signals import Signal
from app.incidents.enums import Severity

DEFAULT_DECLARE: Mapping[AlertSeverity, Severity | None] = {
    AlertSeverity.CRITICAL: Severity.SEV2,
    AlertSeverity.ERROR: Severity.SEV3,
    AlertSeverity.WARNING: None,
    AlertSeverity.INFO: None,
}
DEFAULT_GROUPING_WINDOW_MINUTES = 30
MAX_GROUPING_WINDOW_MINUTES = 7 * 24 * 60
SUMMARY_MAX = 1024
DEDUP_KEY_MAX = 255

_RANK = {severity: rank for rank, severity in enumerate(AlertSeverity)}  # CRITICAL first

# Severity words senders use (Alertmanager/Grafana `severity` labels, syslog and P-levels).
_SEVERITY_WORDS: dict[str, AlertSeverity] = {
    **dict.fromkeys(
        ("critical", "crit", "page", "fatal", "emergency", "emerg", "alert", "disaster", "high", "p1", "sev1"),
        AlertSeverity.CRITICAL,
    ),
    **dict.fromkeys(("error", "err", "major", "p2", "sev2"), AlertSeverity.ERROR),
    **dict.fromkeys(("warning", "warn", "minor", "medium", "average", "p3", "sev3"), AlertSeverity.WARNING),
    **dict.fromkeys(
        ("info", "informational", "information", "notice", "low", "none", "ok", "p4", "p5", "sev4"), AlertSeverity.INFO
    ),
}


@dataclass(frozen=True)
class Rules:
    """A service's alert rules (the defaults until an admin changes them)."""

    declare: Mapping[AlertSeverity, Severity | None] = field(default_factory=lambda: dict(DEFAULT_DECLARE))
    grouping_window_minutes: int = DEFAULT_GROUPING_WINDOW_MINUTES

    @property
    def grouping_window(self) -> timedelta:
        return timedelta(minutes=self.grouping_window_minutes)

    def incident_severity(self, severity: AlertSeverity) -> Severity | None:
        return self.declare.get(severity)


def severity_from_word(word: str | None, default: AlertSeverity = AlertSeverity.ERROR) -> AlertSeverity:
    """The severity a sender's word means; `default` when it says none we know (Alertmanager's
    own PagerDuty notifier defaults to `error`)."""
    if not word:
        return default
    return _SEVERITY_WORDS.get(word.strip().lower(), default)


def rank(severity: AlertSeverity) -> int:
    """0 for the worst severity."""
    return _RANK[severity]


def worst(severities: Sequence[AlertSeverity]) -> AlertSeverity:
    return min(severities, key=_RANK.__getitem__)


def worst_incident_severity(severities: Sequence[Severity]) -> Severity:
    return min(severities, key=lambda s: s.value)  # SEV1 < SEV2 < …


def label_fingerprint(labels: Mapping[str, str]) -> str:
    """A stable key for a label set, for senders that send no fingerprint of their own."""
    canonical = "\xff".join(f"{name}\xfe{labels[name]}" for name in sorted(labels))
    return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()[:16]


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]+")


def clean_line(text: str, max_length: int = SUMMARY_MAX) -> str:
    """One line of a sender's text: control characters become spaces, bounded (with an ellipsis)."""
    line = " ".join(_CONTROL.sub(" ", text).split())
    return line if len(line) <= max_length else line[: max_length - 1] + "…"


def safe_links(links: Sequence[Mapping[str, Any]]) -> list[dict[str, str]]:
    """Links with an http(s) href (others could run script where they are shown), deduplicated."""
    kept: dict[str, dict[str, str]] = {}
    for link in links:
        href = str(link.get("href") or "").strip()
        if href.lower().startswith(("http://", "https://")) and href not in kept and len(href) <= 2048:
            kept[href] = {"href": href, "text": clean_line(str(link.get("text") or ""), 200)}
    return list(kept.values())


def collapse(signals: Sequence[Signal]) -> list[Signal]:
    """One signal per dedup key (the last one wins), in order of first appearance."""
    return list({signal.dedup_key: signal for signal in signals}.values())


class AlertLike(Protocol):
    status: AlertStatus
    summary: str
    severity: AlertSeverity
    details: dict[str, Any]
    labels: dict[str, str]
    annotations: dict[str, str]
    links: list[dict[str, str]]


A = TypeVar("A", bound=AlertLike)


@dataclass
class Plan(Generic[A]):
    """What a delivery does to the integration's open alerts."""

    new: list[Signal] = field(default_factory=list)
    repeated: list[tuple[A, Signal]] = field(default_factory=list)  # same content
    changed: list[tuple[A, Signal]] = field(default_factory=list)  # content changed
    acknowledged: list[tuple[A, Signal]] = field(default_factory=list)
    resolved: list[tuple[A, Signal]] = field(default_factory=list)
    ignored: list[Signal] = field(default_factory=list)


def same_content(alert: AlertLike, signal: Signal) -> bool:
    return (
        alert.summary == signal.summary
        and alert.severity == signal.severity
        and alert.labels == signal.labels
        and alert.annotations == signal.annotations
        and alert.details == signal.details
        and alert.links == signal.links
    )


def plan(signals: Sequence[Signal], open_alerts: Mapping[str, A]) -> Plan[A]:
    """Deduplicate: a trigger for an open alert repeats it, for no open alert opens one; an
    acknowledge or resolve for no open alert is accepted and ignored (Events API v2 rules)."""
    result: Plan[A] = Plan()
    for signal in collapse(signals):
        alert = open_alerts.get(signal.dedup_key)
        if signal.action is SignalAction.TRIGGER:
            if alert is None:
                result.new.append(signal)
            elif same_content(alert, signal):
                result.repeated.append((alert, signal))
            else:
                result.changed.append((alert, signal))
        elif alert is None:
            result.ignored.append(signal)
        elif signal.action is SignalAction.RESOLVE:
            result.resolved.append((alert, signal))
        elif alert.status is AlertStatus.FIRING:
            result.acknowledged.append((alert, signal))
        else:
            result.ignored.append(signal)  # acknowledged already
    return result


@dataclass(frozen=True)
class GroupTarget:
    """An open incident of the service with an alert attached at `last_attached_at`."""

    incident_id: int
    reference: str
    last_attached_at: datetime


@dataclass(frozen=True)
class Routing:
    """Where a delivery's new alerts go: into `target`, into a newly declared incident of
    `declare` severity, or nowhere (None for both)."""

    target: GroupTarget | None = None
    declare: Severity | None = None


def route(severities: Sequence[AlertSeverity], rules: Rules, target: GroupTarget | None) -> Routing:
    """New alerts join an open incident that took an alert within the grouping window; else
    the worst incident severity their rules ask for declares one; else they stay on their own."""
    if not severities:
        return Routing()
    if target is not None and rules.grouping_window_minutes > 0:
        return Routing(target=target)
    wanted = [s for s in (rules.incident_severity(a) for a in severities) if s is not None]
    if wanted:
        return Routing(declare=worst_incident_severity(wanted))
    return Routing()


@dataclass(frozen=True)
class Attachment:
    """Why one alert joined an incident, as the timeline records it."""

    reason: AttachReason
    message: str
    data: dict[str, Any]


def attachment(
    signal: Signal, routing: Routing, rules: Rules, service_name: str, reference: str, now: datetime
) -> Attachment:
    """The reason an ingested alert joined incident `reference` under `routing`."""
    severity = signal.severity.value
    if routing.target is not None:
        ago = max(int((now - routing.target.last_attached_at).total_seconds() // 60), 0)
        window = rules.grouping_window_minutes
        return Attachment(
            AttachReason.GROUPED,
            f"Grouped into {reference}: {service_name} had an alert attached {ago} min ago, "
            f"within its {window} min grouping window",
            {"window": {"minutes": window, "lastAttachedAt": routing.target.last_attached_at.isoformat()}},
        )
    declared = rules.incident_severity(signal.severity)
    if declared is not None:
        return Attachment(
            AttachReason.DECLARED,
            f"Declared {reference}: on {service_name}, {severity} alerts declare a {declared.value} incident",
            {"rule": {"alertSeverity": severity, "incidentSeverity": declared.value}},
        )
    return Attachment(
        AttachReason.GROUPED,
        f"Grouped into {reference}: delivered together with the alert that declared it",
        {"window": {"minutes": rules.grouping_window_minutes, "sameDelivery": True}},
    )
