"""One source of truth: schema.graphql is the code's schema, the contract validates against it,
and no change breaks what front ends already use."""

from __future__ import annotations

import subprocess

import pytest
from graphql import build_schema, find_breaking_changes, parse, validate

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
    "Query": [
        "viewer", "node", "incident", "incidentByReference", "incidents", "services", "users",
        "statusPage", "statusComponents", "componentGroups", "maintenances",
    ],
    "Mutation": [
        "declareIncident", "updateIncidentStatus", "changeIncidentSeverity", "updateIncident",
        "assignIncidentRole", "unassignIncidentRole", "addTimelineNote", "mergeIncident",
        "createService", "createUser", "createApiToken", "revokeApiToken",
        "postStatusUpdate", "updateIncidentPublicTitle", "createStatusComponent", "updateStatusComponent",
        "deleteStatusComponent", "setStatusComponentStatus", "createComponentGroup", "updateComponentGroup",
        "deleteComponentGroup", "scheduleMaintenance", "updateMaintenance", "postMaintenanceUpdate", "cancelMaintenance",
    ],
    "Incident": [
        "id", "number", "reference", "title", "summary", "severity", "status", "private", "version",
        "services", "roles", "timeline", "declaredAt", "acknowledgedAt", "identifiedAt",
        "mitigatedAt", "resolvedAt", "closedAt", "statusUpdates", "publicTitle", "publicStatus",
    ],
    "TimelineEvent": ["id", "sequence", "kind", "occurredAt", "recordedAt", "actor", "message", "data"],
    "UserError": ["code", "message", "field"],
    "StatusPage": [
        "name", "url", "logoUrl", "timeZone", "updatedAt", "indicator", "description", "components", "groups",
        "incidents", "recentIncidents", "upcomingMaintenances", "activeMaintenances",
    ],
    "StatusComponent": ["id", "name", "description", "position", "status", "group", "uptime", "service", "statusHistory"],
    "PublicIncident": ["id", "title", "status", "impact", "createdAt", "updatedAt", "monitoringAt", "resolvedAt", "updates", "components"],
    "Maintenance": ["id", "title", "status", "scheduledFor", "scheduledUntil", "startedAt", "endedAt", "components", "updates"],
    "StatusUpdate": ["id", "audience", "publicStatus", "message", "createdAt", "sequence", "author", "componentImpacts"],
    "Subscription": ["statusPageUpdated"],
    "ApiTokenPayload": ["token", "apiToken", "errors"],
}


@pytest.mark.parametrize("type_name", sorted(CONTRACT_NAMES))
def test_contract_names_exist(type_name: str) -> None:
    schema = build_schema(SCHEMA_FILE.read_text(encoding="utf-8"))
    fields = schema.type_map[type_name].fields  # type: ignore[union-attr]
    missing = [name for name in CONTRACT_NAMES[type_name] if name not in fields]
    assert missing == []


def test_every_root_field_has_a_contract_operation() -> None:
    schema = build_schema(SCHEMA_FILE.read_text(encoding="utf-8"))
    used = " ".join(document(op) for op in operation_files())
    for root in (schema.query_type, schema.mutation_type, schema.subscription_type):
        if root is None:
            continue
        for name in root.fields:
            assert f"{name}(" in used or f"{name} {{" in used or f"{name}\n" in used, f"{root.name}.{name} has no operation in frontend-contract/"
