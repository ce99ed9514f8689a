"""Incident vocabularies shared by the rules, the service and the API."""

from __future__ import annotations

from enum import Enum


class Severity(str, Enum):
    SEV1 = "SEV1"
    SEV2 = "SEV2"
    SEV3 = "SEV3"
    SEV4 = "SEV4"


class IncidentRole(str, Enum):
    INCIDENT_COMMANDER = "INCIDENT_COMMANDER"
    TECH_LEAD = "TECH_LEAD"
    COMMUNICATIONS = "COMMUNICATIONS"
    SCRIBE = "SCRIBE"


class TimelineKind(str, Enum):
    DECLARED = "DECLARED"
    STATUS_CHANGED = "STATUS_CHANGED"
    SEVERITY_CHANGED = "SEVERITY_CHANGED"
    ROLE_ASSIGNED = "ROLE_ASSIGNED"
    ROLE_UNASSIGNED = "ROLE_UNASSIGNED"
    NOTE = "NOTE"
    FIELD_CHANGED = "FIELD_CHANGED"
    MERGED = "MERGED"
    INCIDENT_MERGED_IN = "INCIDENT_MERGED_IN"
    STATUS_UPDATE = "STATUS_UPDATE"
