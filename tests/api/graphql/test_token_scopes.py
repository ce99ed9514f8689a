"""Token scopes over the API: a read-only token runs no mutation at all, a token never issues
one wider than itself or for someone else (unless an admin acting with the `admin` scope), and
an integration's routing key is no bearer token."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from app import clock
from app.alerts import integrations
from app.alerts.enums import IntegrationKind
from app.catalog import service as catalog
from app.errors import DomainError, ErrorCode
from app.identity import service as identity
from app.identity.models import ApiToken, Role
from app.identity.policy import Action, Principal, grantable_scopes, require_token_manager
from app.ids import to_global_id
from tests.conftest import Actor, GraphQLClient, make_actor

CREATE = """mutation($input: CreateApiTokenInput!) {
  createApiToken(input: $input) { token apiToken { id scopes } errors { code field message } }
}"""
REVOKE = "mutation($id: ID!) { revokeApiToken(input: {apiTokenId: $id}) { apiToken { revokedAt } errors { code } } }"


async def scoped(actor: Actor, *scopes: str) -> Actor:
    issued = await identity.create_token(user_id=actor.user_id, name="scoped", scopes=list(scopes))
    principal = Principal(
        user_id=actor.user_id, role=actor.principal.role, token_id=issued.token.id, scopes=frozenset(scopes)
    )
    return Actor(principal, issued.secret, actor.user_id, actor.global_id)


async def create(gql: GraphQLClient, actor: Actor, **fields: Any) -> dict[str, Any]:
    fields.setdefault("userId", actor.global_id)
    fields.setdefault("name", "new")
    return (await gql.execute(CREATE, {"input": fields}, actor=actor))["createApiToken"]  # type: ignore[no-any-return]


async def test_a_read_only_token_runs_no_mutation(gql: GraphQLClient, admin: Actor) -> None:
    reader = await scoped(admin, "read")
    assert (await gql.execute("{ viewer { email } }", actor=reader))["viewer"]["email"] == "admin@example.com"
    refused = await create(gql, reader, scopes=["READ"])
    assert refused["token"] is None and [e["code"] for e in refused["errors"]] == ["FORBIDDEN"]
    assert "scopes: read" in refused["errors"][0]["message"]
    revoke = await gql.execute(REVOKE, {"id": to_global_id("ApiToken", reader.principal.token_id or 0)}, actor=reader)
    assert revoke["revokeApiToken"]["errors"] == [{"code": "FORBIDDEN"}]
    for mutation in (
        'mutation { createService(input: {name: "Checkout"}) { errors { code } } }',
        'mutation { declareIncident(input: {title: "x", severity: SEV3}) { errors { code } } }',
        'mutation { createUser(input: {email: "a@b.co", name: "A", role: VIEWER}) { errors { code } } }',
    ):
        data = await gql.execute(mutation, actor=reader)
        assert next(iter(data.values()))["errors"] == [{"code": "FORBIDDEN"}], mutation
    assert await ApiToken.all().count() == 2  # the fixture's and the read-only one: nothing was issued


async def test_a_token_never_issues_a_wider_one(gql: GraphQLClient, responder: Actor) -> None:
    writer = await scoped(responder, "read", "write")
    wider = await create(gql, writer, scopes=["READ", "ADMIN"])
    assert [(e["code"], e["field"]) for e in wider["errors"]] == [("FORBIDDEN", "scopes")]
    same = await create(gql, writer, scopes=["WRITE"])
    assert same["errors"] == [] and same["apiToken"]["scopes"] == ["WRITE"]
    default = await create(gql, writer)  # by default a new token has the scopes of the one asking
    assert default["errors"] == [] and default["apiToken"]["scopes"] == ["READ", "WRITE"]
    narrowed = await identity.authenticate(default["token"])
    assert narrowed.scopes == frozenset({"read", "write"}) and not narrowed.allows(Action.ADMIN)


async def test_only_an_admin_with_the_admin_scope_issues_tokens_for_others(
    gql: GraphQLClient, admin: Actor, responder: Actor, viewer: Actor
) -> None:
    for actor in (responder, viewer, await scoped(admin, "read", "write")):
        refused = await create(
            gql, actor, userId=admin.global_id if actor.user_id != admin.user_id else viewer.global_id
        )
        assert [(e["code"], e["field"]) for e in refused["errors"]] == [("FORBIDDEN", "userId")], actor.principal
    issued = await create(gql, admin, userId=viewer.global_id, scopes=["READ"])
    assert issued["errors"] == [] and (await identity.authenticate(issued["token"])).user_id == viewer.user_id
    own = await create(gql, viewer)  # anyone may issue their own, within their token
    assert own["errors"] == [] and (await identity.authenticate(own["token"])).allows(Action.WRITE)


@pytest.mark.parametrize(
    ("scopes", "requested", "granted"),
    [
        (frozenset({"admin"}), ["write", "read"], frozenset({"write", "read"})),  # admin covers the others
        (frozenset({"write"}), ["read"], frozenset({"read"})),
        (frozenset({"write"}), None, frozenset({"write"})),
    ],
)
def test_token_grants_are_decided_by_the_policy(
    scopes: frozenset[str], requested: list[str] | None, granted: frozenset[str]
) -> None:
    principal = Principal(user_id=1, role=Role.ADMIN, token_id=1, scopes=scopes)
    assert grantable_scopes(principal, requested) == granted


def test_a_read_token_manages_no_token() -> None:
    with pytest.raises(DomainError) as raised:
        require_token_manager(Principal(user_id=1, role=Role.ADMIN, scopes=frozenset({"read"})), 1, field="userId")
    assert raised.value.code is ErrorCode.FORBIDDEN


async def test_a_full_token_still_grants_every_scope(gql: GraphQLClient, responder: Actor) -> None:
    data = await gql.execute(CREATE, {"input": {"userId": responder.global_id, "name": "laptop"}}, actor=responder)
    assert data["createApiToken"]["apiToken"]["scopes"] == ["READ", "WRITE", "ADMIN"]


async def test_a_routing_key_is_no_bearer_token(gql: GraphQLClient, admin: Actor) -> None:
    service = await catalog.create_service(name="Checkout")
    created = await integrations.create_integration(
        actor=admin.principal, service_id=service.id, kind=IntegrationKind.GENERIC, name="x"
    )
    key = created.key
    for header in (f"Bearer {key}", f"Bearer fbk_{key}"):
        response = await gql.post("{ viewer { email } }", headers={"Authorization": header})
        assert response.status_code == 401, header
        markdown = await gql.http.get("/postmortems/UG9zdG1vcnRlbTox.md", headers={"Authorization": header})
        assert markdown.status_code == 401
    delivered = await gql.http.post(f"/integrations/generic/{key}", json={"title": "Disk full"})
    assert delivered.status_code == 200  # what the key is for
    as_key = await gql.http.post(f"/integrations/generic/{admin.token}", json={"title": "Disk full"})
    assert as_key.status_code == 404  # and a bearer token is no routing key
    other = await make_actor(Role.VIEWER)
    assert (await gql.post("{ viewer { email } }", actor=other)).status_code == 200


async def test_a_short_lived_token_cannot_mint_a_lasting_one(gql: GraphQLClient, responder: Actor) -> None:
    ends = (clock.now() + timedelta(hours=1)).replace(microsecond=0)
    issued = await identity.create_token(user_id=responder.user_id, name="brief", expires_at=ends)
    brief = Actor(await identity.authenticate(issued.secret), issued.secret, responder.user_id, responder.global_id)
    later = (ends + timedelta(days=30)).isoformat()
    refused = await create(gql, brief, expiresAt=later)
    assert [(e["code"], e["field"]) for e in refused["errors"]] == [("FORBIDDEN", "expiresAt")]
    inherited = await create(gql, brief)  # by default it ends with the token that made it
    assert inherited["errors"] == [] and (await identity.authenticate(inherited["token"])).expires_at == ends
    sooner = await create(gql, brief, expiresAt=(ends - timedelta(minutes=30)).isoformat())
    assert sooner["errors"] == []
    lasting = await create(gql, responder, expiresAt=later)  # a token without expiry may set any
    assert lasting["errors"] == []
