"""What a delivery asks for, in the sender's terms but the domain's vocabulary. Pure data."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from app.alerts.enums import AlertSeverity, SignalAction


@dataclass(frozen=True, slots=True)
class Signal:
    """One entry of a delivery: trigger, acknowledge or resolve the alert with `dedup_key`."""

    action: SignalAction
    dedup_key: str
    severity: AlertSeverity = AlertSeverity.ERROR
    summary: str = ""
    details: dict[str, Any] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)
    links: list[dict[str, str]] = field(default_factory=list)
    started_at: datetime | None = None  # the sender's start of this firing episode, if it says


@dataclass(frozen=True, slots=True)
class Delivery:
    """Everything one request carried. `title` names the group (a title for an incident
    declared from it); `note` is context for that incident's summary."""

    signals: list[Signal]
    title: str | None = None
    note: str = ""
