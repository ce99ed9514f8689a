"""Subscriptions end to end with the `gql` client: live events, resuming, updates and the feed."""

from __future__ import annotations

import asyncio
import signal
from typing import Any

import httpx
from gql import Client, gql
from gql.transport.websockets import WebsocketsTransport

from app.ids import to_global_id
from app.incidents import service
from app.incidents.enums import Severity
from tests.api.graphql.ws.conftest import closed_with, connect, init
from tests.conftest import Actor, Backend
from tests.contract import document
from tests.live import LiveServer, live_server


def client(server: LiveServer, actor: Actor, protocol: str = "graphql-transport-ws") -> Client:
    transport = WebsocketsTransport(
        url=server.ws_url,
        init_payload={"authorization": f"Bearer {actor.token}"},
        subprotocols=[protocol],  # type: ignore[list-item]
    )
    return Client(transport=transport)


async def mutate(server: LiveServer, actor: Actor, operation: str, **input: Any) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=server.url, headers=actor.headers, timeout=10) as http:
        response = await http.post("/graphql", json={"query": document(operation), "variables": {"input": input}})
    body = response.json()
    assert "errors" not in body, body
    return next(iter(body["data"].values()))


async def note(server: LiveServer, actor: Actor, incident_id: str, body: str) -> int:
    result = await mutate(server, actor, "AddTimelineNote", incidentId=incident_id, body=body)
    return int(result["event"]["sequence"])


async def declared(actor: Actor) -> str:
    incident = await service.declare_incident(actor=actor.principal, title="Live", severity=Severity.SEV2)
    return to_global_id("Incident", incident.id)


async def collect(session: Any, query: str, variables: dict[str, Any], count: int, into: list[Any]) -> None:
    async for result in session.subscribe(gql(query), variable_values=variables):
        into.append(result)
        if len(into) == count:
            return


async def test_subscribe_mutate_receive(server: LiveServer, responder: Actor, viewer: Actor) -> None:
    incident_id = await declared(responder)
    received: list[Any] = []
    async with client(server, viewer) as session:
        task = asyncio.create_task(
            collect(session, document("IncidentTimeline"), {"incidentId": incident_id}, 3, received)
        )
        await asyncio.sleep(0.5)
        for n in range(3):
            await note(server, responder, incident_id, f"note {n}")
        await asyncio.wait_for(task, 10)
    events = [r["incidentTimeline"] for r in received]
    assert [e["sequence"] for e in events] == [2, 3, 4]
    assert [e["message"] for e in events] == ["note 0", "note 1", "note 2"]
    assert events[0]["actor"]["name"] == "Responder User" and events[0]["kind"] == "NOTE"


async def test_resume_after_disconnect_gets_exactly_the_missed_events(
    server: LiveServer, responder: Actor, viewer: Actor
) -> None:
    incident_id = await declared(responder)
    first: list[Any] = []
    async with client(server, viewer) as session:
        task = asyncio.create_task(
            collect(session, document("IncidentTimeline"), {"incidentId": incident_id, "afterSequence": 0}, 3, first)
        )
        await asyncio.sleep(0.3)
        await note(server, responder, incident_id, "a")
        await note(server, responder, incident_id, "b")
        await asyncio.wait_for(task, 10)
    last_seen = first[-1]["incidentTimeline"]["sequence"]
    assert last_seen == 3
    for body in ("missed 1", "missed 2", "missed 3"):
        await note(server, responder, incident_id, body)  # while disconnected
    resumed: list[Any] = []
    async with client(server, viewer, "graphql-ws") as session:
        task = asyncio.create_task(
            collect(
                session,
                document("IncidentTimeline"),
                {"incidentId": incident_id, "afterSequence": last_seen},
                4,
                resumed,
            )
        )
        await asyncio.sleep(0.5)
        await note(server, responder, incident_id, "live again")
        await asyncio.wait_for(task, 10)
    assert [(r["incidentTimeline"]["sequence"], r["incidentTimeline"]["message"]) for r in resumed] == [
        (4, "missed 1"),
        (5, "missed 2"),
        (6, "missed 3"),
        (7, "live again"),
    ]


async def test_incident_updated_and_feed(server: LiveServer, responder: Actor, viewer: Actor) -> None:
    incident_id = await declared(responder)
    updates: list[Any] = []
    feed: list[Any] = []
    async with client(server, viewer) as a, client(server, viewer) as b:
        updated = asyncio.create_task(collect(a, document("IncidentUpdated"), {"incidentId": incident_id}, 2, updates))
        feeding = asyncio.create_task(collect(b, document("IncidentFeed"), {}, 3, feed))
        await asyncio.sleep(0.5)
        await note(server, responder, incident_id, "notes are not updates")
        await mutate(server, responder, "ChangeIncidentSeverity", incidentId=incident_id, severity="SEV1")
        await mutate(server, responder, "UpdateIncidentStatus", incidentId=incident_id, status="RESOLVED")
        await mutate(server, responder, "DeclareIncident", title="Another", severity="SEV4")
        await asyncio.wait_for(asyncio.gather(updated, feeding), 10)
    assert [(u["incidentUpdated"]["severity"], u["incidentUpdated"]["status"]) for u in updates] == [
        ("SEV1", "TRIAGE"),
        ("SEV1", "RESOLVED"),
    ]
    assert [(f["incidentFeed"]["kind"], f["incidentFeed"]["incident"]["title"]) for f in feed] == [
        ("SEVERITY_CHANGED", "Live"),
        ("RESOLVED", "Live"),
        ("DECLARED", "Another"),
    ]


async def test_private_incidents_stay_out_of_other_viewers_feeds(
    server: LiveServer, responder: Actor, viewer: Actor
) -> None:
    feed: list[Any] = []
    async with client(server, viewer) as session:
        task = asyncio.create_task(collect(session, document("IncidentFeed"), {}, 1, feed))
        await asyncio.sleep(0.5)
        await mutate(server, responder, "DeclareIncident", title="Secret", severity="SEV1", private=True)
        await mutate(server, responder, "DeclareIncident", title="Public", severity="SEV3")
        await asyncio.wait_for(task, 10)
    assert [f["incidentFeed"]["incident"]["title"] for f in feed] == ["Public"]


async def test_sigterm_closes_sockets_with_1001(
    backend: Backend, clean_db: object, viewer: Actor, tmp_path: Any
) -> None:
    with live_server(backend.url, tmp_path) as own:
        async with await connect(own) as ws:
            await init(ws, viewer.token)
            own.process.send_signal(signal.SIGTERM)
            code, _ = await closed_with(ws, timeout=10)
        assert code == 1001
        assert own.process.wait(timeout=20) in (0, -signal.SIGTERM)  # uvicorn re-raises the signal once done
        assert "Application shutdown complete" in own.log()


async def test_incident_updates_show_relations_as_of_each_change(
    server: LiveServer, responder: Actor, viewer: Actor
) -> None:
    incident_id = await declared(responder)
    updates: list[Any] = []
    async with client(server, viewer) as session:
        task = asyncio.create_task(
            collect(session, document("IncidentUpdated"), {"incidentId": incident_id}, 2, updates)
        )
        await asyncio.sleep(0.5)
        await mutate(
            server, responder, "AssignIncidentRole", incidentId=incident_id, role="SCRIBE", userId=responder.global_id
        )
        await mutate(server, responder, "UnassignIncidentRole", incidentId=incident_id, role="SCRIBE")
        await asyncio.wait_for(task, 10)
    assert [[r["role"] for r in u["incidentUpdated"]["roles"]] for u in updates] == [["SCRIBE"], []]
