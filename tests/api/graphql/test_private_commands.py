"""Commands on a private incident, or on what hangs off it, answer an outsider exactly as they
answer for an id that was never used: the same error code, message and field, and nothing
written. Checked for every mutation that names an incident, alert, postmortem, action item or
timeline event."""

from __future__ import annotations

from typing import Any

import pytest

from app.alerts import service as alerts
from app.alerts.enums import AlertSeverity
from app.catalog import service as catalog
from app.identity.models import Role
from app.ids import to_global_id
from app.incidents import service as incidents
from app.incidents.enums import Severity
from app.incidents.models import TimelineEvent
from app.postmortems import service as postmortems
from app.postmortems.action_items import service as action_items
from tests.conftest import Actor, GraphQLClient, make_actor

NEVER = 999_999
# mutation -> (input, with {incident}, {alert}, {postmortem}, {item}, {event}, {visible}, {visible_alert}, {user} filled in)
COMMANDS: dict[str, str] = {
    "updateIncidentStatus": '{incidentId: "{incident}", status: INVESTIGATING}',
    "changeIncidentSeverity": '{incidentId: "{incident}", severity: SEV1}',
    "updateIncident": '{incidentId: "{incident}", title: "peek"}',
    "assignIncidentRole": '{incidentId: "{incident}", role: SCRIBE, userId: "{user}"}',
    "unassignIncidentRole": '{incidentId: "{incident}", role: INCIDENT_COMMANDER}',
    "addTimelineNote": '{incidentId: "{incident}", body: "peek"}',
    "mergeIncident": '{incidentId: "{visible}", intoIncidentId: "{incident}"}',
    "addIncidentMember": '{incidentId: "{incident}", userId: "{user}"}',
    "removeIncidentMember": '{incidentId: "{incident}", userId: "{user}"}',
    "attachAlert": '{alertId: "{visible_alert}", incidentId: "{incident}"}',
    "acknowledgeAlert": '{alertId: "{alert}"}',
    "resolveAlert": '{alertId: "{alert}"}',
    "detachAlert": '{alertId: "{alert}"}',
    "postStatusUpdate": '{incidentId: "{incident}", message: "peek", audience: INTERNAL}',
    "updateIncidentPublicTitle": '{incidentId: "{incident}", publicTitle: "peek"}',
    "createPostmortem": '{incidentId: "{incident}"}',
    "updatePostmortem": '{postmortemId: "{postmortem}", title: "peek"}',
    "updatePostmortemStatus": '{postmortemId: "{postmortem}", status: IN_REVIEW}',
    "submitPostmortemForReview": '{postmortemId: "{postmortem}", reviewerIds: ["{user}"]}',
    "approvePostmortem": '{postmortemId: "{postmortem}"}',
    "returnPostmortemToDraft": '{postmortemId: "{postmortem}"}',
    "publishPostmortem": '{postmortemId: "{postmortem}"}',
    "reopenPostmortem": '{postmortemId: "{postmortem}"}',
    "highlightTimelineEvent": '{postmortemId: "{postmortem}", eventId: "{event}"}',
    "addPostmortemTimelineEntry": '{postmortemId: "{postmortem}", occurredAt: "2024-01-01T00:00:00Z", body: "peek"}',
    "createActionItem": '{incidentId: "{incident}", title: "peek"}',
    "updateActionItem": '{actionItemId: "{item}", title: "peek"}',
    "completeActionItem": '{actionItemId: "{item}"}',
    "linkActionItem": '{actionItemId: "{item}", provider: GITHUB, key: "a/b#1", url: "https://example.com/1"}',
    "unlinkActionItem": '{actionItemId: "{item}"}',
}


async def run(gql: GraphQLClient, actor: Actor, name: str, ids: dict[str, str]) -> Any:
    arguments = COMMANDS[name]
    for key, value in ids.items():
        arguments = arguments.replace("{" + key + "}", value)
    data = await gql.execute(
        f"mutation {{ {name}(input: {arguments}) {{ errors {{ code message field }} }} }}", actor=actor
    )
    return data[name]["errors"]


@pytest.fixture
async def world(admin: Actor, broker: object) -> dict[str, Any]:
    secret = await incidents.declare_incident(
        actor=admin.principal, title="Breach", severity=Severity.SEV1, private=True
    )
    visible = await incidents.declare_incident(actor=admin.principal, title="Public", severity=Severity.SEV3)
    checkout = await catalog.create_service(name="Checkout")
    alert = await alerts.report_problem(
        actor=admin.principal, service_id=checkout.id, summary="x", severity=AlertSeverity.INFO
    )
    await alerts.attach(actor=admin.principal, alert_id=alert.id, incident_id=secret.id)
    other = await catalog.create_service(name="Search")
    loose = await alerts.report_problem(
        actor=admin.principal, service_id=other.id, summary="y", severity=AlertSeverity.INFO
    )
    postmortem = await postmortems.create_postmortem(actor=admin.principal, incident_id=secret.id)
    visible_postmortem = await postmortems.create_postmortem(actor=admin.principal, incident_id=visible.id)
    item = await action_items.create_action_item(actor=admin.principal, incident_id=secret.id, title="Rotate keys")
    event = await TimelineEvent.get(incident_id=secret.id, sequence=1)
    return {
        "private": {
            "incident": to_global_id("Incident", secret.id),
            "alert": to_global_id("Alert", alert.id),
            "postmortem": to_global_id("Postmortem", postmortem.id),
            "item": to_global_id("ActionItem", item.id),
            "event": to_global_id("TimelineEvent", event.id),
        },
        "never": {
            "incident": to_global_id("Incident", NEVER),
            "alert": to_global_id("Alert", NEVER),
            "postmortem": to_global_id("Postmortem", NEVER),
            "item": to_global_id("ActionItem", NEVER),
            "event": to_global_id("TimelineEvent", NEVER),
        },
        "shared": {"visible": to_global_id("Incident", visible.id), "visible_alert": to_global_id("Alert", loose.id)},
        "visible_postmortem": to_global_id("Postmortem", visible_postmortem.id),
        "secret_pk": secret.id,
    }


@pytest.mark.parametrize("name", sorted(COMMANDS))
async def test_a_command_on_a_private_incident_answers_as_for_one_that_never_existed(
    gql: GraphQLClient, admin: Actor, world: dict[str, Any], name: str
) -> None:
    outsider = await make_actor(Role.RESPONDER)
    shared = {**world["shared"], "user": outsider.global_id}
    before = await TimelineEvent.filter(incident_id=world["secret_pk"]).count()
    hidden = await run(gql, outsider, name, {**world["private"], **shared})
    absent = await run(gql, outsider, name, {**world["never"], **shared})
    assert hidden and hidden == absent, (hidden, absent)
    assert await TimelineEvent.filter(incident_id=world["secret_pk"]).count() == before  # nothing written


async def test_highlighting_a_private_incidents_event_on_a_visible_postmortem(
    gql: GraphQLClient, world: dict[str, Any]
) -> None:
    outsider = await make_actor(Role.RESPONDER)
    ids = {"postmortem": world["visible_postmortem"], "user": outsider.global_id}
    hidden = await run(gql, outsider, "highlightTimelineEvent", {**ids, "event": world["private"]["event"]})
    absent = await run(gql, outsider, "highlightTimelineEvent", {**ids, "event": world["never"]["event"]})
    assert hidden and hidden == absent
