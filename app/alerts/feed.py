"""The live alert feed: one broker message per command listing the alerts it changed; the
subscriber reads those alerts back (one query per message) and filters by service."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import timedelta

import orjson

from app import clock
from app.alerts import queries
from app.alerts.models import Alert
from app.broker import GAP, Broker
from app.events import Outbox
from app.identity.policy import Principal

ALERT_FEED_TOPIC = "alerts:feed"

KINDS = {
    "created": "CREATED",
    "updated": "UPDATED",
    "acknowledged": "ACKNOWLEDGED",
    "resolved": "RESOLVED",
    "attached": "ATTACHED",
    "detached": "DETACHED",
}
_GAP_SLACK = timedelta(seconds=2)  # clocks of several server processes differ a little


@dataclass(frozen=True)
class AlertChange:
    alert_id: int
    service_id: int
    kind: str  # a value of KINDS


@dataclass(frozen=True)
class AlertsChanged:
    """What one command did to alerts, for the alert feed."""

    items: tuple[AlertChange, ...]

    @property
    def topic(self) -> str:
        return ALERT_FEED_TOPIC

    def payload(self) -> dict[str, object]:
        return {
            "type": "alerts",
            "items": [{"id": i.alert_id, "serviceId": i.service_id, "kind": i.kind} for i in self.items],
        }


def publish(outbox: Outbox, changes: Sequence[tuple[Alert, str]]) -> None:
    """Announce, after commit, what a command did to alerts (`created`, `updated`, …)."""
    items = tuple(
        AlertChange(alert.id, alert.service_id, KINDS[result]) for alert, result in changes if result in KINDS
    )
    if items:
        outbox.add(AlertsChanged(items))


@dataclass(frozen=True)
class FeedItem:
    kind: str
    alert: Alert


async def alert_feed(broker: Broker, principal: Principal, service_ids: Sequence[int] = ()) -> AsyncIterator[FeedItem]:
    """Alert changes from now on, for `service_ids` (all services when empty), each with the
    alert as stored when read, if the principal may see it (an alert that joins a private
    incident they may not see leaves their feed). After a broker gap, alerts changed meanwhile
    come as UPDATED."""
    wanted = set(service_ids)
    async with broker.subscribe(ALERT_FEED_TOPIC) as listener:
        watermark = clock.now()
        async for message in listener:
            if message is GAP:
                for alert in await queries.changed_since(principal, watermark - _GAP_SLACK, list(wanted)):
                    watermark = max(watermark, alert.updated_at)
                    yield FeedItem("UPDATED", alert)
                continue
            payload = orjson.loads(message)
            items = [item for item in payload.get("items", ()) if not wanted or item["serviceId"] in wanted]
            if not items:
                continue
            alerts = await queries.get_visible(principal, [item["id"] for item in items])
            for item in items:
                alert = alerts.get(item["id"])
                if alert is not None:
                    watermark = max(watermark, alert.updated_at)
                    yield FeedItem(item["kind"], alert)
