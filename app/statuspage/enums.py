"""Status page vocabularies shared by the rules, the service, the queries and the transports."""

from __future__ import annotations

from enum import Enum


class ComponentStatus(str, Enum):
    OPERATIONAL = "OPERATIONAL"
    DEGRADED_PERFORMANCE = "DEGRADED_PERFORMANCE"
    PARTIAL_OUTAGE = "PARTIAL_OUTAGE"
    MAJOR_OUTAGE = "MAJOR_OUTAGE"
    UNDER_MAINTENANCE = "UNDER_MAINTENANCE"


class Audience(str, Enum):
    INTERNAL = "INTERNAL"
    PUBLIC = "PUBLIC"


class PublicStatus(str, Enum):
    INVESTIGATING = "INVESTIGATING"
    IDENTIFIED = "IDENTIFIED"
    MONITORING = "MONITORING"
    RESOLVED = "RESOLVED"
    POSTMORTEM = "POSTMORTEM"


UNRESOLVED_STATUSES = frozenset({PublicStatus.INVESTIGATING, PublicStatus.IDENTIFIED, PublicStatus.MONITORING})


class Impact(str, Enum):
    NONE = "NONE"
    MINOR = "MINOR"
    MAJOR = "MAJOR"
    CRITICAL = "CRITICAL"


class Indicator(str, Enum):
    """The page's overall state, on the same four levels as an incident's impact."""

    NONE = "NONE"
    MINOR = "MINOR"
    MAJOR = "MAJOR"
    CRITICAL = "CRITICAL"


class MaintenanceStatus(str, Enum):
    SCHEDULED = "SCHEDULED"
    IN_PROGRESS = "IN_PROGRESS"
    VERIFYING = "VERIFYING"
    COMPLETED = "COMPLETED"
    CANCELLED = "CANCELLED"


ACTIVE_MAINTENANCE = frozenset({MaintenanceStatus.IN_PROGRESS, MaintenanceStatus.VERIFYING})
