"""Alert ingestion throughput: Alertmanager notifications of 100 alerts each, posted back to
back to one uvicorn worker on PostgreSQL. Prints alerts/s for new alerts (each notification
opens 100 alerts and attaches them to the service's open incident, one timeline event each)
and for deduplicated ones (the same notifications again: counts and lastSeenAt only).

    python bench/alerts_ingest.py [--payloads 100] [--rounds 3] [--concurrency 1] [--severity critical] [--redis URL]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
import uuid

import httpx
import orjson
from common import postgres_database, server

ALERTS_PER_PAYLOAD = 100


async def seed(database_url: str) -> str:
    from app import db
    from app.alerts import integrations
    from app.alerts.enums import IntegrationKind
    from app.catalog import service as catalog
    from app.config import load_settings
    from app.identity import service as identity
    from app.identity.models import Role
    from app.identity.policy import Principal

    await db.init(load_settings(database_url=database_url))
    await db.migrate()
    user = await identity.create_user(email="bench@example.com", name="Bench", role=Role.ADMIN)
    service = await catalog.create_service(name="checkout")
    issued = await integrations.create_integration(
        actor=Principal(user.id, Role.ADMIN), service_id=service.id, kind=IntegrationKind.ALERTMANAGER, name="bench"
    )
    await db.close()
    return issued.key


def payload(batch: str, index: int, severity: str) -> bytes:
    alerts = [
        {
            "status": "firing",
            "labels": {
                "alertname": "HighErrorRate",
                "instance": f"api-{batch}-{index}-{i}:9100",
                "job": "api",
                "severity": severity,
            },
            "annotations": {
                "summary": f"5xx ratio above 5% on api-{batch}-{index}-{i}",
                "runbook_url": "https://runbooks.example.com/high-error-rate",
            },
            "startsAt": "2026-01-31T10:00:00.123456789Z",
            "endsAt": "0001-01-01T00:00:00Z",
            "generatorURL": "http://prometheus.example.com:9090/graph?g0.expr=job%3Aerrors%3Aratio5m+%3E+0.05",
            "fingerprint": f"{batch}{index:05d}{i:03d}",
        }
        for i in range(ALERTS_PER_PAYLOAD)
    ]
    return orjson.dumps(
        {
            "version": "4",
            "groupKey": '{}:{alertname="HighErrorRate"}',
            "truncatedAlerts": 0,
            "status": "firing",
            "receiver": "firebreak",
            "groupLabels": {"alertname": "HighErrorRate"},
            "commonLabels": {"alertname": "HighErrorRate", "job": "api", "severity": severity},
            "commonAnnotations": {},
            "externalURL": "http://alertmanager.example.com:9093",
            "alerts": alerts,
        }
    )


async def post_all(url: str, bodies: list[bytes], concurrency: int) -> tuple[float, list[float], int]:
    """Seconds for all bodies, per-request latencies, and alerts the server created."""
    queue = list(reversed(bodies))
    latencies: list[float] = []
    created = 0

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal created
        while queue:
            body = queue.pop()
            began = time.perf_counter()
            response = await client.post(url, content=body, headers={"Content-Type": "application/json"})
            latencies.append(time.perf_counter() - began)
            if response.status_code != 200:
                raise RuntimeError(f"{response.status_code}: {response.text}")
            created += response.json()["created"]

    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(timeout=60, limits=limits) as client:
        began = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
        return time.perf_counter() - began, latencies, created


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--payloads", type=int, default=100, help="notifications per round (100 alerts each)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=1, help="notifications in flight at once")
    parser.add_argument(
        "--severity", default="critical", help="critical: alerts join an incident; warning: no incident"
    )
    parser.add_argument("--redis", help="a Redis URL: publish live updates through Redis, as a team install does")
    args = parser.parse_args()
    with postgres_database() as database_url:
        key = asyncio.run(seed(database_url))
        env = {
            "DATABASE_URL": database_url,
            "FIREBREAK_LOG_LEVEL": "WARNING",
            "FIREBREAK_RATE_LIMIT_PER_TOKEN": "off",
            "FIREBREAK_RATE_LIMIT_PER_IP": "off",
            "FIREBREAK_DB_POOL_SIZE": "10",
            "FIREBREAK_ALERTS_RATE_LIMIT": "1000000/minute",
        }
        if args.redis:
            env |= {"REDIS_URL": args.redis, "FIREBREAK_REDIS_PREFIX": f"firebreak-bench-{uuid.uuid4().hex[:8]}:"}
        with server("app.main:app_factory", env) as base:
            url = f"{base}/integrations/alertmanager/{key}"
            asyncio.run(post_all(url, [payload("warm", i, args.severity) for i in range(10)], args.concurrency))
            new_rates, dedup_rates, new_latencies, dedup_latencies = [], [], [], []
            for round_number in range(args.rounds):
                bodies = [payload(f"r{round_number}", i, args.severity) for i in range(args.payloads)]
                seconds, latencies, created = asyncio.run(post_all(url, bodies, args.concurrency))
                assert created == args.payloads * ALERTS_PER_PAYLOAD, created
                new_rates.append(created / seconds)
                new_latencies += latencies
                seconds, latencies, created = asyncio.run(post_all(url, bodies, args.concurrency))
                assert created == 0, created
                dedup_rates.append(args.payloads * ALERTS_PER_PAYLOAD / seconds)
                dedup_latencies += latencies
    print(
        f"Alertmanager ingestion, PostgreSQL, 1 worker, {args.payloads} notifications x {ALERTS_PER_PAYLOAD} alerts "
        f"per round, {args.rounds} rounds, {args.concurrency} in flight, severity {args.severity}"
        f"{', Redis broker and rate limit' if args.redis else ''}"
    )
    for name, rates, latencies in (
        ("new alerts  ", new_rates, new_latencies),
        ("deduplicated", dedup_rates, dedup_latencies),
    ):
        p50 = statistics.median(latencies) * 1000
        p95 = statistics.quantiles(latencies, n=20)[18] * 1000
        print(
            f"  {name}: {statistics.mean(rates):7.0f} alerts/s  (rounds: {', '.join(f'{r:.0f}' for r in rates)}; "
            f"per notification p50 {p50:.0f} ms, p95 {p95:.0f} ms)"
        )
    print("  target >= 1000 alerts/s")


if __name__ == "__main__":
    main()
