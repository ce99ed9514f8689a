"""Matrix rules: alerts, integrations and alert rules."""

from __future__ import annotations

import uuid
from typing import Any

from tests.api.graphql.authz_rules import Access, Caller, Outcome, Private, Rule, given, ids, mutation
from tests.api.graphql.authz_world import World, gid

ALERT = "alert { id attachedAt incident { id title } }"


async def _fresh_alert(world: World, _caller: Caller) -> dict[str, Any]:
    return {"input": {"alertId": gid("Alert", await world.alert())}}


async def _private_alert(world: World, _caller: Caller) -> dict[str, Any]:
    incident = await world.incident(private=True)
    return {"input": {"alertId": gid("Alert", await world.alert(attached_to=incident.id))}}


async def _attach(world: World, _caller: Caller) -> dict[str, Any]:
    return {"input": {"alertId": gid("Alert", await world.alert()), "incidentId": world.ids["incident"]}}


async def _attach_to_private(world: World, _caller: Caller) -> dict[str, Any]:
    incident = await world.incident(private=True)
    return {"input": {"alertId": gid("Alert", await world.alert()), "incidentId": gid("Incident", incident.id)}}


async def _move_from_private(world: World, _caller: Caller) -> dict[str, Any]:
    incident = await world.incident(private=True)
    return {
        "input": {
            "alertId": gid("Alert", await world.alert(attached_to=incident.id)),
            "incidentId": world.ids["incident"],
        }
    }


async def _detach(world: World, _caller: Caller) -> dict[str, Any]:
    return {"input": {"alertId": gid("Alert", await world.alert(attached_to=world.pks["incident"]))}}


async def _integration(world: World, _caller: Caller) -> dict[str, Any]:
    return {"input": {"integrationId": await world.integration()}}


async def _new_integration(world: World, _caller: Caller) -> dict[str, Any]:
    return {"input": {"serviceId": world.ids["checkout"], "kind": "GENERIC", "name": f"Generic {uuid.uuid4().hex[:6]}"}}


QUERIES = (
    Rule(
        "alerts",
        Access.READ,
        "{ alerts(first: 100) { totalCount edges { node { id attachedAt incident { id title } } } } }",
        private=(Private(Outcome.OMITTED, ids()),),
        note="an alert attached to a private incident is left out",
    ),
    Rule(
        "alert",
        Access.READ,
        "query($id: ID!) { alert(id: $id) { id attachedAt incident { id title } } }",
        ids(id="alert"),
        private=(Private(Outcome.NOT_FOUND, ids(id="private_alert")),),
    ),
    Rule("integrations", Access.READ, "{ integrations(first: 10) { edges { node { id name } } } }"),
    Rule(
        "alertRules",
        Access.READ,
        "query($id: ID!) { alertRules(serviceId: $id) { groupingWindowMinutes } }",
        ids(id="checkout"),
    ),
)

MUTATIONS = (
    Rule(
        "createIntegration",
        Access.ADMIN,
        mutation("createIntegration", "CreateIntegrationInput", "integration { id }"),
        _new_integration,
    ),
    Rule(
        "rotateIntegrationKey",
        Access.ADMIN,
        mutation("rotateIntegrationKey", "RotateIntegrationKeyInput", "integration { id }"),
        _integration,
    ),
    Rule(
        "revokeIntegration",
        Access.ADMIN,
        mutation("revokeIntegration", "RevokeIntegrationInput", "integration { id }"),
        _integration,
    ),
    Rule(
        "updateAlertRules",
        Access.ADMIN,
        mutation("updateAlertRules", "UpdateAlertRulesInput", "alertRules { groupingWindowMinutes }"),
        given(serviceId="@checkout", groupingWindowMinutes=30),
    ),
    Rule(
        "reportProblem",
        Access.RESPOND,
        mutation("reportProblem", "ReportProblemInput", ALERT),
        given(serviceId="@alerting", summary="Checkout is slow", severity="INFO"),
        # `vault` groups its alerts into the private incident: the reporter is not told.
        private=(Private(Outcome.OMITTED, given(serviceId="@vault", summary="Odd logins", severity="ERROR")),),
    ),
    Rule(
        "acknowledgeAlert",
        Access.RESPOND,
        mutation("acknowledgeAlert", "AcknowledgeAlertInput", ALERT),
        _fresh_alert,
        private=(Private(Outcome.NOT_FOUND, _private_alert),),
    ),
    Rule(
        "resolveAlert",
        Access.RESPOND,
        mutation("resolveAlert", "ResolveAlertInput", ALERT),
        _fresh_alert,
        private=(Private(Outcome.NOT_FOUND, _private_alert),),
    ),
    Rule(
        "attachAlert",
        Access.RESPOND,
        mutation("attachAlert", "AttachAlertInput", ALERT),
        _attach,
        private=(Private(Outcome.NOT_FOUND, _attach_to_private), Private(Outcome.NOT_FOUND, _move_from_private)),
    ),
    Rule(
        "detachAlert",
        Access.RESPOND,
        mutation("detachAlert", "DetachAlertInput", ALERT),
        _detach,
        private=(Private(Outcome.NOT_FOUND, _private_alert),),
    ),
)

SUBSCRIPTIONS = (
    Rule(
        "alertFeed",
        Access.READ,
        "subscription { alertFeed { kind alert { id summary attachedAt incident { id title } } } }",
        private=(Private(Outcome.OMITTED, ids()),),
    ),
)
