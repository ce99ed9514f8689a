"""The authorization matrix: every root field of the schema, found by introspection, has a rule
(tests/api/graphql/authz_*.py), and every caller gets what the rule says.

Callers: anonymous, a read-scoped token (of an ADMIN user), VIEWER, RESPONDER and ADMIN; for
fields that reach incident data, also a responder who is not a member of a private incident
(who must find nothing, never a FORBIDDEN that would tell the incident exists) and a member
(who must see it, so the probe is known to reach it). Queries and mutations run over HTTP on
the ASGI app, subscriptions over a websocket to a server process.

Runs on SQLite only: one seeded dataset per module, and the rules are decided above storage
(the storage tests run on both backends).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from graphql import get_introspection_query, graphql_sync

from app.api.app import create_app
from app.api.graphql.schema import build_schema
from app.broker import create_broker, get_broker, set_broker
from tests.api.graphql.authz_rules import (
    CALLERS,
    SECURITY_DOC,
    Caller,
    Outcome,
    Rule,
    mutations,
    queries,
    rendered_doc,
    subscriptions,
)
from tests.api.graphql.authz_world import MARKER, World, build_world
from tests.conftest import Actor, Backend, wipe

SQLITE = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)

AUTHZ_CODES = {o.name: o for o in (Outcome.UNAUTHENTICATED, Outcome.FORBIDDEN, Outcome.NOT_FOUND)}


def root_fields() -> dict[str, set[str]]:
    """The root fields of each operation type, read by introspection."""
    result = graphql_sync(build_schema()._schema, get_introspection_query())
    assert result.errors is None and result.data is not None
    schema = result.data["__schema"]
    types = {t["name"]: t for t in schema["types"]}
    return {
        kind: {f["name"] for f in types[schema[f"{kind}Type"]["name"]]["fields"]}
        for kind in ("query", "mutation", "subscription")
    }


TABLES = {"query": queries(), "mutation": mutations(), "subscription": subscriptions()}


@pytest.mark.parametrize("kind", ["query", "mutation", "subscription"])
def test_every_root_field_has_a_rule_and_every_rule_a_field(kind: str) -> None:
    fields, rules = root_fields()[kind], set(TABLES[kind])
    assert not fields - rules, f"{kind} fields without an authorization rule: {sorted(fields - rules)}"
    assert not rules - fields, f"rules for {kind} fields that no longer exist: {sorted(rules - fields)}"


def test_the_documented_table_is_the_rule_table() -> None:
    text = SECURITY_DOC.read_text()
    assert text == rendered_doc(text), "docs/security.md is stale: python -m tests.api.graphql.authz_rules --write"


# -- running the rules ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
async def world(backend: Backend) -> World:
    await wipe(backend)
    return await build_world()


@pytest.fixture(scope="module")
async def client(backend: Backend, world: World) -> AsyncIterator[httpx.AsyncClient]:
    previous = get_broker()
    broker = create_broker(None)
    await broker.connect()
    set_broker(broker)
    app = create_app(backend.settings, manage_database=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as http:
        yield http
    set_broker(previous)
    await broker.close()


async def call(http: httpx.AsyncClient, rule: Rule, document: str, variables: dict[str, Any], actor: Actor | None) -> tuple[str, str]:
    """What the caller got (an Outcome value, or a description of anything else) and the body."""
    response = await http.post("/graphql", json={"query": document, "variables": variables}, headers=actor.headers if actor else {})
    body = response.json()
    if body.get("errors"):
        codes = [e.get("extensions", {}).get("code") for e in body["errors"]]
        found = next((AUTHZ_CODES[c] for c in codes if c in AUTHZ_CODES), None)
        if found is Outcome.UNAUTHENTICATED:
            assert response.status_code == 401, response.text
        return (found.value if found else f"errors {codes}: {body['errors'][0]['message']}"), response.text
    data = body["data"][rule.field]
    if "errors" in (data if isinstance(data, dict) else {}) and data["errors"]:
        error = data["errors"][0]
        return (AUTHZ_CODES[error["code"]].value if error["code"] in AUTHZ_CODES else f"payload {error}"), response.text
    return (Outcome.NOT_FOUND.value if data is None else Outcome.ALLOWED.value), response.text


HTTP_RULES = [pytest.param(rule, id=f"{kind}-{name}") for kind in ("query", "mutation") for name, rule in sorted(TABLES[kind].items())]


@SQLITE
@pytest.mark.parametrize("rule", HTTP_RULES)
async def test_callers_get_what_the_rule_says(rule: Rule, world: World, client: httpx.AsyncClient) -> None:
    wrong = []
    for caller in CALLERS:
        variables = await rule.variables(world, caller)
        got, body = await call(client, rule, rule.document, variables, world.actor(caller))
        if got != rule.expected(caller).value:
            wrong.append(f"{caller.value}: expected {rule.expected(caller).value}, got {got}\n    {body[:400]}")
    assert not wrong, f"{rule.field}:\n  " + "\n  ".join(wrong)


PRIVATE_RULES = [
    pytest.param(rule, id=f"{kind}-{name}")
    for kind in ("query", "mutation")
    for name, rule in sorted(TABLES[kind].items())
    if rule.private
]


@SQLITE
@pytest.mark.parametrize("rule", PRIVATE_RULES)
async def test_a_private_incident_does_not_exist_for_non_members(rule: Rule, world: World, client: httpx.AsyncClient) -> None:
    wrong = []
    reading = rule.field in queries()
    for probe in rule.private:
        document = probe.document or rule.document
        got, body = await call(client, rule, document, await probe.variables(world, Caller.RESPONDER), world.responder)
        expected = Outcome.ALLOWED if probe.outcome is Outcome.OMITTED else probe.outcome
        counted = probe.only_private and any(int(n) for n in re.findall(r'"totalCount":(\d+)', body))
        if got != expected.value or MARKER in body or counted:
            wrong.append(f"non-member: expected {probe.outcome.value}, got {got}\n    {body[:400]}")
        if not probe.member_sees:
            continue
        got, body = await call(client, rule, document, await probe.variables(world, Caller.RESPONDER), world.member)
        if got != Outcome.ALLOWED.value or (reading and MARKER not in body):
            wrong.append(f"member: expected allowed and the private data, got {got}\n    {body[:400]}")
    assert not wrong, f"{rule.field}:\n  " + "\n  ".join(wrong)
