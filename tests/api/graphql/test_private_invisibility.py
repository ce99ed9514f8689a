"""Property: in any world of public and private incidents, a private incident exists only for
admins, its role holders and its members. For everyone else it is indistinguishable from an id
that was never used, through every path: `incident`, `node`, `incidentByReference`, lists and
their totals, search, alerts attached to it, action items, postmortems and their Markdown (over
GraphQL and HTTP), commands on it, the subscriptions to it, the incident and alert feeds, and the
public status page even when it had PUBLIC updates before it was made private."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from hypothesis import HealthCheck, given, settings

from app.alerts import service as alerts
from app.alerts.enums import AlertSeverity
from app.api.graphql import subscription_access
from app.api.graphql.context import Context
from app.catalog import service as catalog
from app.errors import DomainError
from app.ids import parse_pk, to_global_id
from app.incidents import service as incidents
from app.incidents.enums import Severity
from tests.api.graphql.private_world import SEARCH, Built, World, WorldPlan, build, worlds
from tests.conftest import Actor, Backend, GraphQLClient, make_actor, wipe
from tests.contract import document

MISSING = {
    "Incident": to_global_id("Incident", 999_999),
    "Alert": to_global_id("Alert", 999_999),
    "Postmortem": to_global_id("Postmortem", 999_999),
    "ActionItem": to_global_id("ActionItem", 999_999),
    "TimelineEvent": to_global_id("TimelineEvent", 999_999),
}
PUBLIC_PATHS = [
    "/api/v2/summary.json",
    "/api/v2/incidents.json",
    "/api/v2/incidents/unresolved.json",
    "/status/feed.atom",
    "/status",
]
LISTS = """query($search: String!) {
  incidents(first: 100) { totalCount edges { node { id } } }
  found: incidents(first: 100, filter: {search: $search}) { totalCount edges { node { id } } }
  alerts(first: 100) { totalCount edges { node { id } } }
  postmortems(first: 100) { totalCount edges { node { id } } }
  actionItems(first: 100) { totalCount edges { node { id } } }
  users(first: 50) { edges { node { actionItems { id } } } }
}"""
BY_ID = """
  i{n}: incident(id: "{id}") {{ id alerts {{ totalCount edges {{ node {{ id }} }} }} actionItems {{ id }} postmortem {{ id markdown }} }}
  n{n}: node(id: "{id}") {{ id }}
  r{n}: incidentByReference(reference: "{reference}") {{ id }}
  e{n}: node(id: "{event_id}") {{ id }}
  a{n}: alert(id: "{alert_id}") {{ id }}
  an{n}: node(id: "{alert_id}") {{ id }}
  p{n}: postmortem(id: "{postmortem_id}") {{ id markdown }}
  pn{n}: node(id: "{postmortem_id}") {{ id }}
  ai{n}: node(id: "{action_item_id}") {{ id }}
