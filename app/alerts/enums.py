"""Alert vocabularies shared by the rules, the service and the transports."""

from __future__ import annotations

from enum import Enum


class IntegrationKind(str, Enum):
    ALERTMANAGER = "ALERTMANAGER"
    GRAFANA = "GRAFANA"
    EVENTS_V2 = "EVENTS_V2"
    GENERIC = "GENERIC"


class AlertSource(str, Enum):
    """Where an alert came from: an integration of some kind, or a person's report."""

    ALERTMANAGER = "ALERTMANAGER"
    GRAFANA = "GRAFANA"
    EVENTS_V2 = "EVENTS_V2"
    GENERIC = "GENERIC"
    PERSON = "PERSON"


class AlertStatus(str, Enum):
    FIRING = "FIRING"
    ACKNOWLEDGED = "ACKNOWLEDGED"
    RESOLVED = "RESOLVED"


OPEN_ALERT_STATUSES: tuple[AlertStatus, ...] = (AlertStatus.FIRING, AlertStatus.ACKNOWLEDGED)


class AlertSeverity(str, Enum):
    """The Events API v2 severities, worst first."""

    CRITICAL = "CRITICAL"
    ERROR = "ERROR"
    WARNING = "WARNING"
    INFO = "INFO"


class SignalAction(str, Enum):
    """What one entry of a delivery asks for (Events API v2 `event_action`)."""

    TRIGGER = "trigger"
    ACKNOWLEDGE = "acknowledge"
    RESOLVE = "resolve"


class AttachReason(str, Enum):
    """Why an alert joined an incident (recorded on the ALERT_ATTACHED timeline event)."""

    DECLARED = "DECLARED"  # a severity rule declared the incident for it
    GROUPED = "GROUPED"  # the service's grouping window put it into an open incident
    MANUAL = "MANUAL"  # a person attached it
