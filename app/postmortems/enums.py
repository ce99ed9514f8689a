"""Postmortem and action item vocabularies shared by the rules, the service and the API."""

from __future__ import annotations

from enum import Enum


class PostmortemStatus(str, Enum):
    DRAFT = "DRAFT"
    IN_REVIEW = "IN_REVIEW"
    PUBLISHED = "PUBLISHED"


class SectionKind(str, Enum):
    TEXT = "TEXT"
    FIVE_WHYS = "FIVE_WHYS"
    CONTRIBUTING_FACTORS = "CONTRIBUTING_FACTORS"


class FactorCategory(str, Enum):
    PROCESS = "PROCESS"
    TECHNOLOGY = "TECHNOLOGY"
    PEOPLE_AND_COMMUNICATION = "PEOPLE_AND_COMMUNICATION"
    EXTERNAL = "EXTERNAL"
    MONITORING_AND_ALERTING = "MONITORING_AND_ALERTING"
    TESTING = "TESTING"
    CHANGE_MANAGEMENT = "CHANGE_MANAGEMENT"
    DOCUMENTATION = "DOCUMENTATION"
    CAPACITY = "CAPACITY"
    OTHER = "OTHER"


class ActionItemPriority(str, Enum):
    P1 = "P1"
    P2 = "P2"
    P3 = "P3"
    P4 = "P4"


class ActionItemStatus(str, Enum):
    OPEN = "OPEN"
    IN_PROGRESS = "IN_PROGRESS"
    DONE = "DONE"
    WONT_DO = "WONT_DO"


class ActionItemKind(str, Enum):
    PREVENT = "PREVENT"
    MITIGATE = "MITIGATE"
    DETECT = "DETECT"
    PROCESS = "PROCESS"


class LinkProvider(str, Enum):
    JIRA = "JIRA"
    LINEAR = "LINEAR"
    GITHUB = "GITHUB"
    OTHER = "OTHER"


class FindingCategory(str, Enum):
    PERSON_AS_CAUSE = "PERSON_AS_CAUSE"
    BLAME = "BLAME"
    HINDSIGHT = "HINDSIGHT"
