"""The status page over GraphQL: the public query and subscription without a token, the
mutations through the contract operations, and incident status updates."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from app import clock
from app.api.graphql.context import Context
from app.statuspage.cache import public_cache
from tests.conftest import Actor, GraphQLClient
from tests.contract import document


async def run(gql: GraphQLClient, operation: str, actor: Actor, /, **input: Any) -> dict[str, Any]:
    data = await gql.execute(document(operation), {"input": input}, actor=actor)
    return next(iter(data.values()))


def codes(result: dict[str, Any]) -> list[tuple[str, str | None]]:
    return [(e["code"], e["field"]) for e in result["errors"]]


async def declare(gql: GraphQLClient, actor: Actor, **fields: Any) -> dict[str, Any]:
    result = await run(
        gql, "DeclareIncident", actor, **{"title": "Internal: cache stampede", "severity": "SEV2", **fields}
    )
    return result["incident"]


async def test_status_page_flow(gql: GraphQLClient, admin: Actor, responder: Actor, viewer: Actor) -> None:
    service = (await run(gql, "CreateService", admin, name="api-gateway"))["service"]
    group = (await run(gql, "CreateComponentGroup", admin, name="Core", position=1))["group"]
    api = (await run(gql, "CreateStatusComponent", admin, name="API", groupId=group["id"], serviceId=service["id"]))[
        "component"
    ]
    assert api["group"]["name"] == "Core" and api["service"]["name"] == "api-gateway" and api["status"] == "OPERATIONAL"
    assert len(api["uptime"]["days"]) == 90
    incident = await declare(gql, responder)
    posted = await run(
        gql, "PostStatusUpdate", responder, incidentId=incident["id"], message="Internal only", audience="INTERNAL"
    )
    assert posted["errors"] == [] and posted["incident"]["publicStatus"] is None
    posted = await run(
        gql,
        "PostStatusUpdate",
        responder,
        incidentId=incident["id"],
        message="We see errors",
        audience="PUBLIC",
        publicTitle="API errors",
        componentImpacts=[{"componentId": api["id"], "status": "MAJOR_OUTAGE"}],
    )
    assert posted["errors"] == [] and posted["incident"] == {
        "id": incident["id"],
        "publicTitle": "API errors",
        "publicStatus": "INVESTIGATING",
    }
    update = posted["statusUpdate"]
    assert (update["audience"], update["publicStatus"], update["author"]["id"]) == (
        "PUBLIC",
        "INVESTIGATING",
        responder.global_id,
    )
    assert update["componentImpacts"] == [
        {"componentId": api["id"], "name": "API", "oldStatus": "OPERATIONAL", "newStatus": "MAJOR_OUTAGE"}
    ]

    page = (await gql.post(document("StatusPage"))).json()  # no token
    assert "errors" not in page
    page = page["data"]["statusPage"]
    assert (page["indicator"], page["description"]) == ("CRITICAL", "Major System Outage")
    [public] = page["incidents"]
    assert public["title"] == "API errors" and [u["message"] for u in public["updates"]] == ["We see errors"]
    assert page["components"][0]["status"] == "MAJOR_OUTAGE" and page["groups"][0]["status"] == "MAJOR_OUTAGE"

    updates = await gql.execute(document("IncidentStatusUpdates"), {"id": incident["id"]}, actor=viewer)
    assert [u["audience"] for u in updates["incident"]["statusUpdates"]] == ["PUBLIC", "INTERNAL"]
    internal = await gql.execute(
        document("IncidentStatusUpdates"), {"id": incident["id"], "audience": "INTERNAL"}, actor=viewer
    )
    assert [u["message"] for u in internal["incident"]["statusUpdates"]] == ["Internal only"]
    timeline = await gql.execute(
        "query($id: ID!) { incident(id: $id) { timeline(last: 2) { nodes { kind message } } } }",
        {"id": incident["id"]},
        actor=viewer,
    )
    assert [n["kind"] for n in timeline["incident"]["timeline"]["nodes"]] == ["STATUS_UPDATE", "STATUS_UPDATE"]

    renamed = await run(
        gql, "UpdateIncidentPublicTitle", responder, incidentId=incident["id"], publicTitle="Degraded API"
    )
    assert (
        renamed["incident"]["publicTitle"] == "Degraded API"
        and renamed["incident"]["title"] == "Internal: cache stampede"
    )
    set_status = await run(
        gql, "SetStatusComponentStatus", responder, componentId=api["id"], status="DEGRADED_PERFORMANCE"
    )
    assert set_status["component"]["status"] == "DEGRADED_PERFORMANCE"
    history = (await gql.execute(document("StatusComponents"), actor=viewer))["statusComponents"][0]["statusHistory"]
    assert [(h["from"], h["to"]) for h in history] == [
        ("MAJOR_OUTAGE", "DEGRADED_PERFORMANCE"),
        ("OPERATIONAL", "MAJOR_OUTAGE"),
        (None, "OPERATIONAL"),
    ]
    assert history[0]["actor"]["id"] == responder.global_id and history[1]["incident"]["id"] == incident["id"]
    edited = await run(gql, "UpdateStatusComponent", admin, componentId=api["id"], name="Public API", groupId=None)
    assert edited["component"]["name"] == "Public API" and edited["component"]["group"] is None
    groups = await gql.execute(document("ComponentGroups"), actor=viewer)
    assert groups["componentGroups"][0]["components"] == []
    assert (await run(gql, "UpdateComponentGroup", admin, groupId=group["id"], name="Platform"))["group"][
        "name"
    ] == "Platform"
    assert (await run(gql, "DeleteComponentGroup", admin, groupId=group["id"]))["deletedId"] == group["id"]
    node = await gql.execute(document("Node"), {"id": api["id"]}, actor=viewer)
    assert node["node"]["id"] == api["id"]
    assert (await run(gql, "DeleteStatusComponent", admin, componentId=api["id"]))["deletedId"] == api["id"]

    # errors
    assert codes(await run(gql, "CreateStatusComponent", responder, name="x")) == [("FORBIDDEN", None)]
    assert codes(
        await run(gql, "PostStatusUpdate", viewer, incidentId=incident["id"], message="x", audience="PUBLIC")
    ) == [("FORBIDDEN", None)]
    assert codes(await run(gql, "PostStatusUpdate", responder, incidentId="bogus", message="x", audience="PUBLIC")) == [
        ("NOT_FOUND", "incidentId")
    ]
    private = await declare(gql, responder, private=True)
    assert codes(
        await run(gql, "PostStatusUpdate", responder, incidentId=private["id"], message="x", audience="PUBLIC")
    ) == [("VALIDATION", "audience")]
    assert codes(await run(gql, "UpdateStatusComponent", admin, componentId=api["id"], name="x")) == [
        ("NOT_FOUND", "componentId")
    ]


async def test_maintenance_mutations(gql: GraphQLClient, admin: Actor, responder: Actor, viewer: Actor) -> None:
    api = (await run(gql, "CreateStatusComponent", admin, name="API"))["component"]
    start = clock.now() + timedelta(hours=1)
    scheduled = await run(
        gql,
        "ScheduleMaintenance",
        responder,
        title="Upgrade",
        message="Upgrading the API",
        componentIds=[api["id"]],
        scheduledFor=start.isoformat(),
        scheduledUntil=(start + timedelta(hours=1)).isoformat(),
    )
    assert scheduled["errors"] == []
    m = scheduled["maintenance"]
    assert (m["status"], m["components"][0]["name"], m["updates"][0]["status"]) == ("SCHEDULED", "API", "SCHEDULED")
    moved = await run(
        gql,
        "UpdateMaintenance",
        responder,
        maintenanceId=m["id"],
        title="Upgrade v2",
        scheduledUntil=(start + timedelta(hours=2)).isoformat(),
    )
    assert (
        moved["maintenance"]["title"] == "Upgrade v2" and moved["maintenance"]["scheduledUntil"] != m["scheduledUntil"]
    )
    started = await run(gql, "PostMaintenanceUpdate", responder, maintenanceId=m["id"], status="IN_PROGRESS")
    assert started["maintenance"]["status"] == "IN_PROGRESS" and started["maintenance"]["startedAt"]
    page = (await gql.post(document("StatusPage"))).json()["data"]["statusPage"]
    assert [x["title"] for x in page["activeMaintenances"]] == ["Upgrade v2"] and page["components"][0][
        "status"
    ] == "UNDER_MAINTENANCE"
    assert codes(await run(gql, "PostMaintenanceUpdate", responder, maintenanceId=m["id"], status="SCHEDULED")) == [
        ("INVALID_TRANSITION", "status")
    ]
    done = await run(
        gql, "PostMaintenanceUpdate", responder, maintenanceId=m["id"], status="COMPLETED", message="All done"
    )
    assert done["maintenance"]["status"] == "COMPLETED" and done["maintenance"]["endedAt"]
    assert codes(await run(gql, "CancelMaintenance", responder, maintenanceId=m["id"])) == [
        ("INVALID_TRANSITION", "maintenanceId")
    ]
    other = (
        await run(
            gql,
            "ScheduleMaintenance",
            responder,
            title="Other",
            message="Later",
            componentIds=[],
            scheduledFor=(start + timedelta(days=1)).isoformat(),
            scheduledUntil=(start + timedelta(days=1, hours=1)).isoformat(),
        )
    )["maintenance"]
    cancelled = await run(gql, "CancelMaintenance", responder, maintenanceId=other["id"], message="Not needed")
    assert cancelled["maintenance"]["status"] == "CANCELLED"
    listed = await gql.execute(document("Maintenances"), {"first": 1}, actor=viewer)
    assert listed["maintenances"]["pageInfo"]["hasNextPage"] is True
    rest = await gql.execute(
        document("Maintenances"), {"first": 5, "after": listed["maintenances"]["pageInfo"]["endCursor"]}, actor=viewer
    )
    titles = [e["node"]["title"] for e in listed["maintenances"]["edges"] + rest["maintenances"]["edges"]]
    assert titles == ["Other", "Upgrade v2"]
    assert codes(
        await run(
            gql,
            "ScheduleMaintenance",
            viewer,
            title="x",
            message="y",
            componentIds=[],
            scheduledFor=start.isoformat(),
            scheduledUntil=(start + timedelta(hours=1)).isoformat(),
        )
    ) == [("FORBIDDEN", None)]


async def test_only_the_status_page_answers_without_a_token(gql: GraphQLClient, clean_db: object) -> None:
    assert (await gql.post("{ statusPage { indicator } }")).status_code == 200
    assert (await gql.post("{ statusPage { indicator } statusComponents { id } }")).status_code == 401
    response = await gql.post("{ statusPage { components { service { id } } } }")
    assert response.status_code == 200  # no components: nothing to refuse yet
    denied = await gql.post("{ maintenances { edges { cursor } } }")
    assert denied.status_code == 401


async def test_service_link_needs_a_token(gql: GraphQLClient, admin: Actor) -> None:
    await run(gql, "CreateStatusComponent", admin, name="API")
    body = (await gql.post("{ statusPage { components { name service { id } } } }")).json()
    assert body["data"] is None or body["data"]["statusPage"]["components"][0]["service"] is None
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_status_page_subscription_without_a_token(gql: GraphQLClient, admin: Actor, broker: Any) -> None:
    await run(gql, "CreateStatusComponent", admin, name="API")
    schema = gql.http._transport.app.state.schema  # type: ignore[attr-defined]
    stream = await schema.subscribe(
        document("StatusPageUpdated"), context_value=Context(principal=None, request_id="t")
    )
    first = await asyncio.wait_for(stream.__anext__(), 5)
    assert first.errors is None and first.data["statusPageUpdated"]["components"][0]["status"] == "OPERATIONAL"
    await run(
        gql,
        "SetStatusComponentStatus",
        admin,
        componentId=first.data["statusPageUpdated"]["components"][0]["id"],
        status="PARTIAL_OUTAGE",
    )
    second = await asyncio.wait_for(stream.__anext__(), 5)
    page = second.data["statusPageUpdated"]
    assert page["components"][0]["status"] == "PARTIAL_OUTAGE" and page["indicator"] == "MINOR"
    await stream.aclose()
    assert public_cache.current() is not None
