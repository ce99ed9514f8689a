"""A token cannot mint a token with more powers than it has (its scopes cap what it grants)."""

from __future__ import annotations

from app.identity import service as identity
from app.identity.models import ApiToken
from app.ids import to_global_id
from tests.conftest import Actor, GraphQLClient

CREATE = "mutation($input: CreateApiTokenInput!) { createApiToken(input: $input) { token apiToken { id scopes } errors { code field } } }"


async def test_a_read_only_token_cannot_mint_a_wider_one(gql: GraphQLClient, admin: Actor) -> None:
    narrow = (await identity.create_token(user_id=admin.user_id, name="dashboard", scopes=["read"])).secret
    headers = {"Authorization": f"Bearer {narrow}"}
    user = to_global_id("User", admin.user_id)

    for scopes in (["READ", "ADMIN"], ["WRITE"]):
        refused = (await gql.post(CREATE, {"input": {"userId": user, "name": "wider", "scopes": scopes}}, headers=headers)).json()
        assert refused["data"]["createApiToken"] == {"token": None, "apiToken": None, "errors": [{"code": "FORBIDDEN", "field": "scopes"}]}

    same = (await gql.post(CREATE, {"input": {"userId": user, "name": "copy"}}, headers=headers)).json()["data"]["createApiToken"]
    assert same["errors"] == [] and same["apiToken"]["scopes"] == ["READ"]
    assert await ApiToken.filter(name__in=["wider"]).count() == 0
    assert (await identity.authenticate(same["token"])).scopes == {"read"}


async def test_a_full_token_still_grants_every_scope(gql: GraphQLClient, responder: Actor) -> None:
    data = await gql.execute(CREATE, {"input": {"userId": responder.global_id, "name": "laptop"}}, actor=responder)
    assert data["createApiToken"]["apiToken"]["scopes"] == ["READ", "WRITE", "ADMIN"]