"""
NOTE = 'mutation($id: ID!) { addTimelineNote(input: {incidentId: $id, body: "peek"}) { event { sequence } errors { code message field } } }'


def ids(connection: dict[str, Any]) -> set[str]:
    return {edge["node"]["id"] for edge in connection["edges"]}


async def check_lists(gql: GraphQLClient, world: World, actor: Actor) -> None:
    data = await gql.execute(LISTS, {"search": SEARCH}, actor=actor)
    seen = [i for i in world.incidents if i.visible_to(actor)]
    expected = {i.id for i in seen}
    for key in ("incidents", "found"):
        assert ids(data[key]) == expected and data[key]["totalCount"] == len(expected), key
    for key, attr in (("alerts", "alert_id"), ("postmortems", "postmortem_id"), ("actionItems", "action_item_id")):
        wanted = {getattr(i, attr) for i in seen if getattr(i, attr)}
        assert ids(data[key]) == wanted and data[key]["totalCount"] == len(wanted), key
    owned = {item["id"] for edge in data["users"]["edges"] for item in edge["node"]["actionItems"]}
    assert owned == {i.action_item_id for i in seen if i.action_item_id}


async def check_by_id(gql: GraphQLClient, world: World, actor: Actor) -> None:
    missing = Built(-1, True, False, 999_999, MISSING["Incident"], "INC-999999", set(), MISSING["TimelineEvent"])
    targets = [*world.incidents, missing]
    for k, incident in enumerate(targets):
        query = (
            "{"
            + BY_ID.format(
                n=k,
                id=incident.id,
                reference=incident.reference,
                event_id=incident.event_id,
                alert_id=incident.alert_id or MISSING["Alert"],
                postmortem_id=incident.postmortem_id or MISSING["Postmortem"],
                action_item_id=incident.action_item_id or MISSING["ActionItem"],
            )
            + "}"
        )  # one document each: the alias limit is per document
        data = await gql.execute(query, actor=actor)
        visible = incident.number >= 0 and incident.visible_to(actor)
        present = {
            "i": True,
            "n": True,
            "r": True,
            "e": True,
            "a": bool(incident.alert_id),
            "an": bool(incident.alert_id),
            "p": bool(incident.postmortem_id),
            "pn": bool(incident.postmortem_id),
            "ai": bool(incident.action_item_id),
        }
        for prefix, exists in present.items():
            assert (data[f"{prefix}{k}"] is not None) == (visible and exists), (prefix, incident, actor.principal)
        if visible:
            body = data[f"i{k}"]
            assert ids(body["alerts"]) == ({incident.alert_id} if incident.alert_id else set())
            assert [item["id"] for item in body["actionItems"]] == (
                [incident.action_item_id] if incident.action_item_id else []
            )
            assert (body["postmortem"] or {}).get("id") == incident.postmortem_id


async def check_http_and_commands(gql: GraphQLClient, world: World, actor: Actor) -> None:
    async def markdown(postmortem_id: str) -> tuple[int, str, str | None]:
        response = await gql.http.get(f"/postmortems/{postmortem_id}.md", headers=actor.headers)
        return response.status_code, response.text, response.headers.get("content-type")

    async def note(incident_id: str) -> Any:
        return (await gql.execute(NOTE, {"id": incident_id}, actor=actor))["addTimelineNote"]

    absent_markdown = await markdown(MISSING["Postmortem"])
    absent_note = await note(MISSING["Incident"])
    assert absent_markdown[0] == 404 and absent_note["event"] is None
    for incident in world.incidents:
        if incident.visible_to(actor):
            if incident.postmortem_id:
                assert (await markdown(incident.postmortem_id))[0] == 200
            continue
        if incident.postmortem_id:
            assert await markdown(incident.postmortem_id) == absent_markdown
        assert await note(incident.id) == absent_note


async def first_result(stream: Any) -> Any:
    """What a subscription answers first: its first result, or the error that stopped it."""
    if not hasattr(stream, "__anext__"):
        return stream.errors[0].formatted if stream.errors else stream.data
    try:
        result = await asyncio.wait_for(stream.__anext__(), 0.05)
    except TimeoutError:
        return "streaming"
    finally:
        await stream.aclose()
    return result.errors[0].formatted if result.errors else "data"


async def check_subscriptions(schema: Any, world: World, actor: Actor) -> None:
    documents = {
        "incidentTimeline": (
            "subscription($id: ID!) { incidentTimeline(incidentId: $id, afterSequence: 0) { sequence } }",
            "Incident",
        ),
        "incidentUpdated": ("subscription($id: ID!) { incidentUpdated(incidentId: $id) { id } }", "Incident"),
        "postmortemUpdated": (
            "subscription($id: ID!) { postmortemUpdated(postmortemId: $id) { __typename } }",
            "Postmortem",
        ),
    }

    async def attempt(field: str, global_id: str) -> tuple[Any, Any]:
        text, _ = documents[field]
        argument = "postmortemId" if field == "postmortemUpdated" else "incidentId"
        try:  # what the websocket transport checks before it joins a stream
            authorized: Any = await subscription_access.audience(
                field, actor.principal, {argument: global_id}, public=False
            )
            authorized = "allowed"
        except DomainError as error:
            authorized = (error.code, error.message, error.field)
        stream = await schema.subscribe(
            text, variable_values={"id": global_id}, context_value=Context(actor.principal, "p")
        )
        return authorized, await first_result(stream)

    for field, (_, kind) in documents.items():
        absent = await attempt(field, MISSING[kind])
        assert absent[0] != "allowed"
        for incident in world.incidents:
            global_id = incident.id if kind == "Incident" else incident.postmortem_id
            if global_id is None:
                continue
            answer = await attempt(field, global_id)
            if incident.visible_to(actor):
                assert answer[0] == "allowed" and answer[1] in ("data", "streaming"), (field, answer)
            else:
                assert answer == absent, (field, incident)


async def collect(stream: Any, first: asyncio.Future[Any], until: str, path: tuple[str, str]) -> set[str]:
    """Ids the stream carries (from its pending first result on), up to and including `until`."""
    seen: set[str] = set()
    next_result: Any = first
    while until not in seen:
        result = await asyncio.wait_for(next_result, 5)
        assert result.errors is None, result.errors
        seen.add(result.data[path[0]][path[1]]["id"])
        next_result = stream.__anext__()
    return seen


async def check_feeds(schema: Any, world: World) -> None:
    feeds: list[tuple[Actor, AsyncIterator[Any], AsyncIterator[Any]]] = []
    for actor in world.everyone:
        context = Context(actor.principal, "f")
        incident_feed = await schema.subscribe(
            "subscription { incidentFeed { incident { id } } }", context_value=context
        )
        alert_feed = await schema.subscribe("subscription { alertFeed { alert { id } } }", context_value=context)
        feeds.append((actor, incident_feed, alert_feed))
    firsts = {id(s): asyncio.ensure_future(s.__anext__()) for _, i, a in feeds for s in (i, a)}  # start listening
    await asyncio.sleep(0.05)
    owner = world.owner.principal
    for incident in world.incidents:
        await incidents.change_severity(actor=owner, incident_id=incident.pk, severity=Severity.SEV2)
        if incident.alert_id:
            await alerts.acknowledge(actor=owner, alert_id=parse_pk(incident.alert_id, "Alert") or 0)
    sentinel = await incidents.declare_incident(actor=owner, title="Sentinel", severity=Severity.SEV4)
    service = await catalog.create_service(name="sentinel")
    alert = await alerts.report_problem(
        actor=owner, service_id=service.id, summary="Sentinel", severity=AlertSeverity.INFO
    )
    incident_end, alert_end = to_global_id("Incident", sentinel.id), to_global_id("Alert", alert.id)
    try:
        for actor, incident_feed, alert_feed in feeds:
            visible = [i for i in world.incidents if i.visible_to(actor)]
            carried = await collect(
                incident_feed, firsts[id(incident_feed)], incident_end, ("incidentFeed", "incident")
            )
            assert carried == {i.id for i in visible} | {incident_end}
            wanted = {i.alert_id for i in visible if i.alert_id} | {alert_end}
            assert await collect(alert_feed, firsts[id(alert_feed)], alert_end, ("alertFeed", "alert")) == wanted
    finally:
        for task in firsts.values():
            task.cancel()
        for _, incident_feed, alert_feed in feeds:
            await incident_feed.aclose()  # type: ignore[attr-defined]
            await alert_feed.aclose()  # type: ignore[attr-defined]


async def check_status_page(gql: GraphQLClient, world: World) -> None:
    outputs = {path: (await gql.http.get(path)).text for path in PUBLIC_PATHS}
    outputs["statusPage"] = (await gql.post(document("StatusPage"))).text
    for incident in world.incidents:
        for marker in incident.markers:
            if incident.private or not marker.startswith("PUB"):
                assert all(marker not in text for text in outputs.values()), (marker, incident)
            else:
                assert marker in outputs["/api/v2/incidents.json"] and marker in outputs["statusPage"], marker


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(plan=worlds)
async def test_a_private_incident_does_not_exist_for_those_who_may_not_see_it(
    plan: WorldPlan, clean_db: Backend, gql: GraphQLClient, broker: Any
) -> None:
    await wipe(clean_db)
    world = await build(plan)
    schema = gql.http._transport.app.state.schema  # type: ignore[attr-defined]
    await check_status_page(gql, world)
    for actor in world.everyone:
        await check_lists(gql, world, actor)
        await check_by_id(gql, world, actor)
        await check_subscriptions(schema, world, actor)
        await check_http_and_commands(gql, world, actor)
    await check_feeds(schema, world)


async def test_the_world_builder_covers_every_relation(gql: GraphQLClient, clean_db: Backend) -> None:
    """A fixed world with everything at once, so a regression shows without luck."""
    from app.identity.models import Role
    from tests.api.graphql.private_world import IncidentPlan

    everything = IncidentPlan(True, True, frozenset({1}), frozenset({0}), True, True, True)
    plan = WorldPlan(
        (Role.RESPONDER, Role.VIEWER, Role.RESPONDER),
        (everything, IncidentPlan(False, True, frozenset(), frozenset(), True, True, True)),
    )
    world = await build(plan)
    outsider = world.users[2]
    assert not world.incidents[0].visible_to(outsider) and world.incidents[0].visible_to(world.users[1])
    schema = gql.http._transport.app.state.schema  # type: ignore[attr-defined]
    await check_status_page(gql, world)
    for actor in [*world.everyone, await make_actor(Role.VIEWER)]:
        await check_lists(gql, world, actor)
        await check_by_id(gql, world, actor)
        await check_subscriptions(schema, world, actor)
        await check_http_and_commands(gql, world, actor)
    await check_feeds(schema, world)
