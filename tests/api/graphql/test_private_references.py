"""A visible incident's timeline never names a private incident its reader may not see: merges
and alerts moved between incidents say "another incident" to them (in the message and the
data), whichever way they went, in queries and in the live timeline alike."""

from __future__ import annotations

import asyncio
from typing import Any

from app.alerts import service as alerts
from app.alerts.enums import AlertSeverity
from app.api.graphql.context import Context
from app.catalog import service as catalog
from app.ids import to_global_id
from app.incidents import service as incidents
from app.incidents.enums import Severity
from app.incidents.timeline import without_other_incident
from tests.conftest import Actor, GraphQLClient

TIMELINE = """query($id: ID!) { incident(id: $id) { mergedInto { id } timeline(first: 50) { edges { node { id kind message data } } } } }"""
LIVE = "subscription($id: ID!) { incidentTimeline(incidentId: $id, afterSequence: 0) { kind message data } }"


async def events(gql: GraphQLClient, actor: Actor, incident_pk: int) -> tuple[str, dict[str, Any]]:
    data = await gql.execute(TIMELINE, {"id": to_global_id("Incident", incident_pk)}, actor=actor)
    return str(data), data["incident"]


async def live(gql: GraphQLClient, actor: Actor, incident_pk: int, count: int) -> str:
    schema = gql.http._transport.app.state.schema  # type: ignore[attr-defined]
    stream = await schema.subscribe(
        LIVE, variable_values={"id": to_global_id("Incident", incident_pk)}, context_value=Context(actor.principal, "r")
    )
    try:
        return str([(await asyncio.wait_for(stream.__anext__(), 5)).data for _ in range(count)])
    finally:
        await stream.aclose()


async def test_merges_do_not_name_a_private_incident(
    gql: GraphQLClient, admin: Actor, responder: Actor, viewer: Actor
) -> None:
    public = await incidents.declare_incident(
        actor=responder.principal, title="Checkout errors", severity=Severity.SEV3
    )
    secret = await incidents.declare_incident(
        actor=admin.principal, title="Breach", severity=Severity.SEV1, private=True
    )
    await incidents.merge_incident(actor=admin.principal, incident_id=public.id, into_incident_id=secret.id)
    hidden = (secret.reference, to_global_id("Incident", secret.id))

    text, incident = await events(gql, viewer, public.id)
    assert incident["mergedInto"] is None and not any(h in text for h in hidden)
    merged = next(e["node"] for e in incident["timeline"]["edges"] if e["node"]["kind"] == "MERGED")
    assert merged["message"] == "Merged into another incident" and merged["data"]["intoIncidentId"] is None
    streamed = await live(gql, viewer, public.id, 2)
    assert "Merged into another incident" in streamed and not any(h in streamed for h in hidden)
    text, incident = await events(gql, admin, public.id)  # who may see it reads the reference
    assert secret.reference in text and incident["mergedInto"] == {"id": hidden[1]}


async def test_a_private_incident_merged_into_a_public_one_is_not_named(
    gql: GraphQLClient, admin: Actor, responder: Actor, viewer: Actor
) -> None:
    public = await incidents.declare_incident(
        actor=responder.principal, title="Checkout errors", severity=Severity.SEV3
    )
    secret = await incidents.declare_incident(
        actor=admin.principal, title="Breach", severity=Severity.SEV1, private=True
    )
    await incidents.merge_incident(actor=admin.principal, incident_id=secret.id, into_incident_id=public.id)
    text, incident = await events(gql, viewer, public.id)
    assert secret.reference not in text and to_global_id("Incident", secret.id) not in text
    merged_in = next(e["node"] for e in incident["timeline"]["edges"] if e["node"]["kind"] == "INCIDENT_MERGED_IN")
    assert merged_in["message"] == "Another incident merged into this incident"
    assert secret.reference in (await events(gql, admin, public.id))[0]


async def test_alerts_moved_to_or_from_a_private_incident_do_not_name_it(
    gql: GraphQLClient, admin: Actor, responder: Actor, viewer: Actor
) -> None:
    service = await catalog.create_service(name="Checkout")
    alert = await alerts.report_problem(
        actor=responder.principal, service_id=service.id, summary="5xx", severity=AlertSeverity.INFO
    )
    public = await incidents.declare_incident(
        actor=responder.principal, title="Checkout errors", severity=Severity.SEV3
    )
    secret = await incidents.declare_incident(
        actor=admin.principal, title="Breach", severity=Severity.SEV1, private=True
    )
    await alerts.attach(actor=responder.principal, alert_id=alert.id, incident_id=public.id)
    await alerts.attach(actor=admin.principal, alert_id=alert.id, incident_id=secret.id)  # moved out of the public one
    other = await incidents.declare_incident(actor=responder.principal, title="Other", severity=Severity.SEV3)
    second = await alerts.report_problem(
        actor=responder.principal, service_id=service.id, summary="slow", severity=AlertSeverity.INFO
    )
    await alerts.attach(actor=admin.principal, alert_id=second.id, incident_id=secret.id)
    await alerts.attach(actor=admin.principal, alert_id=second.id, incident_id=other.id)  # moved out of the private one
    for incident in (public, other):
        text, _ = await events(gql, viewer, incident.id)
        assert secret.reference not in text and to_global_id("Incident", secret.id) not in text, incident.reference
        assert secret.reference in (await events(gql, admin, incident.id))[0]
    assert "Alert moved to another incident: 5xx" in (await events(gql, viewer, public.id))[0]


def test_redaction_keeps_everything_but_the_other_incident() -> None:
    data = {"from": "TRIAGE", "to": "MERGED", "intoIncidentId": "SW5jaWRlbnQ6Nw", "intoReference": "INC-7"}
    assert without_other_incident("MERGED", "Merged into INC-7", data) == (
        "Merged into another incident",
        {"from": "TRIAGE", "to": "MERGED", "intoIncidentId": None, "intoReference": None},
    )
    assert without_other_incident("NOTE", "INC-7 is related", {"x": 1}) == ("INC-7 is related", {"x": 1})


async def test_a_postmortem_highlighting_a_merge_does_not_name_the_private_incident(
    gql: GraphQLClient, admin: Actor, responder: Actor, viewer: Actor
) -> None:
    from app.incidents.models import TimelineEvent
    from app.postmortems import curation
    from app.postmortems import service as postmortems

    public = await incidents.declare_incident(
        actor=responder.principal, title="Checkout errors", severity=Severity.SEV3
    )
    secret = await incidents.declare_incident(
        actor=admin.principal, title="Breach", severity=Severity.SEV1, private=True
    )
    await incidents.merge_incident(actor=admin.principal, incident_id=secret.id, into_incident_id=public.id)
    postmortem = await postmortems.create_postmortem(actor=responder.principal, incident_id=public.id)
    event = await TimelineEvent.get(incident_id=public.id, kind="INCIDENT_MERGED_IN")
    await curation.highlight_event(actor=responder.principal, postmortem_id=postmortem.id, event_id=event.id)
    postmortem_id = to_global_id("Postmortem", postmortem.id)
    query = "query($id: ID!) { postmortem(id: $id) { markdown timeline { text event { message } } } }"
    for actor, named in ((viewer, False), (admin, True)):
        data = await gql.execute(query, {"id": postmortem_id}, actor=actor)
        exported = (await gql.http.get(f"/postmortems/{postmortem_id}.md", headers=actor.headers)).text
        for text in (str(data), exported):
            assert (secret.reference in text) is named, (actor.principal.role, text)
        if not named:
            assert "Another incident merged into this incident" in exported
