"""Input hygiene, one error path each: ids and cursors that are not ours, numbers beyond what
the database holds, time zones, control characters and bounded free text."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from app.ids import to_global_id
from app.pagination import encode_cursor, encode_keys
from tests.conftest import Actor, GraphQLClient

DECLARE = "mutation($input: DeclareIncidentInput!) { declareIncident(input: $input) { incident { id } errors { code field message } } }"
NOTE = "mutation($input: AddTimelineNoteInput!) { addTimelineNote(input: $input) { event { message } errors { code field } } }"


def only_error(response: httpx.Response) -> dict[str, Any]:
    body = response.json()
    assert response.status_code == 200 and len(body["errors"]) == 1, body
    return body["errors"][0]  # type: ignore[no-any-return]


async def declared(gql: GraphQLClient, actor: Actor, **input: Any) -> dict[str, Any]:
    result = (await gql.execute(DECLARE, {"input": {"title": "Disk full", "severity": "SEV3", **input}}, actor=actor))[
        "declareIncident"
    ]
    return result  # type: ignore[no-any-return]


async def test_ids_with_non_ascii_or_huge_numbers_are_unknown(gql: GraphQLClient, viewer: Actor) -> None:
    for pk in ("²", "٣", "9" * 19, "99999999999999999999", "-1", "1e3"):
        data = await gql.execute(
            "query($id: ID!) { node(id: $id) { id } }", {"id": to_global_id("Incident", pk)}, actor=viewer
        )
        assert data == {"node": None}
    for reference in ("INC-²", "INC-٣", "INC-99999999999999999999"):
        data = await gql.execute(
            "query($r: String!) { incidentByReference(reference: $r) { id } }", {"r": reference}, actor=viewer
        )
        assert data == {"incidentByReference": None}


async def test_cursors_beyond_what_we_issue_are_invalid(gql: GraphQLClient, admin: Actor) -> None:
    for query, cursor in (
        ("query($c: String) { users(after: $c) { totalCount } }", encode_cursor("user", 2**63)),
        ("query($c: String) { incidents(after: $c) { totalCount } }", encode_cursor("incident", 10**30)),
        ("query($c: String) { actionItems(after: $c) { totalCount } }", encode_keys("actionitem", 2**40, 1)),
        ("query($c: String) { actionItems(after: $c) { totalCount } }", encode_keys("actionitem", 2**63, 1)),
        ("query($c: String) { auditLog(after: $c) { edges { cursor } } }", encode_cursor("audit", -1)),
    ):
        error = only_error(await gql.post(query, {"c": cursor}, actor=admin))
        assert error["extensions"] == {"code": "VALIDATION", "field": "after"}, (cursor, error)


async def test_timeline_windows_past_the_end_are_empty(gql: GraphQLClient, responder: Actor) -> None:
    incident = (await declared(gql, responder))["incident"]
    query = "query($id: ID!, $s: Int, $c: String) { node(id: $id) { ... on Incident { timeline(afterSequence: $s, after: $c) { edges { cursor } } } } }"
    for variables in ({"s": 2**31 - 1}, {"c": encode_cursor("event", 2**62)}):
        data = await gql.execute(query, {"id": incident["id"], **variables}, actor=responder)
        assert data["node"]["timeline"]["edges"] == []


async def test_timestamps_need_a_time_zone_and_a_sensible_year(gql: GraphQLClient, responder: Actor) -> None:
    incident = (await declared(gql, responder))["incident"]
    for when, words in (
        ("2026-01-31T12:00:00", "time zone"),
        ("9999-12-31T23:00:00-14:00", "from 1970 to 2999"),
        ("0001-01-01T00:00:00+14:00", "from 1970 to 2999"),
        ("3000-01-01T00:00:00Z", "from 1970 to 2999"),
        ("yesterday", "ISO 8601"),
    ):
        error = only_error(
            await gql.post(
                NOTE, {"input": {"incidentId": incident["id"], "body": "b", "occurredAt": when}}, actor=responder
            )
        )
        assert error["extensions"]["code"] == "BAD_USER_INPUT" and words in error["message"], error


async def test_control_characters_refused_in_single_lines_while_notes_keep_tabs_and_newlines(
    gql: GraphQLClient, responder: Actor
) -> None:
    for title in ("Disk\x1bfull", "Disk\nfull", "Disk\tfull", "Disk\x7f!", "Di\u0085sk"):
        result = await declared(gql, responder, title=title)
        assert result["errors"] == [
            {"code": "VALIDATION", "field": "title", "message": "title must not contain control characters"}
        ]
    incident = (await declared(gql, responder))["incident"]
    body = "Rolled back:\n\t- payments v2.31\r\n"
    note = (await gql.execute(NOTE, {"input": {"incidentId": incident["id"], "body": body}}, actor=responder))[
        "addTimelineNote"
    ]
    assert note == {"event": {"message": body}, "errors": []}
    refused = (await gql.execute(NOTE, {"input": {"incidentId": incident["id"], "body": "bell\x07"}}, actor=responder))[
        "addTimelineNote"
    ]
    assert refused["errors"] == [{"code": "VALIDATION", "field": "body"}]


async def test_free_text_is_bounded(gql: GraphQLClient, responder: Actor) -> None:
    assert (await declared(gql, responder, title="t" * 201))["errors"][0]["field"] == "title"
    assert (await declared(gql, responder, title="t" * 200))["errors"] == []
    assert (await declared(gql, responder, summary="s" * 20_001))["errors"][0]["field"] == "summary"


async def test_search_and_audit_filters_are_bounded_single_lines(gql: GraphQLClient, admin: Actor) -> None:
    for query, flt, field in (
        ("query($f: IncidentFilter) { incidents(filter: $f) { totalCount } }", {"search": "x" * 201}, "filter.search"),
        ("query($f: AlertFilter) { alerts(filter: $f) { totalCount } }", {"search": "disk\x1b"}, "filter.search"),
        (
            "query($f: AuditLogFilter) { auditLog(filter: $f) { edges { cursor } } }",
            {"operation": "o" * 201},
            "filter.operation",
        ),
        (
            "query($f: AuditLogFilter) { auditLog(filter: $f) { edges { cursor } } }",
            {"outcome": "o\nk"},
            "filter.outcome",
        ),
    ):
        error = only_error(await gql.post(query, {"f": flt}, actor=admin))
        assert error["extensions"] == {"code": "VALIDATION", "field": field}, error
    found = await gql.execute('{ incidents(filter: {search: "  "}) { totalCount } }', actor=admin)
    assert found == {"incidents": {"totalCount": 0}}


async def test_emails_with_control_characters_are_refused(gql: GraphQLClient, admin: Actor) -> None:
    create = (
        'mutation($e: String!) { createUser(input: {email: $e, name: "N", role: VIEWER}) { errors { code field } } }'
    )
    for email in ("a\x01@example.com", "a@exa\x7fmple.com", "a" * 320 + "@example.com"):
        result = (await gql.execute(create, {"e": email}, actor=admin))["createUser"]
        assert result["errors"] == [{"code": "VALIDATION", "field": "email"}], email


async def test_a_failing_root_field_does_not_leak_a_sibling_transaction(gql: GraphQLClient, admin: Actor) -> None:
    """graphql-core cancels the other root fields when a non-null one fails; one of them may be
    beginning a transaction (the default template is created on first read)."""
    both = "{ postmortems(first: 500) { totalCount } postmortemTemplates { id } }"
    for _ in range(30):
        assert only_error(await asyncio.wait_for(gql.post(both, actor=admin), 10))["extensions"]["code"] == "VALIDATION"
    assert await asyncio.wait_for(gql.execute("{ viewer { id } }", actor=admin), 10) == {
        "viewer": {"id": admin.global_id}
    }
