"""The ASGI application: routes, middleware and the lifespan that opens storage and the broker."""

from __future__ import annotations

import contextlib
import gc
import logging
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.routing import Route, WebSocketRoute

from app import db
from app.api.graphql.executor import Executor
from app.api.graphql.http import GraphQLEndpoint
from app.api.graphql.ws.server import WebSocketServer
from app.api.graphql.schema import build_schema
from app.api.http import alerts, health
from app.api.http.ratelimit import DeliveryLimiter
from app.api.request_id import RequestIdMiddleware
from app.broker import create_broker, set_broker
from app.config import Settings, get_settings

log = logging.getLogger(__name__)


class PendingMigrations(RuntimeError):
    pass


def tune_gc() -> None:
    """Move start-up objects (schema, models, modules) out of the collector's sight and collect
    young objects less often: a large page allocates tens of thousands of short-lived objects,
    and default thresholds turn that into full collections in the middle of requests."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 50, 100)


def create_app(settings: Settings | None = None, *, manage_database: bool = True) -> Starlette:
    """Build the app. With `manage_database=False` the caller has opened the ORM already (tests)."""
    settings = settings or get_settings()
    schema = build_schema(introspection=settings.development)
    executor = Executor(schema, introspection=settings.development)
    endpoint = GraphQLEndpoint(executor, introspection=settings.development, graphiql=settings.development)
    websockets = WebSocketServer(executor, settings, introspection=settings.development)

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        if manage_database:
            await db.init(settings)
            pending = await db.pending_migrations()
            if pending:
                await db.close()
                raise PendingMigrations(f"{len(pending)} pending migrations; run `firebreak migrate`")
        broker = create_broker(settings.redis_url, prefix=settings.redis_prefix)
        await broker.connect()
        set_broker(broker)
        websockets.start()
        tune_gc()
        try:
            yield
        finally:
            await websockets.stop()
            set_broker(None)
            await broker.close()
            if manage_database:
                await db.close()

    middleware = [Middleware(RequestIdMiddleware)]
    if settings.cors_origins:
        middleware.append(
            Middleware(
                CORSMiddleware,
                allow_origins=list(settings.cors_origins),
                allow_methods=["GET", "POST"],
                allow_headers=["Authorization", "Content-Type", "X-Request-ID"],
                expose_headers=["X-Request-ID"],
                max_age=600,
            )
        )
    routes = [
        Route("/graphql", endpoint, methods=["GET", "POST", "PUT", "PATCH", "DELETE"]),
        WebSocketRoute("/graphql", websockets),
        *health.routes,
        *alerts.routes,
    ]
    app = Starlette(routes=routes, middleware=middleware, lifespan=lifespan)
    app.state.settings = settings
    app.state.schema = schema
    app.state.executor = executor
    app.state.websockets = websockets
    alerts.install_log_redaction()
    app.state.alert_limiter = DeliveryLimiter(
        settings.alerts_rate_limit, redis_url=settings.redis_url, prefix=settings.redis_prefix
    )
    return app
