"""The authorization matrix: every root field of the schema, found by introspection, has a rule
(tests/api/graphql/authz_*.py), and every caller gets what the rule says.

Callers: anonymous, a read-scoped token (of an ADMIN user), VIEWER, RESPONDER and ADMIN. For
fields that reach incident data, also non-members of a private incident (a responder; for reads
also a viewer and the read-scoped admin token), who must find nothing — never a FORBIDDEN that
would tell the incident exists — and a member, who must see it (so the probe is known to reach
it). Queries and mutations run over HTTP on the ASGI app, subscriptions over a websocket to a
server process.

Runs on SQLite and PostgreSQL (the `backend` fixture), with one seeded dataset per module and
backend: about 15 seconds for both.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import orjson
import pytest
from graphql import get_introspection_query, graphql_sync
from websockets.asyncio.client import ClientConnection

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
from tests.api.graphql.ws.conftest import connect, init, receive, send
from tests.conftest import Actor, Backend, wipe
from tests.live import LiveServer, live_server

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


async def call(
    http: httpx.AsyncClient, rule: Rule, document: str, variables: dict[str, Any], actor: Actor | None
) -> tuple[str, str]:
    """What the caller got (an Outcome value, or a description of anything else) and the body."""
    response = await http.post(
        "/graphql", json={"query": document, "variables": variables}, headers=actor.headers if actor else {}
    )
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


HTTP_RULES = [
    pytest.param(rule, id=f"{kind}-{name}")
    for kind in ("query", "mutation")
    for name, rule in sorted(TABLES[kind].items())
]


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


@pytest.mark.parametrize("rule", PRIVATE_RULES)
async def test_a_private_incident_does_not_exist_for_non_members(
    rule: Rule, world: World, client: httpx.AsyncClient
) -> None:
    wrong = []
    reading = rule.field in queries()
    # Readers who are not members: a responder, and for reads also a viewer and an admin's
    # read-scoped token (for that token its user is no admin).
    outsiders = [world.responder, world.viewer, world.reader] if reading else [world.responder]
    for probe in rule.private:
        document = probe.document or rule.document
        expected = Outcome.ALLOWED if probe.outcome is Outcome.OMITTED else probe.outcome
        for outsider in outsiders:
            got, body = await call(client, rule, document, await probe.variables(world, Caller.RESPONDER), outsider)
            counted = probe.only_private and any(int(n) for n in re.findall(r'"totalCount":(\d+)', body))
            if got != expected.value or MARKER in body or counted:
                wrong.append(
                    f"non-member {outsider.principal.role.value}: expected {probe.outcome.value}, got {got}\n    {body[:400]}"
                )
        if not probe.member_sees:
            continue
        got, body = await call(client, rule, document, await probe.variables(world, Caller.RESPONDER), world.member)
        if got != Outcome.ALLOWED.value or (reading and MARKER not in body):
            wrong.append(f"member: expected allowed and the private data, got {got}\n    {body[:400]}")
    assert not wrong, f"{rule.field}:\n  " + "\n  ".join(wrong)


# -- subscriptions, over a websocket to a server process ------------------------------------------


@pytest.fixture(scope="module")
def server(backend: Backend, world: World, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with live_server(backend.url, tmp_path_factory.mktemp("authz")) as running:
        yield running


async def subscribe(
    server: LiveServer, document: str, variables: dict[str, Any], actor: Actor | None
) -> tuple[str, ClientConnection]:
    """What subscribing got (an Outcome value, or a description), and the open socket."""
    ws = await connect(server)
    assert (await init(ws, actor.token if actor else None))["type"] == "connection_ack"
    await send(ws, {"id": "1", "type": "subscribe", "payload": {"query": document, "variables": variables}})
    await send(ws, {"type": "ping"})  # answered after the subscription was authorized or refused
    while (message := await receive(ws))["type"] != "pong":
        if message["type"] == "error" and message["id"] == "1":
            code = message["payload"][0].get("extensions", {}).get("code")
            return (AUTHZ_CODES[code].value if code in AUTHZ_CODES else f"error {message['payload']}"), ws
    return Outcome.ALLOWED.value, ws


SUBSCRIPTION_RULES = [
    pytest.param(rule, id=f"subscription-{name}") for name, rule in sorted(TABLES["subscription"].items())
]


@pytest.mark.parametrize("rule", SUBSCRIPTION_RULES)
async def test_subscribers_get_what_the_rule_says(rule: Rule, world: World, server: LiveServer) -> None:
    wrong = []
    for caller in CALLERS:
        got, ws = await subscribe(server, rule.document, await rule.variables(world, caller), world.actor(caller))
        await ws.close()
        if got != rule.expected(caller).value:
            wrong.append(f"{caller.value}: expected {rule.expected(caller).value}, got {got}")
    for probe in rule.private:
        variables = await probe.variables(world, Caller.RESPONDER)
        outsider, outsider_ws = await subscribe(server, rule.document, variables, world.responder)
        member, member_ws = await subscribe(server, rule.document, variables, world.member)
        expected = Outcome.ALLOWED if probe.outcome is Outcome.OMITTED else probe.outcome
        if outsider != expected.value:
            wrong.append(f"non-member: expected {probe.outcome.value}, got {outsider}")
        if member != Outcome.ALLOWED.value:
            wrong.append(f"member: expected allowed, got {member}")
        if rule.field in TRIGGERS and not wrong:
            await pull_trigger(server, world, rule.field)
            if any(MARKER in text for text in await until_sentinel(outsider_ws)):
                wrong.append("non-member: the stream showed the private incident")
            if probe.member_sees and not any(MARKER in text for text in await until_sentinel(member_ws)):
                wrong.append("member: the stream did not show the private incident")
        await outsider_ws.close()
        await member_ws.close()
    assert not wrong, f"{rule.field}:\n  " + "\n  ".join(wrong)


SENTINEL = "Sentinel"
REPORT = "mutation($input: ReportProblemInput!) { reportProblem(input: $input) { errors { code } } }"
DECLARE = "mutation($input: DeclareIncidentInput!) { declareIncident(input: $input) { errors { code } } }"
# A change to the private incident by its member, then a public one everyone sees.
TRIGGERS: dict[str, tuple[tuple[str, dict[str, Any]], tuple[str, dict[str, Any]]]] = {
    "incidentFeed": (
        (DECLARE, {"input": {"title": f"{MARKER} exfiltration", "severity": "SEV2", "private": True}}),
        (DECLARE, {"input": {"title": SENTINEL, "severity": "SEV4"}}),
    ),
    "alertFeed": (
        (REPORT, {"input": {"serviceId": "@vault", "summary": "More odd logins", "severity": "ERROR"}}),
        # On a service no incident groups: `alerting` alerts join the private incident (and vanish for outsiders).
        (REPORT, {"input": {"serviceId": "@quiet", "summary": SENTINEL, "severity": "INFO"}}),
    ),
}


async def pull_trigger(server: LiveServer, world: World, field: str) -> None:
    async with httpx.AsyncClient(base_url=server.url) as http:
        for (document, variables), actor in zip(TRIGGERS[field], (world.member, world.admin), strict=True):
            if "serviceId" in variables["input"]:
                variables = {
                    "input": {**variables["input"], "serviceId": world.ids[variables["input"]["serviceId"][1:]]}
                }
            response = await http.post(
                "/graphql", json={"query": document, "variables": variables}, headers=actor.headers
            )
            assert response.status_code == 200 and '"errors":[]' in response.text, response.text


async def until_sentinel(ws: ClientConnection) -> list[str]:
    texts: list[str] = []
    while not texts or SENTINEL not in texts[-1]:
        try:
            texts.append(orjson.dumps(await receive(ws)).decode())
        except TimeoutError:
            raise AssertionError(f"no sentinel after {texts}") from None
    return texts
