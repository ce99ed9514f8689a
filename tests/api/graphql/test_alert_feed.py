"""The alertFeed subscription, run through the schema over the in-process broker and Redis."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest

from app.alerts.feed import ALERT_FEED_TOPIC
from app.alerts.models import Alert
from app.api.graphql.context import Context
from app.api.graphql.schema import build_schema
from app.broker import GAP, Broker, create_broker, get_broker, set_broker
from app.catalog import service as catalog
from app.catalog.models import Service
from app.ids import to_global_id
from tests.alerts import payloads
from tests.alerts.support import connect
from tests.conftest import Actor, GraphQLClient
from tests.contract import document
from tests.services import require_redis

SCHEMA = build_schema()


async def subscribe(actor: Actor | None, variables: dict[str, Any]) -> AsyncIterator[Any]:
    result = await SCHEMA.subscribe(
        document("AlertFeed"),
        variable_values=variables,
        context_value=Context(principal=actor.principal if actor else None, request_id="test"),
    )
    assert hasattr(result, "__anext__"), result
    return result  # type: ignore[return-value]


async def started(broker: Broker, stream: AsyncIterator[Any]) -> asyncio.Task[Any]:
    """The first read of `stream`, running once the subscription listens to the broker."""
    before = broker.listener_count(ALERT_FEED_TOPIC)
    task = asyncio.ensure_future(stream.__anext__())
    for _ in range(200):
        if broker.listener_count(ALERT_FEED_TOPIC) > before:
            return task
        await asyncio.sleep(0.01)
    raise AssertionError("the subscription never listened")


async def next_event(stream: AsyncIterator[Any], pending: asyncio.Task[Any] | None = None) -> dict[str, Any]:
    result = await asyncio.wait_for(pending or stream.__anext__(), timeout=5)
    assert not result.errors, result.errors
    return result.data["alertFeed"]  # type: ignore[no-any-return]


async def test_the_feed_sees_new_and_changed_alerts_of_its_services(
    gql: GraphQLClient, admin: Actor, responder: Actor, viewer: Actor, checkout: Service
) -> None:
    broker = get_broker()
    assert broker is not None
    payments = await catalog.create_service(name="payments")
    _, checkout_key = await connect(admin, checkout)
    _, payments_key = await connect(admin, payments)
    stream = await subscribe(viewer, {"serviceIds": [to_global_id("Service", checkout.id)]})
    try:
        first = await started(broker, stream)
        await gql.http.post(
            f"/integrations/alertmanager/{payments_key}",
            json=payloads.alertmanager([payloads.am_alert(fingerprint="elsewhere")]),
        )
        body = payloads.alertmanager(
            [payloads.am_alert(fingerprint="f1"), payloads.am_alert(instance="b", fingerprint="f2")]
        )
        assert (await gql.http.post(f"/integrations/alertmanager/{checkout_key}", json=body)).status_code == 200
        events = [await next_event(stream, first), await next_event(stream)]
        assert [(e["kind"], e["alert"]["dedupKey"]) for e in events] == [("CREATED", "f1"), ("CREATED", "f2")]
        assert (
            events[0]["alert"]["incident"]["reference"] == "INC-2"
            and events[0]["alert"]["service"]["name"] == "checkout"
        )
        await gql.http.post(f"/integrations/alertmanager/{checkout_key}", json=body)
        repeats = [await next_event(stream), await next_event(stream)]
        assert {(e["kind"], e["alert"]["occurrences"]) for e in repeats} == {("UPDATED", 2)}
        alert_id = events[0]["alert"]["id"]
        await gql.execute(document("AcknowledgeAlert"), {"input": {"alertId": alert_id}}, actor=responder)
        acked = await next_event(stream)
        assert (acked["kind"], acked["alert"]["status"]) == ("ACKNOWLEDGED", "ACKNOWLEDGED")
        await gql.execute(document("DetachAlert"), {"input": {"alertId": alert_id}}, actor=responder)
        assert (await next_event(stream))["kind"] == "DETACHED"
    finally:
        await stream.aclose()  # type: ignore[attr-defined]
    for _ in range(100):
        if broker.listener_count(ALERT_FEED_TOPIC) == 0:
            break
        await asyncio.sleep(0.01)
    assert broker.listener_count(ALERT_FEED_TOPIC) == 0


async def test_after_a_gap_the_feed_reads_what_changed_meanwhile(
    gql: GraphQLClient, admin: Actor, viewer: Actor, checkout: Service
) -> None:
    broker = get_broker()
    assert broker is not None
    _, key = await connect(admin, checkout)
    await gql.http.post(
        f"/integrations/alertmanager/{key}", json=payloads.alertmanager([payloads.am_alert(fingerprint="g1")])
    )
    stream = await subscribe(viewer, {})
    try:
        pending = await started(broker, stream)
        # A change whose message was lost (say, Redis restarted): only the database knows.
        from app import clock

        await Alert.filter(dedup_key="g1").update(summary="changed while disconnected", updated_at=clock.now())
        await broker.backend._queue.put(("*", GAP))  # type: ignore[attr-defined]
        repaired = await next_event(stream, pending)
        assert (repaired["kind"], repaired["alert"]["summary"]) == ("UPDATED", "changed while disconnected")
    finally:
        await stream.aclose()  # type: ignore[attr-defined]


async def test_the_feed_needs_a_reader(clean_db: object, broker: Broker) -> None:
    result = await SCHEMA.subscribe(document("AlertFeed"), context_value=Context(principal=None, request_id="test"))
    if hasattr(result, "__anext__"):
        result = await result.__anext__()  # type: ignore[union-attr]
    assert result.errors and "Authentication required" in result.errors[0].message  # type: ignore[union-attr]


@pytest.fixture
async def redis_broker() -> AsyncIterator[Broker]:
    instance = create_broker(require_redis(), prefix=f"firebreak-test-{uuid.uuid4().hex[:8]}:")
    await instance.connect()
    previous = get_broker()
    set_broker(instance)
    yield instance
    set_broker(previous)
    await instance.close()


async def test_the_feed_over_redis(
    clean_db: object, redis_broker: Broker, admin: Actor, viewer: Actor, checkout: Service
) -> None:
    from tests.alerts.support import deliver

    ref, _ = await connect(admin, checkout)
    stream = await subscribe(viewer, {"serviceIds": [to_global_id("Service", checkout.id)]})
    try:
        pending = await started(redis_broker, stream)
        await asyncio.sleep(0.1)  # the reader subscribes upstream
        await deliver(ref, payloads.alertmanager([payloads.am_alert(fingerprint="via-redis")]))
        event = await next_event(stream, pending)
        assert (event["kind"], event["alert"]["dedupKey"]) == ("CREATED", "via-redis")
    finally:
        await stream.aclose()  # type: ignore[attr-defined]
