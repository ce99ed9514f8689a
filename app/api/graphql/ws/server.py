"""The websocket endpoint: negotiates the subprotocol, runs connections, and keeps them honest
(keep-alive pings, re-checking tokens so a revoked one is cut off within seconds)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import orjson
from graphql import ExecutionResult
from starlette.types import Receive, Scope, Send

from app.api.graphql.errors import format_error
from app.api.graphql.executor import Executor
from app.api.graphql.ws import protocols as p
from app.api.graphql.ws.connection import Connection
from app.api.graphql.ws.fanout import Fanout
from app.api.ratelimit import ApiLimits
from app.broker import GAP, get_broker
from app.config import Settings
from app.events import ACCESS_TOPIC
from app.identity import service as identity
from app.incidents import queries as incident_queries

log = logging.getLogger(__name__)

TOKEN_RECHECK_SECONDS = 3.0


class WebSocketServer:
    def __init__(
        self, executor: Executor, settings: Settings, *, introspection: bool, limits: ApiLimits | None = None
    ) -> None:
        self.executor = executor
        self.limits = limits
        self.settings = settings
        self.introspection = introspection
        self.fanout = Fanout()
        self.connections: set[Connection] = set()
        self._tasks: list[asyncio.Task[None]] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        message = await receive()
        if message["type"] != "websocket.connect":
            return
        offered = [s.strip() for s in scope.get("subprotocols", [])]
        wire = p.choose(offered)
        if wire is None:
            await send({"type": "websocket.accept"})
            await send(
                {
                    "type": "websocket.close",
                    "code": p.SUBPROTOCOL_NOT_ACCEPTABLE,
                    "reason": "Subprotocol not acceptable",
                }
            )
            return
        await Connection(self, scope, receive, send, wire).run()

    def format(self, result: ExecutionResult) -> dict[str, Any]:
        formatted: dict[str, Any] = {"data": result.data}
        if result.errors:
            formatted["errors"] = [format_error(e, "ws") for e in result.errors]
        return formatted

    # -- background duties -------------------------------------------------------------------

    def start(self) -> None:
        self._tasks = [
            asyncio.create_task(self._keep_alive(), name="ws-keep-alive"),
            asyncio.create_task(self._recheck_tokens(), name="ws-token-recheck"),
            asyncio.create_task(self._watch_access(), name="ws-access-changes"),
        ]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for connection in list(self.connections):
            connection.close_soon(p.GOING_AWAY, "Server shutting down")

    async def _keep_alive(self) -> None:
        while True:
            await asyncio.sleep(self.settings.ws_ping_interval)
            for connection in list(self.connections):
                if connection.initialized:
                    connection.deliver(connection.wire.keep_alive)

    async def _watch_access(self) -> None:
        """When who may see an incident changes, end the subscriptions to it of those who no
        longer may (after a broker gap, re-check every incident-scoped subscription)."""
        broker = get_broker()
        if broker is None:
            return
        async with broker.subscribe(ACCESS_TOPIC) as listener:
            async for message in listener:
                change = None if message is GAP else orjson.loads(message)
                try:
                    await self._recheck_access(change)
                except Exception:  # noqa: BLE001 - keep watching
                    log.warning("could not re-check subscription access", exc_info=True)

    async def _recheck_access(self, change: dict[str, Any] | None) -> None:
        for connection in list(self.connections):
            principal = connection.principal
            if principal is None or principal.is_admin or not connection.incident_operations:
                continue
            if change is not None and change["userId"] is not None and change["userId"] != principal.user_id:
                continue
            for operation_id, incident_id in list(connection.incident_operations.items()):
                if change is not None and incident_id != change["incidentId"]:
                    continue
                if not await incident_queries.can_see(principal, incident_id):
                    connection.revoke(operation_id, "Access to this incident was withdrawn")

    async def _recheck_tokens(self) -> None:
        while True:
            await asyncio.sleep(TOKEN_RECHECK_SECONDS)
            by_token: dict[int, list[Connection]] = {}
            for connection in self.connections:
                if connection.principal is not None and connection.principal.token_id is not None:
                    by_token.setdefault(connection.principal.token_id, []).append(connection)
            if not by_token:
                continue
            try:
                valid = await identity.valid_token_ids(list(by_token))
            except Exception:  # noqa: BLE001 - the database may be briefly away; check again later
                log.warning("could not re-check websocket tokens", exc_info=True)
                continue
            for token_id, connections in by_token.items():
                if token_id not in valid:
                    for connection in connections:
                        connection.close_soon(p.FORBIDDEN, "Forbidden: token revoked or expired")
