"""The ASGI application: routes, middleware and the lifespan that opens storage and the broker."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import hashlib
import logging
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.routing import Route, WebSocketRoute
from starlette.types import Receive, Scope, Send

from app import db
from app.api.graphql.executor import Executor
from app.api.graphql.http import GraphQLEndpoint
from app.api.graphql.limits import QueryLimits
from app.api.graphql.schema import build_schema
from app.api.graphql.ws.server import WebSocketServer
from app.api.http import alerts, health, postmortems, statuspage
from app.api.ratelimit import ApiLimits, RateLimiter
from app.api.request_id import RequestIdMiddleware
from app.api.security_headers import SecurityHeadersMiddleware
from app.broker import create_broker, set_broker
from app.config import Settings, get_settings
from app.identity import token_cache
from app.statuspage import cache as statuspage_cache
from app.statuspage.snapshot import PageConfig

log = logging.getLogger(__name__)


class PendingMigrations(RuntimeError):
    pass


class ApiCORSMiddleware(CORSMiddleware):
    """The configured CORS origins for the API; the public status page answers any origin itself."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(statuspage.PUBLIC_PREFIXES):
            await self.app(scope, receive, send)
            return
        await super().__call__(scope, receive, send)


def page_config(settings: Settings) -> PageConfig:
    base = settings.base_url
    return PageConfig(
        id=hashlib.blake2b(base.encode(), digest_size=6).hexdigest(),
        name=settings.status_page_name,
        url=f"{base}/status",
        base_url=base,
        time_zone=settings.status_page_time_zone,
        logo_url=settings.status_page_logo_url,
    )


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
    limits = QueryLimits(
        depth=settings.graphql_max_depth,
        aliases=settings.graphql_max_aliases,
        tokens=settings.graphql_max_tokens,
        cost=settings.graphql_max_cost,
    )
    executor = Executor(schema, introspection=settings.development, limits=limits)
    api_limits = ApiLimits(
        settings.rate_limit_per_token,
        settings.rate_limit_per_ip,
        redis_url=settings.redis_url,
        prefix=settings.redis_prefix,
    )
    endpoint = GraphQLEndpoint(
        executor, introspection=settings.development, graphiql=settings.development, limits=api_limits
    )
    websockets = WebSocketServer(executor, settings, introspection=settings.development, limits=api_limits)

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
        statuspage_cache.public_cache.configure(page_config(settings))
        watcher = asyncio.create_task(statuspage_cache.watch(broker), name="statuspage-invalidation")
        token_watcher = asyncio.create_task(token_cache.watch(broker), name="token-revocations")
        tune_gc()
        try:
            yield
        finally:
            await websockets.stop()
            for task in (watcher, token_watcher):
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            set_broker(None)
            await broker.close()
            if manage_database:
                await db.close()

    middleware = [Middleware(RequestIdMiddleware), Middleware(SecurityHeadersMiddleware)]
    if settings.cors_origins:
        middleware.append(
            Middleware(
                ApiCORSMiddleware,
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
        *statuspage.routes(settings),
        *postmortems.routes,
    ]
    app = Starlette(routes=routes, middleware=middleware, lifespan=lifespan)
    app.state.settings = settings
    app.state.schema = schema
    app.state.executor = executor
    app.state.websockets = websockets
    app.state.api_limits = api_limits
    alerts.install_log_redaction()
    app.state.alert_limiter = RateLimiter(
        settings.alerts_rate_limit, redis_url=settings.redis_url, prefix=settings.redis_prefix
    )
    statuspage_cache.public_cache.configure(page_config(settings))
    return app
