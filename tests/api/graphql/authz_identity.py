"""Matrix rules: users and tokens, the catalog, `node` and the audit log."""

from __future__ import annotations

import uuid
from typing import Any

from tests.api.graphql.authz_rules import Access, Caller, Outcome, Private, Rule, ids, mutation
from tests.api.graphql.authz_world import World

NODE = "query($id: ID!) { node(id: $id) { id ... on Incident { title } ... on Postmortem { title } ... on ActionItem { title } ... on TimelineEvent { message } } }"
USERS = "{ users(first: 100) { totalCount edges { node { id name actionItems { title } } } } }"


async def _own_user(world: World, caller: Caller) -> dict[str, Any]:
    return {"input": {"userId": world.user_of(caller).global_id, "name": f"ci {uuid.uuid4().hex[:6]}"}}


async def _own_token(world: World, caller: Caller) -> dict[str, Any]:
    return {"input": {"apiTokenId": await world.token(world.user_of(caller))}}


async def _new_user(_world: World, _caller: Caller) -> dict[str, Any]:
    return {"input": {"email": f"new-{uuid.uuid4().hex[:8]}@example.com", "name": "New Person", "role": "VIEWER"}}


async def _new_service(_world: World, _caller: Caller) -> dict[str, Any]:
    return {"input": {"name": f"service-{uuid.uuid4().hex[:8]}"}}


def _node(key: str) -> Private:
    return Private(Outcome.NOT_FOUND, ids(id=key))


QUERIES = (
    Rule("viewer", Access.READ, "{ viewer { id name actionItems { title } } }"),
    Rule(
        "users",
        Access.READ,
        USERS,
        private=(Private(Outcome.OMITTED, ids()),),
        note="with each user's action items",
    ),
    Rule(
        "node",
        Access.READ,
        NODE,
        ids(id="incident"),
        private=tuple(_node(k) for k in ("private", "private_postmortem", "private_action_item", "private_event")),
    ),
    Rule("services", Access.READ, "{ services(first: 10) { totalCount edges { node { id name } } } }"),
    Rule(
        "auditLog",
        Access.ADMIN,
        "{ auditLog(first: 5) { edges { node { id operation outcome } } } }",
    ),
)

MUTATIONS = (
    Rule("createUser", Access.ADMIN, mutation("createUser", "CreateUserInput", "user { id }"), _new_user),
    Rule(
        "createApiToken",
        Access.OWN,
        mutation("createApiToken", "CreateApiTokenInput", "apiToken { id scopes }"),
        _own_user,
        note="for oneself, within one's own scopes; admins for anyone",
    ),
    Rule(
        "revokeApiToken",
        Access.OWN,
        mutation("revokeApiToken", "RevokeApiTokenInput", "apiToken { id }"),
        _own_token,
        note="one's own; admins anyone's",
    ),
    Rule(
        "createService", Access.ADMIN, mutation("createService", "CreateServiceInput", "service { id }"), _new_service
    ),
)

SUBSCRIPTIONS: tuple[Rule, ...] = ()
