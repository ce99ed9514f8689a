"""The webhook bench's receiver: verifies every delivery's Standard Webhooks signature with the
`standardwebhooks` package (secret from BENCH_WEBHOOK_SECRET) and counts them at GET /count."""

from __future__ import annotations

import os

from standardwebhooks.webhooks import Webhook, WebhookVerificationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route


def app_factory() -> Starlette:
    verifier = Webhook(os.environ["BENCH_WEBHOOK_SECRET"])
    counts = {"verified": 0, "rejected": 0, "ids": 0}
    seen: set[str] = set()

    async def receive(request: Request) -> Response:
        body = await request.body()
        try:
            verifier.verify(body, dict(request.headers), json_parse=False)
        except WebhookVerificationError:
            counts["rejected"] += 1
            return Response(status_code=401)
        counts["verified"] += 1
        seen.add(request.headers["webhook-id"])
        counts["ids"] = len(seen)
        return Response(status_code=204)

    async def count(request: Request) -> Response:
        return JSONResponse(counts)

    async def live(request: Request) -> Response:
        return Response("ok")

    return Starlette(
        routes=[
            Route("/hooks", receive, methods=["POST"]),
            Route("/count", count),
            Route("/health/live", live),
        ]
    )
