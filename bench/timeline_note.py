"""addTimelineNote throughput: GraphQL over HTTP vs a bare Starlette endpoint running the same
transaction through the same service code. PostgreSQL, one worker, wrk at 20 connections.

    python bench/timeline_note.py [--seconds 10] [--rounds 2] [--connections 20]
"""

from __future__ import annotations

import argparse
import asyncio
import json

from common import postgres_database, server, wrk

MUTATION = (
    "mutation AddTimelineNote($input: AddTimelineNoteInput!) { addTimelineNote(input: $input) "
    "{ event { id sequence kind occurredAt } errors { code } } }"
)


async def seed(database_url: str, incidents: int = 1) -> tuple[str, list[str]]:
    from app import db
    from app.config import load_settings
    from app.identity import service as identity
    from app.identity.models import Role
    from app.identity.policy import Principal
    from app.ids import to_global_id
    from app.incidents import service
    from app.incidents.enums import Severity

    await db.init(load_settings(database_url=database_url))
    await db.migrate()
    user = await identity.create_user(email="bench@example.com", name="Bench", role=Role.RESPONDER)
    token = (await identity.create_token(user_id=user.id, name="bench")).secret
    ids = []
    for i in range(incidents):
        incident = await service.declare_incident(
            actor=Principal(user.id, Role.RESPONDER), title=f"Bench {i}", severity=Severity.SEV2
        )
        ids.append(to_global_id("Incident", incident.id))
    await db.close()
    return token, ids


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=20)
    parser.add_argument("--incidents", type=int, default=20, help="notes go round-robin to this many incidents")
    args = parser.parse_args()
    with postgres_database() as database_url:
        token, incident_ids = asyncio.run(seed(database_url, args.incidents))
        body = [
            json.dumps({"query": MUTATION, "variables": {"input": {"incidentId": incident_id, "body": "bench note"}}})
            for incident_id in incident_ids
        ]
        env = {
            "DATABASE_URL": database_url,
            "FIREBREAK_LOG_LEVEL": "WARNING",
            "FIREBREAK_RATE_LIMIT_PER_TOKEN": "off",
            "FIREBREAK_RATE_LIMIT_PER_IP": "off",
            "FIREBREAK_DB_POOL_SIZE": "20",
        }
        with server("bench.bare_app:app_factory", env) as url:
            for path in ("/graphql", "/bare/note"):  # warm up both
                wrk(url + path, body=body, token=token, connections=args.connections, seconds=3)
            graphql, bare = [], []
            for _ in range(args.rounds):
                graphql.append(
                    wrk(url + "/graphql", body=body, token=token, connections=args.connections, seconds=args.seconds)
                )
                bare.append(
                    wrk(url + "/bare/note", body=body, token=token, connections=args.connections, seconds=args.seconds)
                )
    g, b = sum(graphql) / len(graphql), sum(bare) / len(bare)
    print(
        f"addTimelineNote, PostgreSQL, 1 worker, wrk -c{args.connections}, notes spread over {args.incidents} "
        f"incident(s), {args.rounds}x{args.seconds}s each, interleaved"
    )
    print(f"  GraphQL over HTTP : {g:8.0f} req/s  (rounds: {', '.join(f'{x:.0f}' for x in graphql)})")
    print(f"  bare Starlette    : {b:8.0f} req/s  (rounds: {', '.join(f'{x:.0f}' for x in bare)})")
    pairs = sorted(x / y for x, y in zip(graphql, bare, strict=True))
    print(
        f"  ratio             : {g / b:8.2f}x  (target >= 0.80x; per-round ratios {', '.join(f'{r:.2f}' for r in pairs)})"
    )


if __name__ == "__main__":
    main()
