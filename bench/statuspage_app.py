"""The status page bench's server: the real app plus a bare Starlette endpoint that returns
the bytes of a file (the summary.json the real endpoint served), read once."""

from __future__ import annotations

import os
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from app.config import get_settings
from app.main import app_factory as firebreak_app

_body: bytes | None = None


async def bare_summary(_: Request) -> Response:
    global _body
    if _body is None:
        _body = Path(os.environ["BENCH_SUMMARY_FILE"]).read_bytes()
    return Response(_body, media_type="application/json")


def app_factory() -> Starlette:
    get_settings()
    app = firebreak_app()
    app.router.routes.insert(0, Route("/bare/summary.json", bare_summary, methods=["GET"]))
    return app
