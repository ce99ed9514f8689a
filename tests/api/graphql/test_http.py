"""GraphQL over HTTP: authentication, methods, content types, limits and response media types."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from app import clock
from app.identity import service as identity
from app.identity.models import ApiToken
from tests.conftest import Actor, GraphQLClient

VIEWER_QUERY = "{ viewer { email } }"


async def test_missing_token_is_401_with_a_graphql_body(gql: GraphQLClient, clean_db: object) -> None:
    response = await gql.post(VIEWER_QUERY)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json() == {
        "errors": [
            {
                "message": "Authentication required: send Authorization: Bearer <token>",
                "extensions": {"code": "UNAUTHENTICATED"},
            }
        ]
    }


@pytest.mark.parametrize("header", ["Bearer fbk_unknown", "Bearer nope", "Basic abc", "Bearer ", "fbk_raw"])
async def test_bad_tokens_are_401(gql: GraphQLClient, clean_db: object, header: str) -> None:
    response = await gql.post(VIEWER_QUERY, headers={"Authorization": header})
    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_expired_and_revoked_tokens_are_401(gql: GraphQLClient, viewer: Actor) -> None:
    issued = await identity.create_token(
        user_id=viewer.user_id, name="short", expires_at=clock.now() + timedelta(seconds=1)
    )
    ok = await gql.post(VIEWER_QUERY, headers={"Authorization": f"Bearer {issued.secret}"})
    assert ok.status_code == 200 and ok.json()["data"]["viewer"]["email"] == "viewer@example.com"
    await asyncio.sleep(1.1)  # expires while its principal is cached: expiry is checked on every use
    expired = await gql.post(VIEWER_QUERY, headers={"Authorization": f"Bearer {issued.secret}"})
    assert expired.status_code == 401 and expired.json()["errors"][0]["message"] == "Token expired"
    await identity.revoke_token(token_id=viewer.principal.token_id)  # type: ignore[arg-type]
    assert (await gql.post(VIEWER_QUERY, actor=viewer)).status_code == 401


async def test_token_is_stored_only_as_a_hash_and_use_is_recorded(gql: GraphQLClient, viewer: Actor) -> None:
    token = await ApiToken.get(id=viewer.principal.token_id)
    assert viewer.token not in (token.token_hash, token.prefix) and len(token.token_hash) == 64
    assert token.last_used_at is None
    await gql.post(VIEWER_QUERY, actor=viewer)
    assert (await ApiToken.get(id=token.id)).last_used_at is not None


async def test_anonymous_typename_is_public(gql: GraphQLClient, clean_db: object) -> None:
    response = await gql.post("{ __typename }")
    assert response.status_code == 200 and response.json() == {"data": {"__typename": "Query"}}


async def test_get_runs_queries_but_not_mutations(gql: GraphQLClient, viewer: Actor) -> None:
    response = await gql.http.get("/graphql", params={"query": VIEWER_QUERY}, headers=viewer.headers)
    assert response.status_code == 200 and response.json()["data"]["viewer"]["email"] == "viewer@example.com"
    mutation = 'mutation { createService(input: {name: "x"}) { errors { code } } }'
    refused = await gql.http.get("/graphql", params={"query": mutation}, headers=viewer.headers)
    assert refused.status_code == 405 and refused.headers["allow"] == "POST"


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"]
)
async def test_non_json_bodies_are_415(gql: GraphQLClient, viewer: Actor, content_type: str) -> None:
    response = await gql.http.post(
        "/graphql",
        content=b'{"query": "{ viewer { email } }"}',
        headers={**viewer.headers, "Content-Type": content_type},
    )
    assert response.status_code == 415


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"{not json", "The body is not valid JSON"),
        (b"[]", "Batched requests are not supported; send one operation per request"),
        (b'{"query": 1}', "query must be a non-empty string"),
        (b'{"query": "{ viewer { email } }", "variables": []}', "variables must be an object"),
    ],
)
async def test_malformed_requests_are_400(gql: GraphQLClient, viewer: Actor, body: bytes, message: str) -> None:
    response = await gql.http.post(
        "/graphql", content=body, headers={**viewer.headers, "Content-Type": "application/json"}
    )
    assert response.status_code == 400 and response.json()["errors"][0]["message"] == message


async def test_oversized_body_is_413(gql: GraphQLClient, viewer: Actor) -> None:
    body = b'{"query": "{ viewer { email } }", "variables": {"x": "' + b"a" * 1_100_000 + b'"}}'
    response = await gql.http.post(
        "/graphql", content=body, headers={**viewer.headers, "Content-Type": "application/json"}
    )
    assert response.status_code == 413


async def test_other_methods_are_405(gql: GraphQLClient, viewer: Actor) -> None:
    response = await gql.http.put("/graphql", json={"query": VIEWER_QUERY}, headers=viewer.headers)
    assert response.status_code == 405 and response.headers["allow"] == "GET, POST"


async def test_graphql_response_media_type(gql: GraphQLClient, viewer: Actor) -> None:
    accept = {"Accept": "application/graphql-response+json"}
    ok = await gql.post(VIEWER_QUERY, actor=viewer, headers=accept)
    assert ok.status_code == 200 and ok.headers["content-type"].startswith("application/graphql-response+json")
    invalid = await gql.post("{ viewer { nope } }", actor=viewer, headers=accept)
    assert invalid.status_code == 400 and "nope" in invalid.json()["errors"][0]["message"]
    legacy = await gql.post("{ viewer { nope } }", actor=viewer)
    assert legacy.status_code == 200 and legacy.headers["content-type"].startswith("application/json")


async def test_syntax_errors_are_reported(gql: GraphQLClient, viewer: Actor) -> None:
    response = await gql.post("{ viewer { ", actor=viewer)
    assert "Syntax Error" in response.json()["errors"][0]["message"]


async def test_request_id_is_generated_or_echoed(gql: GraphQLClient, viewer: Actor) -> None:
    generated = await gql.post(VIEWER_QUERY, actor=viewer)
    assert len(generated.headers["x-request-id"]) == 16
    echoed = await gql.post(VIEWER_QUERY, actor=viewer, headers={"X-Request-ID": "abc-1"})
    assert echoed.headers["x-request-id"] == "abc-1"
    replaced = await gql.post(VIEWER_QUERY, actor=viewer, headers={"X-Request-ID": "bad id\twith spaces"})
    assert replaced.headers["x-request-id"] != "bad id\twith spaces"


async def test_introspection_is_off_outside_development(gql: GraphQLClient, viewer: Actor) -> None:
    response = await gql.post("{ __schema { queryType { name } } }", actor=viewer)
    assert response.json()["data"] is None and "introspection" in response.json()["errors"][0]["message"].lower()
