"""The live alert feed."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from enum import Enum

import strawberry
from strawberry.types import Info

from app.alerts import feed
from app.api.graphql.alerts.types import Alert
from app.api.graphql.context import Context
from app.api.graphql.relay import pks_of
from app.broker import get_broker
from app.identity.policy import Action, require


class FeedKind(str, Enum):
    CREATED = "CREATED"
    UPDATED = "UPDATED"
    ACKNOWLEDGED = "ACKNOWLEDGED"
    RESOLVED = "RESOLVED"
    ATTACHED = "ATTACHED"
    DETACHED = "DETACHED"


AlertFeedKind = strawberry.enum(FeedKind, name="AlertFeedKind", description="What happened to the alert.")


@strawberry.type(description="One change in the alert feed; `alert` is the alert as stored when sent.")
class AlertFeedEvent:
    kind: AlertFeedKind
    alert: Alert


@strawberry.type
class AlertSubscription:
    @strawberry.subscription(
        description=(
            "New and changed alerts of the given services (all services when omitted), as they happen. "
            "After a broker interruption, alerts changed meanwhile arrive as UPDATED."
        )
    )
    async def alert_feed(
        self, info: Info[Context, None], service_ids: list[strawberry.ID] | None = None
    ) -> AsyncGenerator[AlertFeedEvent, None]:
        principal = require(info.context.principal, Action.READ)
        services = pks_of(service_ids, "Service", field="serviceIds")
        broker = get_broker()
        if broker is None:
            raise RuntimeError("the broker is not running")
        async for item in feed.alert_feed(broker, principal, services):
            info.context.fresh_loaders()  # relations as of this event
            yield AlertFeedEvent(kind=FeedKind(item.kind), alert=Alert.from_model(item.alert))
