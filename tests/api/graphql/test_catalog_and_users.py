"""Services and users lists: creation order, cursors, totals, and who may read them."""

from __future__ import annotations

from app.catalog import service as catalog
from tests.conftest import Actor, GraphQLClient
from tests.contract import document


async def test_services_page_in_creation_order(gql: GraphQLClient, viewer: Actor) -> None:
    for name in ("checkout", "payments", "search"):
        await catalog.create_service(name=name, owner_team="team-" + name)
    first = (await gql.execute(document("Services"), {"first": 2}, actor=viewer))["services"]
    assert [e["node"]["name"] for e in first["edges"]] == ["checkout", "payments"]
    assert first["totalCount"] == 3 and first["pageInfo"]["hasNextPage"] is True
    rest = (
        await gql.execute(document("Services"), {"first": 2, "after": first["pageInfo"]["endCursor"]}, actor=viewer)
    )["services"]
    assert [e["node"]["ownerTeam"] for e in rest["edges"]] == ["team-search"] and rest["pageInfo"][
        "hasNextPage"
    ] is False


async def test_users_page(gql: GraphQLClient, admin: Actor, viewer: Actor) -> None:
    data = (await gql.execute(document("Users"), {"first": 1}, actor=viewer))["users"]
    assert data["totalCount"] == 2 and [e["node"]["email"] for e in data["edges"]] == ["admin@example.com"]
    nxt = (await gql.execute(document("Users"), {"after": data["pageInfo"]["endCursor"]}, actor=viewer))["users"]
    assert [e["node"]["role"] for e in nxt["edges"]] == ["VIEWER"]
    bad = await gql.post(document("Users"), {"after": "zzz"}, actor=viewer)
    assert bad.json()["errors"][0]["extensions"] == {"code": "VALIDATION", "field": "after"}
