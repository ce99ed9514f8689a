"""One source of truth: schema.graphql is the code's schema, the contract validates against it,
and no change breaks what front ends already use."""

from __future__ import annotations

import subprocess

import pytest
from graphql import GraphQLEnumType, build_schema, find_breaking_changes, parse, validate

from app.api.graphql.schema import export_sdl
from tests.conftest import ROOT
from tests.contract import document, operation_files

SCHEMA_FILE = ROOT / "schema.graphql"


def test_schema_file_matches_the_code() -> None:
    assert SCHEMA_FILE.read_text(encoding="utf-8") == export_sdl(), (
        "schema.graphql is stale: run `firebreak export-schema -o schema.graphql`"
    )


@pytest.mark.parametrize("operation", sorted(operation_files()))
def test_contract_operation_is_valid(operation: str) -> None:
    schema = build_schema(SCHEMA_FILE.read_text(encoding="utf-8"))
    errors = validate(schema, parse(document(operation)))
    assert errors == [], [e.message for e in errors]


def _committed_schema() -> str | None:
    try:
        return subprocess.run(
            ["git", "show", "HEAD:schema.graphql"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return None


@pytest.mark.parametrize("baseline", ["file", "git-head"])
def test_no_breaking_changes(baseline: str) -> None:
    old = SCHEMA_FILE.read_text(encoding="utf-8") if baseline == "file" else _committed_schema()
    if old is None:
        pytest.skip("no committed schema.graphql to compare with (not a git checkout)")
    changes = find_breaking_changes(build_schema(old), build_schema(export_sdl()))
    assert changes == [], [c.description for c in changes]


CONTRACT_NAMES = {
    "AuditEntry": ["id", "at", "actor", "operation", "target", "requestId", "clientIp", "outcome"],
    "Query": [
        "viewer",
        "node",
        "incident",
        "incidentByReference",
        "incidents",
        "services",
        "users",
        "alerts",
        "alert",
        "integrations",
        "alertRules",
        "statusPage",
        "statusComponents",
        "componentGroups",
        "maintenances",
        "auditLog",
        "postmortem",
        "postmortems",
        "postmortemTemplates",
        "actionItems",
    ],
    "Mutation": [
        "declareIncident",
        "updateIncidentStatus",
        "changeIncidentSeverity",
        "updateIncident",
        "assignIncidentRole",
        "unassignIncidentRole",
        "addTimelineNote",
        "mergeIncident",
        "createService",
        "createUser",
        "createApiToken",
        "revokeApiToken",
        "addIncidentMember",
        "removeIncidentMember",
        "createIntegration",
        "rotateIntegrationKey",
        "revokeIntegration",
        "updateAlertRules",
        "reportProblem",
        "acknowledgeAlert",
        "resolveAlert",
        "attachAlert",
        "detachAlert",
        "postStatusUpdate",
        "updateIncidentPublicTitle",
        "createStatusComponent",
        "updateStatusComponent",
        "deleteStatusComponent",
        "setStatusComponentStatus",
        "createComponentGroup",
        "updateComponentGroup",
        "deleteComponentGroup",
        "scheduleMaintenance",
        "updateMaintenance",
        "postMaintenanceUpdate",
        "cancelMaintenance",
        "createPostmortem",
        "updatePostmortem",
        "updatePostmortemStatus",
        "submitPostmortemForReview",
        "approvePostmortem",
        "returnPostmortemToDraft",
        "publishPostmortem",
        "reopenPostmortem",
        "highlightTimelineEvent",
        "addPostmortemTimelineEntry",
        "updatePostmortemTimelineEntry",
        "removePostmortemTimelineEntry",
        "createPostmortemTemplate",
        "updatePostmortemTemplate",
        "createActionItem",
        "updateActionItem",
        "completeActionItem",
        "linkActionItem",
        "unlinkActionItem",
    ],
    "Incident": [
        "id",
        "number",
        "reference",
        "title",
        "summary",
        "severity",
        "status",
        "private",
        "version",
        "services",
        "roles",
        "timeline",
        "declaredAt",
        "acknowledgedAt",
        "identifiedAt",
        "mitigatedAt",
        "resolvedAt",
        "closedAt",
        "alerts",
        "mitigatedAt",
        "resolvedAt",
        "closedAt",
        "statusUpdates",
        "publicTitle",
        "publicStatus",
        "postmortem",
        "actionItems",
    ],
    "Alert": [
        "id",
        "service",
        "integration",
        "dedupKey",
        "status",
        "severity",
        "summary",
        "details",
        "labels",
        "annotations",
        "links",
        "firstSeenAt",
        "lastSeenAt",
        "resolvedAt",
        "occurrences",
        "incident",
        "source",
    ],
    "Integration": ["id", "kind", "name", "service"],
    "CreateIntegrationPayload": ["integration", "routingKey", "url", "errors"],
    "CreateIntegrationInput": ["serviceId", "kind", "name"],
    "ReportProblemInput": ["serviceId", "summary", "details"],
    "AttachAlertInput": ["alertId", "incidentId"],
    "DetachAlertInput": ["alertId"],
    "AlertStatus": ["FIRING", "ACKNOWLEDGED", "RESOLVED"],
    "IntegrationKind": ["ALERTMANAGER", "GRAFANA", "EVENTS_V2", "GENERIC"],
    "TimelineEvent": ["id", "sequence", "kind", "occurredAt", "recordedAt", "actor", "message", "data"],
    "User": ["actionItems"],
    "UserError": ["code", "message", "field"],
    "Subscription": [
        "incidentTimeline",
        "incidentUpdated",
        "incidentFeed",
        "alertFeed",
        "statusPageUpdated",
        "postmortemUpdated",
    ],
    "IncidentFeedEvent": ["kind", "incident", "sequence"],
    "StatusPage": [
        "name",
        "url",
        "logoUrl",
        "timeZone",
        "updatedAt",
        "indicator",
        "description",
        "components",
        "groups",
        "incidents",
        "recentIncidents",
        "upcomingMaintenances",
        "activeMaintenances",
    ],
    "StatusComponent": [
        "id",
        "name",
        "description",
        "position",
        "status",
        "group",
        "uptime",
        "service",
        "statusHistory",
    ],
    "PublicIncident": [
        "id",
        "title",
        "status",
        "impact",
        "createdAt",
        "updatedAt",
        "monitoringAt",
        "resolvedAt",
        "updates",
        "components",
    ],
    "Maintenance": [
        "id",
        "title",
        "status",
        "scheduledFor",
        "scheduledUntil",
        "startedAt",
        "endedAt",
        "components",
        "updates",
    ],
    "StatusUpdate": [
        "id",
        "audience",
        "publicStatus",
        "message",
        "createdAt",
        "sequence",
        "author",
        "componentImpacts",
    ],
    "ApiTokenPayload": ["token", "apiToken", "errors"],
    "Postmortem": [
        "id",
        "incident",
        "title",
        "status",
        "version",
        "sections",
        "whys",
        "contributingFactors",
        "noActionItemsReason",
        "authors",
        "reviewers",
        "timeline",
        "actionItems",
        "keyTimes",
        "duration",
        "timeToAcknowledge",
        "timeToMitigate",
        "timeToResolve",
        "languageFindings",
        "revisions",
        "markdown",
        "createdAt",
        "updatedAt",
        "publishedAt",
    ],
    "PostmortemPayload": ["postmortem", "errors"],
    "PostmortemKeyTimes": ["detectedAt", "acknowledgedAt", "mitigatedAt", "resolvedAt"],
    "Why": ["question", "answer"],
    "ContributingFactor": ["category", "description"],
    "LanguageFinding": ["section", "offset", "phrase", "suggestion"],
    "PostmortemRevision": ["actor", "createdAt", "section"],
    "ActionItem": [
        "id",
        "incident",
        "postmortem",
        "title",
        "description",
        "owner",
        "dueDate",
        "priority",
        "status",
        "kind",
        "externalLink",
        "createdAt",
        "completedAt",
    ],
    "ExternalLink": ["provider", "key", "url"],
    "ActionItemPayload": ["actionItem", "errors"],
    "CreatePostmortemInput": ["incidentId", "templateId"],
    "CreateActionItemInput": [
        "incidentId",
        "postmortemId",
        "title",
        "description",
        "ownerId",
        "dueDate",
        "priority",
        "kind",
    ],
    "UpdateActionItemInput": ["actionItemId", "expectedVersion"],
    "LinkActionItemInput": ["actionItemId", "provider", "key", "url"],
    "ActionItemFilter": ["owner", "status", "overdue", "incidentId", "dueBefore"],
    "UpdatePostmortemInput": ["postmortemId", "expectedVersion", "whys", "noActionItemsReason"],
}


def test_subscription_signatures() -> None:
    schema = build_schema(SCHEMA_FILE.read_text(encoding="utf-8"))
    subscription = schema.subscription_type
    assert subscription is not None
    timeline = subscription.fields["incidentTimeline"]
    assert str(timeline.type) == "TimelineEvent!" and set(timeline.args) == {"incidentId", "afterSequence"}
    assert str(timeline.args["incidentId"].type) == "ID!" and str(timeline.args["afterSequence"].type) == "Int"
    assert str(subscription.fields["incidentUpdated"].type) == "Incident!"
    assert str(subscription.fields["incidentFeed"].type) == "IncidentFeedEvent!"
    kinds = set(schema.type_map["IncidentFeedKind"].values)  # type: ignore[union-attr]
    assert {"DECLARED", "UPDATED", "STATUS_CHANGED", "SEVERITY_CHANGED", "RESOLVED"} <= kinds


@pytest.mark.parametrize("type_name", sorted(CONTRACT_NAMES))
def test_contract_names_exist(type_name: str) -> None:
    schema = build_schema(SCHEMA_FILE.read_text(encoding="utf-8"))
    named = schema.type_map[type_name]
    fields = named.values if isinstance(named, GraphQLEnumType) else named.fields  # type: ignore[union-attr]
    missing = [name for name in CONTRACT_NAMES[type_name] if name not in fields]
    assert missing == []


def test_every_root_field_has_a_contract_operation() -> None:
    schema = build_schema(SCHEMA_FILE.read_text(encoding="utf-8"))
    used = " ".join(document(op) for op in operation_files())
    for root in (schema.query_type, schema.mutation_type, schema.subscription_type):
        if root is None:
            continue
        for name in root.fields:
            assert f"{name}(" in used or f"{name} {{" in used or f"{name}\n" in used, (
                f"{root.name}.{name} has no operation in frontend-contract/"
            )
