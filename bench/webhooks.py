"""Signed webhook throughput: N deliveries (Standard Webhooks signatures, through the outbound
guard's pinned connections) from one process to a local receiver process that verifies each
signature. Prints deliveries/s per round and checks that the receiver verified every one.

    python bench/webhooks.py [--deliveries 1000] [--concurrency 50] [--rounds 3] [--secrets 1]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from datetime import UTC, datetime

import httpx
from common import server


async def run_round(url: str, secrets: tuple[str, ...], deliveries: int, concurrency: int, label: str) -> float:
    from app.notifications.channels.base import Status
    from app.notifications.channels.webhook import WebhookSender, WebhookTarget, event_payload
    from app.notifications.outbound import OutboundGuard

    target = WebhookTarget(url + "/hooks", secrets)
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(deliveries):
        queue.put_nowait(i)
    failures: list[str] = []

    async with WebhookSender(OutboundGuard(["127.0.0.1"]), max_connections=concurrency) as sender:

        async def worker() -> None:
            while not queue.empty():
                i = queue.get_nowait()
                now = datetime.now(UTC)
                body = event_payload("incident.updated", {"id": f"Incident:{i}", "title": "Checkout is down"}, now)
                outcome = await sender.deliver(target, body, msg_id=f"msg_{label}_{i}", timestamp=now)
                if outcome.status is not Status.SENT:
                    failures.append(outcome.detail)

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    if failures:
        raise RuntimeError(f"{len(failures)} deliveries failed, e.g. {failures[0]}")
    return deliveries / elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--deliveries", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--secrets", type=int, default=1, help="sign with this many secrets (a rotation signs with 2)")
    args = parser.parse_args()

    from app.notifications.channels.webhook import generate_secret

    secrets = tuple(generate_secret() for _ in range(args.secrets))
    # the receiver knows only the last secret: during a rotation it is the one still honoured
    with server("bench.webhook_receiver:app_factory", {"BENCH_WEBHOOK_SECRET": secrets[-1]}) as url:
        rates = []
        for round_number in range(args.rounds):
            rate = asyncio.run(run_round(url, secrets, args.deliveries, args.concurrency, str(round_number)))
            rates.append(rate)
            print(f"round {round_number + 1}: {args.deliveries} signed deliveries, {rate:,.0f}/s")
        counts = httpx.get(url + "/count").json()
    expected = args.deliveries * args.rounds
    print(
        f"median {statistics.median(rates):,.0f} deliveries/s (concurrency {args.concurrency}, "
        f"{args.secrets} signature(s) each); receiver verified {counts['verified']}/{expected}, "
        f"rejected {counts['rejected']}, distinct webhook-ids {counts['ids']}"
    )
    if counts["verified"] != expected or counts["rejected"]:
        raise SystemExit("the receiver did not verify every delivery")


if __name__ == "__main__":
    main()
