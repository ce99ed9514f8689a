"""Delivery limits (429, in process and in Redis) and storage failures (503, then a retry works)."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator

import httpx
import redis.asyncio as aioredis
from tortoise.connection import get_connection

from app.alerts.enums import IntegrationKind
from app.alerts.models import Alert
from app.api.app import create_app
from app.catalog.models import Service
from app.config import load_settings
from app.incidents.models import Counter, Incident
from tests.alerts import payloads
from tests.alerts.support import connect
from tests.conftest import Actor, Backend, GraphQLClient
from tests.services import require_redis

AM = "/integrations/alertmanager/"


@contextlib.asynccontextmanager
async def client(backend: Backend, **settings: object) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(load_settings(database_url=backend.url, **settings), manage_database=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as http:
        yield http


async def test_over_the_rate_is_429_with_retry_after(
    clean_db: Backend, admin: Actor, checkout: Service, broker: object
) -> None:
    ref, key = await connect(admin, checkout)
    _, other = await connect(admin, checkout)
    _, events_key = await connect(admin, checkout, IntegrationKind.EVENTS_V2)
    body = payloads.alertmanager([payloads.am_alert(fingerprint="r")])
    async with client(clean_db, alerts_rate_limit="3/minute") as http:
        statuses = [(await http.post(AM + key, json=body)).status_code for _ in range(3)]
        assert statuses == [200, 200, 200]
        refused = await http.post(AM + key, json=body)
        assert refused.status_code == 429
        assert 1 <= int(refused.headers["retry-after"]) <= 60
        assert refused.json()["status"] == "error" and "retry in" in refused.json()["message"]
        assert (await http.post(AM + other, json=body)).status_code == 200  # limits are per integration
        for _ in range(3):
            assert (await http.post("/v2/enqueue", json=payloads.events_v2(events_key))).status_code == 202
        throttled = await http.post("/v2/enqueue", json=payloads.events_v2(events_key))
        assert throttled.status_code == 429 and throttled.json()["status"] == "throttle exceeded"
        assert "retry-after" in throttled.headers
    assert (
        await Alert.get(dedup_key="r", integration_id=ref.id)
    ).occurrences == 3  # the refused delivery changed nothing


async def test_the_rate_is_shared_through_redis(
    clean_db: Backend, admin: Actor, checkout: Service, broker: object
) -> None:
    redis_url = require_redis()
    prefix = f"firebreak-test-{uuid.uuid4().hex[:8]}:"
    _, key = await connect(admin, checkout)
    body = payloads.alertmanager([payloads.am_alert(fingerprint="shared")])
    try:
        # Two app instances stand for two server processes: they count together.
        async with client(clean_db, alerts_rate_limit="2/minute", redis_url=redis_url, redis_prefix=prefix) as one:
            async with client(clean_db, alerts_rate_limit="2/minute", redis_url=redis_url, redis_prefix=prefix) as two:
                assert (await one.post(AM + key, json=body)).status_code == 200
                assert (await two.post(AM + key, json=body)).status_code == 200
                refused = await one.post(AM + key, json=body)
                assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
                assert (await two.post(AM + key, json=body)).status_code == 429
        redis = aioredis.Redis.from_url(redis_url)
        try:
            assert [k async for k in redis.scan_iter(match=f"{prefix}ratelimit*")], "the counts live in Redis"
        finally:
            await redis.aclose()
    finally:
        redis = aioredis.Redis.from_url(redis_url)
        try:
            async for stale in redis.scan_iter(match=f"{prefix}*"):
                await redis.delete(stale)
        finally:
            await redis.aclose()


async def test_an_unreachable_redis_lets_deliveries_through(
    clean_db: Backend, admin: Actor, checkout: Service, broker: object
) -> None:
    _, key = await connect(admin, checkout)
    body = payloads.alertmanager([payloads.am_alert(fingerprint="open")])
    async with client(clean_db, alerts_rate_limit="1/minute", redis_url="redis://127.0.0.1:1/0") as http:
        assert [(await http.post(AM + key, json=body)).status_code for _ in range(2)] == [200, 200]


_FAIL = {
    "sqlite": [
        "CREATE TRIGGER fail_alert_insert BEFORE INSERT ON alerts BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END"
    ],
    "postgres": [
        "CREATE FUNCTION fail_alert_insert() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'disk I/O error'; END $$ LANGUAGE plpgsql",
        "CREATE TRIGGER fail_alert_insert BEFORE INSERT ON alerts FOR EACH ROW EXECUTE FUNCTION fail_alert_insert()",
    ],
}
_REPAIR = {
    "sqlite": ["DROP TRIGGER IF EXISTS fail_alert_insert"],
    "postgres": ["DROP TRIGGER IF EXISTS fail_alert_insert ON alerts", "DROP FUNCTION IF EXISTS fail_alert_insert()"],
}


async def test_a_storage_failure_is_503_and_the_retry_is_stored_once(
    gql: GraphQLClient, clean_db: Backend, admin: Actor, checkout: Service
) -> None:
    _, key = await connect(admin, checkout)
    _, events_key = await connect(admin, checkout, IntegrationKind.EVENTS_V2)
    body = payloads.alertmanager(
        [payloads.am_alert(fingerprint="s1"), payloads.am_alert(instance="b", fingerprint="s2")]
    )
    connection = get_connection("default")
    for statement in _FAIL[clean_db.name]:
        await connection.execute_script(statement)
    try:
        failed = await gql.http.post(AM + key, json=body)
        assert failed.status_code == 503 and failed.headers["retry-after"] == "5"
        assert failed.json() == {"status": "error", "message": "Storage is unavailable; retry later"}
        events = await gql.http.post("/v2/enqueue", json=payloads.events_v2(events_key))
        assert events.status_code == 503 and events.json()["status"] == "error"
        # Nothing half-written: no alert, no incident, no incident number used.
        assert await Alert.all().count() == 0 and await Incident.all().count() == 0
        assert not await Counter.filter(value__gt=0).exists()
    finally:
        for statement in _REPAIR[clean_db.name]:
            await connection.execute_script(statement)
    retried = await gql.http.post(AM + key, json=body)
    assert retried.status_code == 200 and retried.json()["created"] == 2
    assert (await gql.http.post(AM + key, json=body)).json()["created"] == 0
    assert await Alert.all().count() == 2 and (await Incident.get()).number == 1
