"""Latency of the front end's incident list (frontend-contract IncidentsPage: 50 incidents with
services, role holders and the five newest events) with 10,000 incidents stored, PostgreSQL.

    python bench/incidents_page.py [--incidents 10000] [--requests 300]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import time
from datetime import timedelta

import httpx
from common import postgres_database, server


async def seed(database_url: str, count: int) -> str:
    """Bulk-load `count` incidents, each with 2 services, 2 role holders and 8 timeline events."""
    from app import clock, db
    from app.catalog.models import Service
    from app.config import load_settings
    from app.identity import service as identity
    from app.identity.models import Role
    from app.incidents.enums import IncidentRole, IncidentStatus, Severity
    from app.incidents.models import Counter, Incident, IncidentService, RoleAssignment, TimelineEvent

    await db.init(load_settings(database_url=database_url))
    await db.migrate()
    users = [
        await identity.create_user(email=f"u{i}@example.com", name=f"User {i}", role=Role.RESPONDER) for i in range(20)
    ]
    token = (await identity.create_token(user_id=users[0].id, name="bench")).secret
    services = [await Service.create(name=f"service-{i}") for i in range(30)]
    rng = random.Random(7)
    start = clock.now() - timedelta(days=365)
    statuses = list(IncidentStatus)
    for offset in range(0, count, 1000):
        batch = []
        for n in range(offset + 1, min(count, offset + 1000) + 1):
            at = start + timedelta(minutes=50 * n)
            batch.append(
                Incident(
                    number=n,
                    title=f"Incident {n}: elevated errors",
                    summary="Bench data",
                    severity=rng.choice(list(Severity)),
                    status=rng.choice(statuses),
                    private=False,
                    version=1,
                    last_sequence=8,
                    declared_at=at,
                    updated_at=at,
                )
            )
        await Incident.bulk_create(batch)
        created = await Incident.filter(number__gt=offset, number__lte=offset + 1000).values_list("id", "declared_at")
        links, roles, events = [], [], []
        for incident_id, at in created:
            for svc in rng.sample(services, 2):
                links.append(IncidentService(incident_id=incident_id, service_id=svc.id))
            for role, user in zip(
                (IncidentRole.INCIDENT_COMMANDER, IncidentRole.TECH_LEAD), rng.sample(users, 2), strict=True
            ):
                roles.append(RoleAssignment(incident_id=incident_id, role=role, user_id=user.id, assigned_at=at))
            for seq in range(1, 9):
                events.append(
                    TimelineEvent(
                        incident_id=incident_id,
                        sequence=seq,
                        kind="NOTE",
                        actor_id=rng.choice(users).id,
                        occurred_at=at,
                        recorded_at=at,
                        message=f"note {seq}",
                        data={},
                    )
                )
        await IncidentService.bulk_create(links)
        await RoleAssignment.bulk_create(roles)
        await TimelineEvent.bulk_create(events, batch_size=2000)
    await Counter.create(name="incident", value=count)
    from tortoise.connection import get_connection

    await get_connection("default").execute_script("ANALYZE")  # as autovacuum would after a bulk load
    await db.close()
    return token


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def main() -> None:
    import sys

    sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[1]))
    from tests.contract import document

    parser = argparse.ArgumentParser()
    parser.add_argument("--incidents", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    query = document("IncidentsPage")
    with postgres_database() as database_url:
        t0 = time.perf_counter()
        token = asyncio.run(seed(database_url, args.incidents))
        print(f"seeded {args.incidents} incidents in {time.perf_counter() - t0:.0f}s")
        env = {
            "DATABASE_URL": database_url,
            "FIREBREAK_LOG_LEVEL": "WARNING",
            "FIREBREAK_RATE_LIMIT_PER_TOKEN": "off",
            "FIREBREAK_RATE_LIMIT_PER_IP": "off",
        }
        with (
            server("app.main:app_factory", env) as url,
            httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=30) as client,
        ):
            cursors: list[str | None] = [None]
            page = client.post("/graphql", json={"query": query, "variables": {"first": 50}}).json()["data"][
                "incidents"
            ]
            assert len(page["edges"]) == 50 and len(page["edges"][0]["node"]["timeline"]["nodes"]) == 5
            # later pages too: walk 20 pages deep to collect cursors
            for _ in range(20):
                cursors.append(page["pageInfo"]["endCursor"])
                page = client.post(
                    "/graphql", json={"query": query, "variables": {"first": 50, "after": cursors[-1]}}
                ).json()["data"]["incidents"]
            scenarios = {
                "first page": lambda i: {"first": 50},
                "pages 2-21": lambda i: {"first": 50, "after": cursors[1 + i % 20]},
                "filtered (open, SEV1/SEV2)": lambda i: {
                    "first": 50,
                    "filter": {"open": True, "severities": ["SEV1", "SEV2"]},
                },
            }
            print(
                f"IncidentsPage (50 incidents + services + roles + last 5 events), {args.incidents} stored, PostgreSQL, 1 worker, sequential"
            )
            for name, variables in scenarios.items():
                for i in range(20):  # warm-up
                    client.post("/graphql", json={"query": query, "variables": variables(i)})
                timings = []
                for i in range(args.requests):
                    started = time.perf_counter()
                    response = client.post("/graphql", json={"query": query, "variables": variables(i)})
                    timings.append((time.perf_counter() - started) * 1000)
                    assert response.status_code == 200 and "errors" not in response.json(), response.text[:300]
                print(
                    f"  {name:28s} p50 {statistics.median(timings):6.1f} ms   p99 {percentile(timings, 99):6.1f} ms   (target p99 <= 50 ms)"
                )


if __name__ == "__main__":
    main()
