"""Incident queries: lookups, pages, filters, timeline windows, node, and the SQL bound."""

from __future__ import annotations

import logging
from typing import Any

from app.catalog import service as catalog
from app.incidents import service
from app.incidents.enums import IncidentRole, IncidentStatus, Severity
from tests.conftest import Actor, GraphQLClient
from tests.contract import document


async def seed(responder: Actor, count: int, *, notes: int = 0) -> list[Any]:
    svc = await catalog.create_service(name=f"svc-{count}")
    created = []
    for i in range(count):
        incident = await service.declare_incident(
            actor=responder.principal,
            title=f"Incident {i}" + (" database" if i % 3 == 0 else ""),
            severity=Severity.SEV1 if i % 2 else Severity.SEV3,
            service_ids=[svc.id] if i % 2 else [],
        )
        await service.assign_role(
            actor=responder.principal,
            incident_id=incident.id,
            role=IncidentRole.INCIDENT_COMMANDER,
            user_id=responder.user_id,
        )
        for n in range(notes):
            await service.add_note(actor=responder.principal, incident_id=incident.id, body=f"note {n}")
        created.append(incident)
    return created


async def test_incident_lookups(gql: GraphQLClient, responder: Actor, viewer: Actor) -> None:
    [incident] = await seed(responder, 1, notes=3)
    from app.ids import to_global_id

    gid = to_global_id("Incident", incident.id)
    data = await gql.execute(document("Incident"), {"id": gid, "timelineFirst": 2}, actor=viewer)
    timeline = data["incident"]["timeline"]
    assert [e["node"]["sequence"] for e in timeline["edges"]] == [1, 2]
    assert timeline["totalCount"] == 5 and timeline["pageInfo"]["hasNextPage"] is True
    rest = await gql.execute(
        document("Incident"), {"id": gid, "timelineAfter": timeline["pageInfo"]["endCursor"]}, actor=viewer
    )
    assert [e["node"]["sequence"] for e in rest["incident"]["timeline"]["edges"]] == [3, 4, 5]
    by_ref = await gql.execute(document("IncidentByReference"), {"reference": "inc-1"}, actor=viewer)
    assert by_ref["incidentByReference"]["id"] == gid
    for reference in ("INC-2", "INC-x", "nope", ""):
        assert (await gql.execute(document("IncidentByReference"), {"reference": reference}, actor=viewer))[
            "incidentByReference"
        ] is None
    node = await gql.execute(document("Node"), {"id": gid}, actor=viewer)
    assert node["node"]["__typename"] == "Incident" and node["node"]["reference"] == "INC-1"
    user = await gql.execute(document("Node"), {"id": viewer.global_id}, actor=viewer)
    assert user["node"]["__typename"] == "User"
    for bogus in ("", "garbage", to_global_id("Incident", 999), to_global_id("Nope", 1)):
        assert (await gql.execute(document("Node"), {"id": bogus}, actor=viewer))["node"] is None


async def test_timeline_after_sequence_and_last(gql: GraphQLClient, responder: Actor) -> None:
    [incident] = await seed(responder, 1, notes=8)
    query = "query($id: ID!, $a: Int, $l: Int) { incident(id: $id) { timeline(afterSequence: $a, last: $l) { edges { node { sequence } } pageInfo { hasNextPage hasPreviousPage } } } }"
    from app.ids import to_global_id

    gid = to_global_id("Incident", incident.id)
    after = await gql.execute(query, {"id": gid, "a": 7}, actor=responder)
    assert [e["node"]["sequence"] for e in after["incident"]["timeline"]["edges"]] == [8, 9, 10]
    last = await gql.execute(query, {"id": gid, "l": 3}, actor=responder)
    assert [e["node"]["sequence"] for e in last["incident"]["timeline"]["edges"]] == [8, 9, 10]
    assert last["incident"]["timeline"]["pageInfo"] == {"hasNextPage": False, "hasPreviousPage": True}
    beyond = await gql.execute(query, {"id": gid, "a": 10}, actor=responder)
    assert beyond["incident"]["timeline"]["edges"] == []


