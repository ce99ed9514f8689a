"""Who may start each subscription, and which subscribers see identical results.

The websocket transport checks `authorize` for every subscriber before it joins a running
stream, and shares one execution among subscribers whose `audience` keys are equal (the same
document and variables, and results that cannot differ between them).
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

Authorize = Callable[[Principal | None, dict[str, Any]], Awaitable[Hashable]]


async def _visible_incident(principal: Principal | None, args: dict[str, Any]) -> Hashable:
    principal = require(principal, Action.READ)
    pk = pk_of(str(args.get("incidentId", "")), "Incident", field="incidentId")
    if not await queries.get_visible(principal, [pk]):
        raise NotFound("Incident not found", field="incidentId")
    return _sharing_key(principal)


def _sharing_key(principal: Principal) -> Hashable:
    """Who may share one execution: admins see everything, and a user sees the same on all their
    sockets. Two users may not, even if they see the same now: what the stream shows (a merge into
    a private incident, an alert moving) depends on the executing reader, and access changes."""
    return "admins" if principal.is_admin else ("user", principal.user_id)


async def _own_visibility(principal: Principal | None, _: dict[str, Any]) -> Hashable:
    return _sharing_key(require(principal, Action.READ))


async def _alert_readers(principal: Principal | None, args: dict[str, Any]) -> Hashable:
    principal = require(principal, Action.READ)
    pks_of(args.get("serviceIds"), "Service", field="serviceIds")  # refused before joining
    # Alerts are the same for every reader, but `Alert.incident` hides private incidents.
    return "admins" if principal.is_admin else ("user", principal.user_id)


async def _public(_: Principal | None, __: dict[str, Any]) -> Hashable:
    return "public"


async def _visible_postmortem(principal: Principal | None, args: dict[str, Any]) -> Hashable:
    principal = require(principal, Action.READ)
    pk = pk_of(str(args.get("postmortemId", "")), "Postmortem", field="postmortemId")
    if not await postmortem_queries.get_visible(principal, [pk]):
        raise NotFound("Postmortem not found", field="postmortemId")
    return _sharing_key(principal)


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


async def incident_scope(field: str, args: dict[str, Any]) -> int | None:
    """The incident a subscription streams about (its access is re-checked), if any."""
    rule = RULES.get(field)
    if rule is not None and rule.incident is not None:
        return await rule.incident(args)
    return await _incident_argument(args)


async def audience(field: str, principal: Principal | None, args: dict[str, Any], *, public: bool) -> Hashable:
    """The sharing key for this subscriber, or a DomainError when it may not subscribe."""
    rule = RULES.get(field)
    if rule is not None:
        return await rule.authorize(principal, args)
    if public:
        return await _public(principal, args)
    return await _own_visibility(principal, args)  # unknown fields: never shared across users
