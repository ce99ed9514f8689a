"""Matrix rules: the status page, its components and groups, updates and maintenances."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from app import clock
from tests.api.graphql.authz_rules import Access, Caller, Outcome, Private, Rule, given, ids, mutation
from tests.api.graphql.authz_world import MARKER, World, gid

STATUS_PAGE = "{ statusPage { indicator incidents { title updates { message } } recentIncidents { title } } }"


async def _update_on_private(world: World, _caller: Caller) -> dict[str, Any]:
    incident = await world.incident(private=True)
    return {"input": {"incidentId": gid("Incident", incident.id), "message": "Still looking", "audience": "INTERNAL"}}


async def _public_title(world: World, _caller: Caller) -> dict[str, Any]:
    incident = await world.incident()
    return {"input": {"incidentId": gid("Incident", incident.id), "publicTitle": "Payments degraded"}}


async def _public_title_on_private(world: World, _caller: Caller) -> dict[str, Any]:
    incident = await world.incident(private=True)
    return {"input": {"incidentId": gid("Incident", incident.id), "publicTitle": f"{MARKER} public"}}


async def _component(world: World, _caller: Caller) -> dict[str, Any]:
    return {"input": {"componentId": await world.component()}}


async def _update_component(world: World, _caller: Caller) -> dict[str, Any]:
    return {"input": {"componentId": await world.component(), "description": "Public API"}}


async def _component_status(world: World, _caller: Caller) -> dict[str, Any]:
    return {"input": {"componentId": await world.component(), "status": "PARTIAL_OUTAGE"}}


async def _group(world: World, _caller: Caller) -> dict[str, Any]:
    return {"input": {"groupId": await world.group()}}


async def _update_group(world: World, _caller: Caller) -> dict[str, Any]:
    return {"input": {"groupId": await world.group(), "description": "Everything customers touch"}}


async def _schedule(world: World, _caller: Caller) -> dict[str, Any]:
    start = clock.now() + timedelta(days=2)
    return {
        "input": {
            "title": "Storage upgrade",
            "message": "Brief pauses",
            "componentIds": [world.ids["component"]],
            "scheduledFor": start.isoformat(),
            "scheduledUntil": (start + timedelta(hours=1)).isoformat(),
        }
    }


async def _maintenance(world: World, _caller: Caller) -> dict[str, Any]:
    return {"input": {"maintenanceId": await world.maintenance()}}


async def _update_maintenance(world: World, _caller: Caller) -> dict[str, Any]:
    return {"input": {"maintenanceId": await world.maintenance(), "title": "Database upgrade (v16)"}}


async def _maintenance_update(world: World, _caller: Caller) -> dict[str, Any]:
    return {"input": {"maintenanceId": await world.maintenance(), "message": "On schedule"}}


QUERIES = (
    Rule(
        "statusPage",
        Access.PUBLIC,
        STATUS_PAGE,
        # An incident published on the page and then made private leaves it.
        private=(Private(Outcome.OMITTED, ids(), member_sees=False),),
    ),
    Rule(
        "statusComponents",
        Access.READ,
        "{ statusComponents { id name statusHistory { incident { id title } } } }",
        private=(Private(Outcome.OMITTED, ids()),),
        note="with each change's incident",
    ),
    Rule("componentGroups", Access.READ, "{ componentGroups { id name } }"),
    Rule("maintenances", Access.READ, "{ maintenances(first: 10) { edges { node { id title } } } }"),
)

MUTATIONS = (
    Rule(
        "postStatusUpdate",
        Access.RESPOND,
        mutation("postStatusUpdate", "PostStatusUpdateInput", "statusUpdate { id } incident { title }"),
        given(incidentId="@incident", message="Still looking", audience="INTERNAL"),
        private=(Private(Outcome.NOT_FOUND, _update_on_private),),
    ),
    Rule(
        "updateIncidentPublicTitle",
        Access.RESPOND,
        mutation("updateIncidentPublicTitle", "UpdateIncidentPublicTitleInput", "incident { title }"),
        _public_title,
        # A private incident has no public title, even for its members.
        private=(Private(Outcome.NOT_FOUND, _public_title_on_private, member_sees=False),),
    ),
    Rule(
        "createStatusComponent",
        Access.ADMIN,
        mutation("createStatusComponent", "CreateStatusComponentInput", "component { id }"),
        given(name="Search"),
    ),
    Rule(
        "updateStatusComponent",
        Access.ADMIN,
        mutation("updateStatusComponent", "UpdateStatusComponentInput", "component { id }"),
        _update_component,
    ),
    Rule(
        "deleteStatusComponent",
        Access.ADMIN,
        mutation("deleteStatusComponent", "StatusComponentIdInput", "deletedId"),
        _component,
    ),
    Rule(
        "setStatusComponentStatus",
        Access.RESPOND,
        mutation("setStatusComponentStatus", "SetStatusComponentStatusInput", "component { id }"),
        _component_status,
    ),
    Rule(
        "createComponentGroup",
        Access.ADMIN,
        mutation("createComponentGroup", "CreateComponentGroupInput", "group { id }"),
        given(name="Edge"),
    ),
    Rule(
        "updateComponentGroup",
        Access.ADMIN,
        mutation("updateComponentGroup", "UpdateComponentGroupInput", "group { id }"),
        _update_group,
    ),
    Rule(
        "deleteComponentGroup",
        Access.ADMIN,
        mutation("deleteComponentGroup", "ComponentGroupIdInput", "deletedId"),
        _group,
    ),
    Rule(
        "scheduleMaintenance",
        Access.RESPOND,
        mutation("scheduleMaintenance", "ScheduleMaintenanceInput", "maintenance { id }"),
        _schedule,
    ),
    Rule(
        "updateMaintenance",
        Access.RESPOND,
        mutation("updateMaintenance", "UpdateMaintenanceInput", "maintenance { id }"),
        _update_maintenance,
    ),
    Rule(
        "postMaintenanceUpdate",
        Access.RESPOND,
        mutation("postMaintenanceUpdate", "PostMaintenanceUpdateInput", "maintenance { id }"),
        _maintenance_update,
    ),
    Rule(
        "cancelMaintenance",
        Access.RESPOND,
        mutation("cancelMaintenance", "CancelMaintenanceInput", "maintenance { id }"),
        _maintenance,
    ),
)

SUBSCRIPTIONS = (
    Rule(
        "statusPageUpdated",
        Access.PUBLIC,
        "subscription { statusPageUpdated { indicator incidents { title } } }",
        private=(Private(Outcome.OMITTED, ids(), member_sees=False),),
    ),
)
