"""Each limit's error path: depth, aliases, tokens, cost, page size, list inputs, rate limits."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from app.api.app import create_app
from app.config import load_settings
from tests.conftest import Actor, Backend, GraphQLClient


def error_of(response: httpx.Response) -> dict[str, Any]:
    body = response.json()
    assert body.get("data") is None, body
    return body["errors"][0]  # type: ignore[no-any-return]


async def test_depth_limit(gql: GraphQLClient, viewer: Actor) -> None:
    deep = "{ incidents { edges { node " + "{ mergedInto " * 9 + "{ id }" + " }" * 9 + " } } }"
    error = error_of(await gql.post(deep, actor=viewer))
    assert "exceeds maximum operation depth of 10" in error["message"]
    ok = "{ incidents { edges { node { mergedInto { mergedInto { id } } } } } }"
    assert (await gql.post(ok, actor=viewer)).json().get("errors") is None


async def test_alias_limit(gql: GraphQLClient, viewer: Actor) -> None:
    many = "{ " + " ".join(f"a{n}: viewer {{ id }}" for n in range(31)) + " }"
    error = error_of(await gql.post(many, actor=viewer))
    assert "aliases" in error["message"].lower()
    few = "{ " + " ".join(f"a{n}: viewer {{ id }}" for n in range(30)) + " }"
    assert (await gql.post(few, actor=viewer)).json().get("errors") is None


async def test_token_limit(gql: GraphQLClient, viewer: Actor) -> None:
    huge = "{ viewer { " + "id " * 6000 + "} }"
    error = error_of(await gql.post(huge, actor=viewer))
    assert "token limit" in error["message"].lower() or "tokens" in error["message"].lower()


async def test_cost_budget_counts_list_sizes(gql: GraphQLClient, viewer: Actor) -> None:
    costly = "{ incidents(first: 100) { edges { node { timeline(first: 100) { edges { node { id sequence message actor { name } } } } } } } }"
    error = error_of(await gql.post(costly, actor=viewer))
    assert (
        error["extensions"]["code"] == "QUERY_TOO_COSTLY"
        and error["extensions"]["cost"] > error["extensions"]["budget"]
    )
    with_variables = "query($n: Int) { incidents(first: $n) { edges { node { timeline(first: $n) { edges { node { id kind message } } } } } } }"
    assert error_of(await gql.post(with_variables, {"n": 1}, actor=viewer))["extensions"]["code"] == "QUERY_TOO_COSTLY"
    affordable = "{ incidents(first: 20) { edges { node { timeline(last: 5) { edges { node { id } } } } } } }"
    assert (await gql.post(affordable, actor=viewer)).json().get("errors") is None


async def test_page_size_and_list_inputs(gql: GraphQLClient, responder: Actor) -> None:
    too_big = await gql.post("{ incidents(first: 500) { edges { cursor } } }", actor=responder)
    assert too_big.json()["errors"][0]["extensions"]["field"] == "first"
    ids = [f"id{n}" for n in range(101)]
    declare = 'mutation($ids: [ID!]!) { declareIncident(input: {title: "t", severity: SEV3, serviceIds: $ids}) { errors { code field } } }'
    error = error_of(await gql.post(declare, {"ids": ids}, actor=responder))
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "$ids"} and "at most 100" in error["message"]
    assert (await gql.post(declare, {"ids": ids[:100]}, actor=responder)).json()["data"]["declareIncident"]["errors"][
        0
    ]["code"] == "NOT_FOUND"


async def test_every_list_input_is_bounded_in_variables_and_in_the_document(
    gql: GraphQLClient, responder: Actor
) -> None:
    nested = "mutation($input: UpdatePostmortemInput!) { updatePostmortem(input: $input) { errors { code } } }"
    whys = [{"question": "q", "answer": "a"}] * 101
    error = error_of(await gql.post(nested, {"input": {"postmortemId": "x", "whys": whys}}, actor=responder))
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "$input.whys"}
    literal = "{ incidents(filter: {severities: [" + ", ".join(["SEV1"] * 101) + "]}) { totalCount } }"
    error = error_of(await gql.post(literal, actor=responder))
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "filter.severities"}


async def test_nul_characters_are_refused_before_any_resolver(gql: GraphQLClient, admin: Actor) -> None:
    search = "query($f: IncidentFilter) { incidents(filter: $f) { totalCount } }"
    error = error_of(await gql.post(search, {"f": {"search": "disk\u0000"}}, actor=admin))
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "$f.search"} and "NUL" in error["message"]
    literal = '{ auditLog(filter: {operation: "declare\\u0000"}) { edges { cursor } } }'
    error = error_of(await gql.post(literal, actor=admin))
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "filter.operation"}
    create = 'mutation($e: String!) { createUser(input: {email: $e, name: "N", role: VIEWER}) { errors { code } } }'
    assert error_of(await gql.post(create, {"e": "a\u0000@example.com"}, actor=admin))["extensions"]["field"] == "$e"


async def test_request_errors_carry_a_code(gql: GraphQLClient, viewer: Actor) -> None:
    def code(response: httpx.Response) -> str:
        return error_of(response)["extensions"]["code"]  # type: ignore[no-any-return]

    assert code(await gql.post("{ viewer { id ", actor=viewer)) == "GRAPHQL_PARSE_FAILED"
    assert code(await gql.post("{ viewer { nope } }", actor=viewer)) == "GRAPHQL_VALIDATION_FAILED"
    assert (
        code(await gql.post("{ viewer { ...missing } }", actor=viewer)) == "GRAPHQL_VALIDATION_FAILED"
    )  # not the depth limit's
    assert (await gql.post("{ viewer { ...missing } }")).status_code == 401
    assert code(await gql.post("{ viewer { } }", actor=viewer)) == "GRAPHQL_VALIDATION_FAILED"  # graphql-core parses it
    assert code(await gql.post("query { }", actor=viewer)) == "GRAPHQL_VALIDATION_FAILED"
    assert (
        code(await gql.post("query($n: Int) { incidents(first: $n) { totalCount } }", {"n": 2**40}, actor=viewer))
        == "BAD_USER_INPUT"
    )
    assert (
        code(await gql.post("query($n: Int) { incidents(first: $n) { totalCount } }", {"n": "ten"}, actor=viewer))
        == "BAD_USER_INPUT"
    )
    both = "query A { viewer { id } } query B { viewer { id } }"
    assert code(await gql.post(both, actor=viewer)) == "OPERATION_RESOLUTION_FAILURE"


@pytest.fixture
async def limited(clean_db: Backend, broker: object) -> AsyncIterator[httpx.AsyncClient]:
    settings = load_settings(database_url=clean_db.url, rate_limit_per_token="3/minute", rate_limit_per_ip="2/minute")
    app = create_app(settings, manage_database=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as http:
        yield http


async def test_rate_limit_per_token(limited: httpx.AsyncClient, viewer: Actor, responder: Actor) -> None:
    query = {"query": "{ viewer { id } }"}
    for _ in range(3):
        assert (await limited.post("/graphql", json=query, headers=viewer.headers)).status_code == 200
    refused = await limited.post("/graphql", json=query, headers=viewer.headers)
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 0
    assert refused.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    assert (await limited.post("/graphql", json=query, headers=responder.headers)).status_code == 200  # its own budget


async def test_rate_limit_per_ip_for_requests_without_a_valid_token(
    limited: httpx.AsyncClient, clean_db: Backend
) -> None:
    bad = {"Authorization": "Bearer fbk_guess"}
    assert (await limited.post("/graphql", json={"query": "{ __typename }"})).status_code == 200
    assert (await limited.post("/graphql", json={"query": "{ viewer { id } }"}, headers=bad)).status_code == 401
    refused = await limited.post("/graphql", json={"query": "{ viewer { id } }"}, headers=bad)
    assert refused.status_code == 429 and "retry-after" in refused.headers
