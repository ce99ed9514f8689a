"""Who may start each subscription, and which subscribers see identical results.

The websocket transport checks `authorize` for every subscriber before it joins a running
stream, and shares one execution among subscribers whose `audience` keys are equal (the same
document and variables, and results that cannot differ between them). A shared execution runs
as the audience's `reader`, which sees exactly what every subscriber of the group may see.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from typing import Any

from app.api.graphql.relay import pk_of, pks_of
from app.errors import NotFound
from app.identity.policy import Action, Principal, require
from app.ids import parse_pk
from app.incidents import queries
from app.postmortems import queries as postmortem_queries


@dataclass(frozen=True)
class Audience:
    key: Hashable
    reader: Principal | None  # whom a shared execution runs as


Authorize = Callable[[Principal | None, dict[str, Any]], Awaitable[Audience]]


async def _visible_incident(principal: Principal | None, args: dict[str, Any]) -> Audience:
    principal = require(principal, Action.READ)
    pk = pk_of(str(args.get("incidentId", "")), "Incident", field="incidentId")
    if not await queries.get_visible(principal, [pk]):
        raise NotFound("Incident not found", field="incidentId")
    return await _sharing(principal)


async def _sharing(principal: Principal) -> Audience:
    """Who may share one execution. Admins see everything. Readers who see only public incidents
    (no role, no membership anywhere) see the same as each other when the stream runs as a reader
    with their role and scopes and no user behind it. Anyone else shares only among their own
    sockets: what a stream shows (a merge into a private incident, an alert moving) depends on
    which private incidents its reader sees."""
    if principal.is_admin:
        return Audience("admins", principal)
    if await queries.sees_only_public(principal):
        reader = Principal(user_id=0, role=principal.role, scopes=principal.scopes)
        return Audience(("public readers", principal.role, principal.scopes), reader)
    return Audience(("user", principal.user_id), principal)


async def _own_visibility(principal: Principal | None, _: dict[str, Any]) -> Audience:
    return await _sharing(require(principal, Action.READ))


async def _alert_readers(principal: Principal | None, args: dict[str, Any]) -> Audience:
    principal = require(principal, Action.READ)
    pks_of(args.get("serviceIds"), "Service", field="serviceIds")  # refused before joining
    return await _sharing(principal)  # alerts of private incidents are hidden like them


async def _public(principal: Principal | None, __: dict[str, Any]) -> Audience:
    # Anonymous readers share; a token's holder may also read the fields that need one.
    return Audience("anonymous", None) if principal is None else await _sharing(principal)


async def _visible_postmortem(principal: Principal | None, args: dict[str, Any]) -> Audience:
    principal = require(principal, Action.READ)
    pk = pk_of(str(args.get("postmortemId", "")), "Postmortem", field="postmortemId")
    if not await postmortem_queries.get_visible(principal, [pk]):
        raise NotFound("Postmortem not found", field="postmortemId")
    return await _sharing(principal)


async def _incident_argument(args: dict[str, Any]) -> int | None:
    return parse_pk(str(args.get("incidentId", "")), "Incident") if "incidentId" in args else None


async def _postmortem_incident(args: dict[str, Any]) -> int | None:
    pk = parse_pk(str(args.get("postmortemId", "")), "Postmortem")
    found = await postmortem_queries.by_ids([pk]) if pk is not None else {}
    return found[pk].incident_id if pk in found else None


@dataclass(frozen=True)
class Rule:
    authorize: Authorize
    # The incident whose visibility the stream depends on: re-checked when access to it changes.
    incident: Callable[[dict[str, Any]], Awaitable[int | None]] | None = None


RULES: dict[str, Rule] = {
    "incidentTimeline": Rule(_visible_incident, _incident_argument),
    "incidentUpdated": Rule(_visible_incident, _incident_argument),
    "incidentFeed": Rule(_own_visibility),
    "alertFeed": Rule(_alert_readers),
    "postmortemUpdated": Rule(_visible_postmortem, _postmortem_incident),
}


def replays(field: str, args: dict[str, Any]) -> bool:
    """Whether the stream begins with what already happened (stored events, the current state),
    which a subscriber joining it later would miss."""
    if field == "incidentTimeline":
        return args.get("afterSequence") is not None
    return field == "statusPageUpdated"


async def incident_scope(field: str, args: dict[str, Any]) -> int | None:
    """The incident a subscription streams about (its access is re-checked), if any."""
    rule = RULES.get(field)
    if rule is not None and rule.incident is not None:
        return await rule.incident(args)
    return await _incident_argument(args)


async def audience(field: str, principal: Principal | None, args: dict[str, Any], *, public: bool) -> Audience:
    """Whom this subscriber shares an execution with, or a DomainError when it may not subscribe."""
    rule = RULES.get(field)
    if rule is not None:
        return await rule.authorize(principal, args)
    if public:
        return await _public(principal, args)
    return await _own_visibility(principal, args)  # unknown fields: never shared across users
