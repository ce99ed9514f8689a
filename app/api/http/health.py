"""Liveness and readiness, with the state of the database and the broker."""

from __future__ import annotations

import asyncio

from starlette.requests import Request
from starlette.routing import Route
from tortoise.connection import get_connection

from app.api.http.responses import JSONResponse
from app.broker import get_broker


async def _database_ok() -> bool:
    try:
        await asyncio.wait_for(get_connection("default").execute_query("SELECT 1"), timeout=2.0)
        return True
    except Exception:  # noqa: BLE001 - any failure means not ready
        return False


async def live(_: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


async def ready(request: Request) -> JSONResponse:
    database = await _database_ok()
    broker = get_broker()
    broker_state = broker.state if broker is not None else "disconnected"
    status = "ok" if database and broker_state == "connected" else ("degraded" if database else "unavailable")
    body = {"status": status, "database": "ok" if database else "unreachable", "broker": broker_state}
    websockets = getattr(request.app.state, "websockets", None)
    if websockets is not None:
        body["websockets"] = {
            "connections": len(websockets.connections),
            "subscriptions": websockets.fanout.subscriber_count(),
            "streams": len(websockets.fanout.running),
        }
    return JSONResponse(body, status_code=200 if database else 503)


routes = [
    Route("/health", ready, methods=["GET", "HEAD"]),
    Route("/health/live", live, methods=["GET", "HEAD"]),
    Route("/health/ready", ready, methods=["GET", "HEAD"]),
]
