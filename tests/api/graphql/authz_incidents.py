"""Matrix rules: incidents, their timeline, roles and members."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from app.incidents import service as incidents
from app.incidents.enums import IncidentRole
from tests.api.graphql.authz_rules import Access, Caller, Outcome, Private, Rule, Variables, ids, mutation
from tests.api.graphql.authz_world import MARKER, World, add_member, gid

INCIDENT = "query($id: ID!) { incident(id: $id) { id title timeline(first: 5) { edges { node { message } } } } }"
BY_REFERENCE = "query($reference: String!) { incidentByReference(reference: $reference) { id title } }"
INCIDENTS = "query($search: String) { incidents(first: 100, filter: {search: $search}) { totalCount edges { node { id title } } } }"
SELECTION = "incident { id title }"


def _on_fresh(build: Callable[[World, Caller, int], Awaitable[dict[str, Any]]], *, private: bool = False) -> Variables:
    """An `input` built around a fresh incident (public, or private with the member in it)."""

    async def variables(world: World, caller: Caller) -> dict[str, Any]:
        incident = await world.incident(private=private)
        return {"input": {"incidentId": gid("Incident", incident.id), **await build(world, caller, incident.id)}}

    return variables


def _both(
    name: str,
    input_type: str,
    build: Callable[[World, Caller, int], Awaitable[dict[str, Any]]],
    selection: str = SELECTION,
) -> Rule:
    """A command on one incident: allowed to responders; a private incident's non-members find nothing."""
    return Rule(
        name,
        Access.RESPOND,
        mutation(name, input_type, selection),
        _on_fresh(build),
        private=(Private(Outcome.NOT_FOUND, _on_fresh(build, private=True)),),
    )


async def _status(_w: World, _c: Caller, _pk: int) -> dict[str, Any]:
    return {"status": "INVESTIGATING"}


async def _severity(_w: World, _c: Caller, _pk: int) -> dict[str, Any]:
    return {"severity": "SEV1"}


async def _title(_w: World, _c: Caller, _pk: int) -> dict[str, Any]:
    return {"title": "Checkout errors in EU"}


async def _assign(world: World, _c: Caller, _pk: int) -> dict[str, Any]:
    return {"role": "SCRIBE", "userId": world.member.global_id}


async def _unassign(world: World, _c: Caller, pk: int) -> dict[str, Any]:
    await incidents.assign_role(
        actor=world.boss, incident_id=pk, role=IncidentRole.SCRIBE, user_id=world.member.user_id
    )
    return {"role": "SCRIBE"}


async def _note(_w: World, _c: Caller, _pk: int) -> dict[str, Any]:
    return {"body": "Rolled back"}


async def _merge(world: World, _c: Caller, _pk: int) -> dict[str, Any]:
    target = await world.incident()
    return {"intoIncidentId": gid("Incident", target.id)}


async def _add_member(world: World, _c: Caller, _pk: int) -> dict[str, Any]:
    return {"userId": world.viewer.global_id}


async def _remove_member(world: World, _c: Caller, pk: int) -> dict[str, Any]:
    await add_member(world, pk, world.viewer)
    return {"userId": world.viewer.global_id}


async def _declare(_world: World, _caller: Caller) -> dict[str, Any]:
    return {"input": {"title": "Checkout errors", "severity": "SEV3"}}


async def _search(_world: World, _caller: Caller) -> dict[str, Any]:
    return {"search": MARKER}


async def _everything(_world: World, _caller: Caller) -> dict[str, Any]:
    return {"search": None}


QUERIES = (
    Rule(
        "incident", Access.READ, INCIDENT, ids(id="incident"), private=(Private(Outcome.NOT_FOUND, ids(id="private")),)
    ),
    Rule(
        "incidentByReference",
        Access.READ,
        BY_REFERENCE,
        ids(reference="reference"),
        private=(Private(Outcome.NOT_FOUND, ids(reference="private_reference")),),
    ),
    Rule(
        "incidents",
        Access.READ,
        INCIDENTS,
        _everything,
        private=(
            Private(Outcome.OMITTED, _search, only_private=True),
            Private(Outcome.OMITTED, _everything, member_sees=False),
        ),
        note="lists, counts and search",
    ),
)

MUTATIONS = (
    Rule("declareIncident", Access.RESPOND, mutation("declareIncident", "DeclareIncidentInput", SELECTION), _declare),
    _both("updateIncidentStatus", "UpdateIncidentStatusInput", _status),
    _both("changeIncidentSeverity", "ChangeIncidentSeverityInput", _severity),
    _both("updateIncident", "UpdateIncidentInput", _title),
    _both("assignIncidentRole", "AssignIncidentRoleInput", _assign),
    _both("unassignIncidentRole", "UnassignIncidentRoleInput", _unassign),
    _both("addTimelineNote", "AddTimelineNoteInput", _note, "event { id message }"),
    _both("mergeIncident", "MergeIncidentInput", _merge),
    _both("addIncidentMember", "IncidentMemberInput", _add_member),
    _both("removeIncidentMember", "IncidentMemberInput", _remove_member),
)

TIMELINE = "subscription($id: ID!) { incidentTimeline(incidentId: $id) { sequence message } }"
UPDATED = "subscription($id: ID!) { incidentUpdated(incidentId: $id) { id title } }"

SUBSCRIPTIONS = (
    Rule(
        "incidentTimeline",
        Access.READ,
        TIMELINE,
        ids(id="incident"),
        private=(Private(Outcome.NOT_FOUND, ids(id="private")),),
    ),
    Rule(
        "incidentUpdated",
        Access.READ,
        UPDATED,
        ids(id="incident"),
        private=(Private(Outcome.NOT_FOUND, ids(id="private")),),
    ),
    Rule(
        "incidentFeed",
        Access.READ,
        "subscription { incidentFeed { kind incident { id title } } }",
        private=(Private(Outcome.OMITTED, ids()),),
    ),
)
