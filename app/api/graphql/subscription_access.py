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
from app.incidents import queries

Authorize = Callable[[Principal | None, dict[str, Any]], Awaitable[Hashable]]


async def _visible_incident(principal: Principal | None, args: dict[str, Any]) -> Hashable:
    principal = require(principal, Action.READ)
    pk = pk_of(str(args.get("incidentId", "")), "Incident", field="incidentId")
    if not await queries.get_visible(principal, [pk]):
        raise NotFound("Incident not found", field="incidentId")
    return "incident-readers"  # everyone allowed to see the incident sees the same events


async def _own_visibility(principal: Principal | None, _: dict[str, Any]) -> Hashable:
    principal = require(principal, Action.READ)
    return "admins" if principal.is_admin else ("user", principal.user_id)


async def _alert_readers(principal: Principal | None, args: dict[str, Any]) -> Hashable:
    principal = require(principal, Action.READ)
    pks_of(args.get("serviceIds"), "Service", field="serviceIds")  # refused before joining
    # Alerts are the same for every reader, but `Alert.incident` hides private incidents.
    return "admins" if principal.is_admin else ("user", principal.user_id)


async def _public(_: Principal | None, __: dict[str, Any]) -> Hashable:
    return "public"


@dataclass(frozen=True)
class Rule:
    authorize: Authorize


RULES: dict[str, Rule] = {
    "incidentTimeline": Rule(_visible_incident),
    "incidentUpdated": Rule(_visible_incident),
    "incidentFeed": Rule(_own_visibility),
    "alertFeed": Rule(_alert_readers),
}


async def audience(field: str, principal: Principal | None, args: dict[str, Any], *, public: bool) -> Hashable:
    """The sharing key for this subscriber, or a DomainError when it may not subscribe."""
    rule = RULES.get(field)
    if rule is not None:
        return await rule.authorize(principal, args)
    if public:
        return await _public(principal, args)
    return await _own_visibility(principal, args)  # unknown fields: never shared across users
