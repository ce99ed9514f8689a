"""GET /api/v2/summary.json throughput with 50 components and 20 active public incidents,
against a bare Starlette endpoint returning the same bytes in the same server, interleaved.
PostgreSQL, one worker, wrk at 50 connections. Target: >= 0.7x the bare endpoint.

    python bench/statuspage_summary.py [--seconds 10] [--rounds 3] [--connections 50]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import subprocess
import tempfile
from datetime import timedelta

import httpx
from common import postgres_database, server


async def seed(database_url: str, components: int, incidents: int) -> None:
    from app import clock, db
    from app.config import load_settings
    from app.identity import service as identity
    from app.identity.models import Role
    from app.identity.policy import Principal
    from app.incidents import service as incident_service
    from app.incidents.enums import Severity
    from app.statuspage import maintenance, service
    from app.statuspage.enums import Audience, ComponentStatus, PublicStatus

    await db.init(load_settings(database_url=database_url))
    await db.migrate()
    user = await identity.create_user(email="bench@example.com", name="Bench", role=Role.ADMIN)
    actor = Principal(user.id, Role.ADMIN)
    groups = [await service.create_group(actor=actor, name=f"Region {g}", position=g) for g in range(5)]
    made = []
    for n in range(components):
        group = groups[n % 5].id if n >= 10 else None
        made.append(
            await service.create_component(
                actor=actor, name=f"Component {n}", description=f"Serves part {n}", group_id=group, position=n
            )
        )
    statuses = [ComponentStatus.DEGRADED_PERFORMANCE, ComponentStatus.PARTIAL_OUTAGE, ComponentStatus.MAJOR_OUTAGE]
    for i in range(incidents):
        incident = await incident_service.declare_incident(actor=actor, title=f"Internal {i}", severity=Severity.SEV2)
        for step, status in enumerate((PublicStatus.INVESTIGATING, PublicStatus.IDENTIFIED, PublicStatus.MONITORING)):
            await service.post_status_update(
                actor=actor,
                incident_id=incident.id,
                audience=Audience.PUBLIC,
                public_status=status,
                message=f"Update {step} on incident {i}: we are working on elevated error rates in region {i % 5}.",
                public_title=f"Elevated errors {i}",
                component_impacts=[(made[(i * 2 + k) % components].id, statuses[(i + k) % 3]) for k in range(2)],
            )
    now = clock.now()
    for k in range(3):
        await maintenance.schedule_maintenance(
            actor=actor,
            title=f"Maintenance {k}",
            message="Planned work",
            component_ids=[made[k].id],
            scheduled_for=now + timedelta(days=k + 1),
            scheduled_until=now + timedelta(days=k + 1, hours=2),
        )
    await db.close()


def wrk_get(url: str, *, connections: int, seconds: int) -> float:
    result = subprocess.run(
        ["wrk", "-t", "1", "-c", str(connections), "-d", f"{seconds}s", url], capture_output=True, text=True, check=True
    )
    if "Non-2xx" in result.stdout:
        raise RuntimeError(f"errors during the run:\n{result.stdout}")
    match = re.search(r"Requests/sec:\s+([\d.]+)", result.stdout)
    if not match:
        raise RuntimeError(result.stdout)
    return float(match.group(1))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--components", type=int, default=50)
    parser.add_argument("--incidents", type=int, default=20)
    args = parser.parse_args()
    with postgres_database() as database_url, tempfile.TemporaryDirectory() as scratch:
        asyncio.run(seed(database_url, args.components, args.incidents))
        body_file = os.path.join(scratch, "summary.json")
        env = {
            "DATABASE_URL": database_url,
            "FIREBREAK_LOG_LEVEL": "WARNING",
            "FIREBREAK_RATE_LIMIT_PER_TOKEN": "off",
            "FIREBREAK_RATE_LIMIT_PER_IP": "off",
            "BENCH_SUMMARY_FILE": body_file,
        }
        with server("bench.statuspage_app:app_factory", env) as url:
            body = httpx.get(url + "/api/v2/summary.json").content
            summary = httpx.get(url + "/api/v2/summary.json").json()
            assert len([c for c in summary["components"] if not c["group"]]) == args.components
            assert len(summary["incidents"]) == args.incidents
            with open(body_file, "wb") as handle:
                handle.write(body)
            assert httpx.get(url + "/bare/summary.json").content == body
            for path in ("/api/v2/summary.json", "/bare/summary.json"):  # warm up both
                wrk_get(url + path, connections=args.connections, seconds=3)
            served, bare = [], []
            for _ in range(args.rounds):
                served.append(wrk_get(url + "/api/v2/summary.json", connections=args.connections, seconds=args.seconds))
                bare.append(wrk_get(url + "/bare/summary.json", connections=args.connections, seconds=args.seconds))
    s, b = sum(served) / len(served), sum(bare) / len(bare)
    print(
        f"GET /api/v2/summary.json ({len(body):,} bytes: {args.components} components, {args.incidents} active incidents), "
        f"PostgreSQL, 1 worker, wrk -c{args.connections}, {args.rounds}x{args.seconds}s each, interleaved"
    )
    print(f"  summary.json    : {s:8.0f} req/s  (rounds: {', '.join(f'{x:.0f}' for x in served)})")
    print(f"  bare Starlette  : {b:8.0f} req/s  (rounds: {', '.join(f'{x:.0f}' for x in bare)})")
    pairs = sorted(x / y for x, y in zip(served, bare, strict=True))
    print(
        f"  ratio           : {s / b:8.2f}x  (target >= 0.70x; per-round ratios {', '.join(f'{r:.2f}' for r in pairs)})"
    )


if __name__ == "__main__":
    main()
