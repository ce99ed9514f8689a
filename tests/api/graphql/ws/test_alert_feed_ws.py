"""alertFeed end to end: a live server, a websocket subscriber, an Alertmanager delivery."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from gql import gql
from gql.transport.exceptions import TransportQueryError

from app.alerts import integrations
from app.alerts.enums import IntegrationKind
from app.catalog import service as catalog
from app.ids import to_global_id
from tests.alerts import payloads
from tests.api.graphql.ws.test_subscriptions import client, collect
from tests.conftest import Actor
from tests.contract import document
from tests.live import LiveServer


async def test_a_delivery_reaches_a_websocket_subscriber(server: LiveServer, admin: Actor, viewer: Actor) -> None:
    checkout = await catalog.create_service(name="checkout")
    other = await catalog.create_service(name="search")
    key = (
        await integrations.create_integration(
            actor=admin.principal, service_id=checkout.id, kind=IntegrationKind.ALERTMANAGER, name="am"
        )
    ).key
    other_key = (
        await integrations.create_integration(
            actor=admin.principal, service_id=other.id, kind=IntegrationKind.ALERTMANAGER, name="am"
        )
    ).key
    received: list[Any] = []
    async with client(server, viewer) as session:
        task = asyncio.create_task(
            collect(session, document("AlertFeed"), {"serviceIds": [to_global_id("Service", checkout.id)]}, 2, received)
        )
        await asyncio.sleep(0.5)
        async with httpx.AsyncClient(base_url=server.url, timeout=10) as http:
            skipped = await http.post(
                f"/integrations/alertmanager/{other_key}",
                json=payloads.alertmanager([payloads.am_alert(fingerprint="other")]),
            )
            assert skipped.status_code == 200
            body = payloads.alertmanager(
                [payloads.am_alert(fingerprint="ws1"), payloads.am_alert(instance="b", fingerprint="ws2")]
            )
            assert (await http.post(f"/integrations/alertmanager/{key}", json=body)).status_code == 200
        await asyncio.wait_for(task, 10)
    events = [r["alertFeed"] for r in received]
    assert [(e["kind"], e["alert"]["dedupKey"]) for e in events] == [("CREATED", "ws1"), ("CREATED", "ws2")]
    assert events[0]["alert"]["incident"]["title"] == "HighErrorRate: 2 alerts firing"


async def test_a_bad_service_id_is_refused_before_the_stream_starts(server: LiveServer, viewer: Actor) -> None:
    async with client(server, viewer) as session:
        with pytest.raises(TransportQueryError, match="No Service with id 'nope'"):
            async for _ in session.subscribe(gql(document("AlertFeed")), variable_values={"serviceIds": ["nope"]}):
                pass