async def test_incident_pages_newest_first(gql: GraphQLClient, responder: Actor) -> None:
    await seed(responder, 7)
    first = await gql.execute(document("IncidentsPage"), {"first": 3}, actor=responder)
    page = first["incidents"]
    assert [e["node"]["reference"] for e in page["edges"]] == ["INC-7", "INC-6", "INC-5"]
    assert page["totalCount"] == 7 and page["pageInfo"]["hasNextPage"] is True
    seen = [e["node"]["number"] for e in page["edges"]]
    cursor = page["pageInfo"]["endCursor"]
    while cursor:
        nxt = (await gql.execute(document("IncidentsPage"), {"first": 3, "after": cursor}, actor=responder))[
            "incidents"
        ]
        seen += [e["node"]["number"] for e in nxt["edges"]]
        cursor = nxt["pageInfo"]["endCursor"] if nxt["pageInfo"]["hasNextPage"] else None
    assert seen == [7, 6, 5, 4, 3, 2, 1]


async def test_incident_filters(gql: GraphQLClient, responder: Actor) -> None:
    incidents = await seed(responder, 6)
    await service.update_status(actor=responder.principal, incident_id=incidents[0].id, status=IncidentStatus.RESOLVED)

    async def refs(flt: dict[str, Any]) -> list[str]:
        data = await gql.execute(document("IncidentsPage"), {"filter": flt}, actor=responder)
        assert data["incidents"]["totalCount"] == len(data["incidents"]["edges"])
        return [e["node"]["reference"] for e in data["incidents"]["edges"]]

    assert await refs({"severities": ["SEV1"]}) == ["INC-6", "INC-4", "INC-2"]
    assert await refs({"statuses": ["RESOLVED"]}) == ["INC-1"]
    assert await refs({"open": False}) == ["INC-1"]
    assert len(await refs({"open": True})) == 5
    assert await refs({"search": "DATABASE"}) == ["INC-4", "INC-1"]
    from app.catalog.models import Service
    from app.ids import to_global_id

    svc = await Service.first()
    assert await refs({"serviceIds": [to_global_id("Service", svc.id)]}) == ["INC-6", "INC-4", "INC-2"]
    assert await refs({"severities": ["SEV1"], "search": "database"}) == ["INC-4"]


async def test_page_size_is_bounded(gql: GraphQLClient, responder: Actor) -> None:
    response = await gql.post(document("IncidentsPage"), {"first": 101}, actor=responder)
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "VALIDATION" and error["extensions"]["field"] == "first"
    response = await gql.post(document("IncidentsPage"), {"after": "not-a-cursor"}, actor=responder)
    assert response.json()["errors"][0]["extensions"] == {"code": "VALIDATION", "field": "after"}


class _CountQueries(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.statements: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if message.lstrip().upper().startswith(("SELECT", "INSERT", "UPDATE", "DELETE", "WITH")):
            self.statements.append(message)


async def count_queries(gql: GraphQLClient, actor: Actor, variables: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    logger = logging.getLogger("tortoise.db_client")
    handler = _CountQueries()
    previous = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        data = await gql.execute(document("IncidentsPage"), variables, actor=actor)
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous)
    return len(handler.statements), data


async def test_incidents_page_query_count_does_not_grow(gql: GraphQLClient, responder: Actor) -> None:
    await seed(responder, 50, notes=6)
    await gql.execute(document("Viewer"), actor=responder)  # records the token's first use
    small, data_small = await count_queries(gql, responder, {"first": 5})
    large, data_large = await count_queries(gql, responder, {"first": 50})
    assert len(data_large["incidents"]["edges"]) == 50
    edge = data_large["incidents"]["edges"][0]["node"]
    assert [e["sequence"] for e in edge["timeline"]["nodes"]] == [4, 5, 6, 7, 8]
    assert edge["timeline"]["nodes"][0]["actor"]["name"] == "Responder User"
    assert edge["roles"][0]["user"]["name"] == "Responder User"
    # token lookup, incidents page, count, services, roles, timeline, users (actors and role holders)
    assert large == small
    assert large <= 7, large
