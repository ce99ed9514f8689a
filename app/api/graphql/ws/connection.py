"""One websocket: the handshake, `connection_init` with authentication, operations, and a
bounded outgoing queue drained by a writer task (a slow reader never delays anyone else)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from typing import TYPE_CHECKING, Any

import orjson
from graphql import ExecutionResult, FieldNode
from graphql.utilities import value_from_ast_untyped
from starlette.types import Receive, Scope, Send

from app.api import audit as audit_hooks
from app.api.auth import principal_for
from app.api.graphql import subscription_access
from app.api.graphql.context import Context
from app.api.graphql.errors import format_request_error
from app.api.graphql.public import is_public
from app.api.graphql.ws import protocols as p
from app.api.graphql.ws.fanout import Group, Subscriber
from app.api.websocket_protocol import SEND_NOWAIT, Message
from app.errors import DomainError
from app.identity.policy import Principal, Unauthenticated

if TYPE_CHECKING:
    from app.api.graphql.ws.server import WebSocketServer

log = logging.getLogger(__name__)

_CLOSE = object()


class Connection:
    def __init__(self, server: WebSocketServer, scope: Scope, receive: Receive, send: Send, wire: p.Wire) -> None:
        self.server = server
        self.scope = scope
        self._receive = receive
        self._send = send
        self.wire = wire
        self.principal: Principal | None = None
        self.initialized = False
        self.operations: dict[str, Group | None] = {}
        self.subscribers: dict[str, Subscriber] = {}
        self.incident_operations: dict[str, int] = {}  # operation id -> incident it is about
        self._outbox: deque[Any] = deque()
        self._wake = asyncio.Event()
        self._closing = False
        self._sending = False
        self._send_nowait = scope.get("extensions", {}).get(SEND_NOWAIT)
        self.request_id: str = scope.get("state", {}).get("request_id", "-")

    # -- outgoing ----------------------------------------------------------------------------

    def deliver(self, message: str | Message) -> None:
        """Queue a message; past the buffer the connection is closed as a slow consumer."""
        if self._closing:
            return
        if not self._outbox and not self._sending and self._send_nowait is not None and self._send_nowait(message):
            return  # written straight away: nothing queued, the socket is writable
        if len(self._outbox) >= self.server.settings.ws_send_buffer:
            self.close_soon(p.SLOW_CONSUMER, p.SLOW_CONSUMER_REASON, discard_pending=True)
            return
        self._outbox.append(message)
        self._wake.set()

    def close_soon(self, code: int, reason: str, *, discard_pending: bool = False) -> None:
        """Close after what is queued (or instead of it, for a consumer that fell behind)."""
        if self._closing:
            return
        self._closing = True
        if discard_pending:
            self._outbox.clear()
            for operation_id in list(self.operations):
                self._stop(operation_id)
        self._outbox.append((_CLOSE, code, reason))
        self._wake.set()

    async def _writer(self) -> None:
        send = self._send
        outbox = self._outbox
        try:
            while True:
                await self._wake.wait()
                self._wake.clear()
                self._sending = True
                while outbox:
                    item = outbox.popleft()
                    if isinstance(item, tuple):
                        await send({"type": "websocket.close", "code": item[1], "reason": item[2]})
                        return
                    await send({"type": "websocket.send", "text": item.text if isinstance(item, Message) else item})
                self._sending = False
        except (OSError, RuntimeError):
            return  # the peer is gone, or the server closed the socket (keep-alive timeout)

    # -- lifecycle ---------------------------------------------------------------------------

    async def run(self) -> None:
        await self._send({"type": "websocket.accept", "subprotocol": self.wire.name})
        writer = asyncio.create_task(self._writer())
        timer = asyncio.get_running_loop().call_later(self.server.settings.ws_init_timeout, self._init_timeout)
        self.server.connections.add(self)
        try:
            while not writer.done():
                message = await self._receive()
                if message["type"] == "websocket.disconnect":
                    break
                text = message.get("text")
                if text is None and message.get("bytes") is not None:
                    text = message["bytes"].decode("utf-8", "replace")
                await self._handle(text or "")
        except OSError:
            pass
        except Exception:  # noqa: BLE001 - never drop a socket without a close frame
            log.exception("websocket connection failed (request %s)", self.request_id)
            self.close_soon(p.INTERNAL_ERROR, "Internal server error")
            with contextlib.suppress(Exception):
                await asyncio.wait_for(writer, 1)
        finally:
            timer.cancel()
            self.server.connections.discard(self)
            self._closing = True
            for operation_id in list(self.operations):
                self._stop(operation_id)
            if not writer.done():
                writer.cancel()

    def _init_timeout(self) -> None:
        if not self.initialized:
            self.close_soon(p.INIT_TIMEOUT, "Connection initialisation timeout")

    # -- incoming ----------------------------------------------------------------------------

    async def _handle(self, text: str) -> None:
        try:
            message = orjson.loads(text)
        except orjson.JSONDecodeError:
            message = None
        if not isinstance(message, dict) or not isinstance(message.get("type"), str):
            self.close_soon(p.BAD_REQUEST, "Invalid message received")
            return
        kind = message["type"]
        if kind == "connection_init":
            await self._init(message.get("payload"))
        elif kind == "ping" and self.wire is p.TRANSPORT:
            pong: dict[str, Any] = {"type": "pong"}
            if isinstance(message.get("payload"), dict):
                pong["payload"] = message["payload"]
            self.deliver(p.dumps(pong))
        elif kind == "pong" and self.wire is p.TRANSPORT:
            return
        elif kind == self.wire.subscribe:
            await self._subscribe(message)
        elif kind == self.wire.stop:
            operation_id = message.get("id")
            if isinstance(operation_id, str):
                self._stop(operation_id)
        elif kind == "connection_terminate" and self.wire is p.LEGACY:
            self.close_soon(1000, "Terminated")
        else:
            self.close_soon(p.BAD_REQUEST, f"Unexpected message of type {kind[:40]}")

    async def _init(self, payload: Any) -> None:
        if self.initialized:
            self.close_soon(p.TOO_MANY_INIT, "Too many initialisation requests")
            return
        if payload is not None and not isinstance(payload, dict):
            self.close_soon(p.BAD_REQUEST, "connection_init payload must be an object")
            return
        try:
            self.principal = await principal_for(_authorization(payload or {}, self.scope))
        except Unauthenticated as error:
            client = self.scope.get("client")
            await audit_hooks.authentication_failed(
                error,
                operation="websocket /graphql",
                request_id=self.request_id,
                client_ip=client[0] if client else None,
            )
            if self.wire.init_error:
                self.deliver(p.dumps({"type": self.wire.init_error, "payload": {"message": error.message}}))
            self.close_soon(p.FORBIDDEN, "Forbidden")
            return
        if await self._rate_limited():
            self.close_soon(p.SLOW_CONSUMER, "Too many requests: try again later")
            return
        self.initialized = True
        self.deliver('{"type":"connection_ack"}')
        if self.wire is p.LEGACY:
            self.deliver(self.wire.keep_alive)

    async def _rate_limited(self) -> bool:
        limits = self.server.limits
        if limits is None:
            return False
        client = self.scope.get("client")
        return await limits.check(self.principal, client[0] if client else None) is not None

    def _refuse(self, operation_id: str, message: str, code: str, field: str | None = None) -> None:
        extensions = {"code": code, **({"field": field} if field else {})}
        self.deliver(self.wire.error_message(operation_id, [{"message": message, "extensions": extensions}]))

    async def _subscribe(self, message: dict[str, Any]) -> None:
        operation_id, payload = message.get("id"), message.get("payload")
        if not isinstance(operation_id, str) or not operation_id or not isinstance(payload, dict):
            self.close_soon(p.BAD_REQUEST, "Invalid message received")
            return
        if not self.initialized:
            if self.wire is p.TRANSPORT:
                self.close_soon(p.UNAUTHORIZED, "Unauthorized")
            else:
                self._refuse(operation_id, "Send connection_init first", "UNAUTHENTICATED")
            return
        if operation_id in self.operations:
            if self.wire is p.TRANSPORT:
                self.close_soon(p.SUBSCRIBER_EXISTS, f"Subscriber for {operation_id[:60]} already exists")
            else:
                self._refuse(operation_id, "An operation with this id is running", "BAD_REQUEST")
            return
        if len(self.operations) >= self.server.settings.ws_max_operations:
            self._refuse(operation_id, "Too many operations on this connection", "TOO_MANY_OPERATIONS")
            return
        query, variables, name = payload.get("query"), payload.get("variables"), payload.get("operationName")
        if (
            not isinstance(query, str)
            or not isinstance(variables, (dict, type(None)))
            or not isinstance(name, (str, type(None)))
        ):
            self.close_soon(p.BAD_REQUEST, "Invalid subscribe payload")
            return
        if await self._rate_limited():
            self._refuse(operation_id, "Too many requests: try again later", "RATE_LIMITED")
            return
        self.operations[operation_id] = None  # reserved while it starts
        try:
            await self._start(operation_id, query, variables, name)
        except DomainError as error:
            self.operations.pop(operation_id, None)
            self._refuse(operation_id, error.message, error.code.value, error.field)

    async def _start(self, operation_id: str, query: str, variables: dict[str, Any] | None, name: str | None) -> None:
        executor = self.server.executor
        prepared = executor.prepare(query, name)
        public = prepared.ok and is_public(
            prepared.operation_type, prepared.root_fields, introspection=self.server.introspection
        )
        if self.principal is None and not public:
            self.operations.pop(operation_id, None)
            self._refuse(operation_id, "Authentication required: send a token in connection_init", "UNAUTHENTICATED")
            return
        if not prepared.ok:
            self.operations.pop(operation_id, None)
            self.deliver(self.wire.error_message(operation_id, [format_request_error(e) for e in prepared.errors]))
            return
        client = self.scope.get("client")
        client_ip = client[0] if client else None
        if prepared.operation_type != "subscription":
            context = Context(principal=self.principal, request_id=self.request_id, client_ip=client_ip)
            result = await executor.execute(prepared, variables=variables, context=context, operation_name=name)
            if operation_id in self.operations:
                self.deliver(self.wire.next_frame(operation_id)[0] + p.dumps(self.server.format(result)) + "}")
                self.deliver(self.wire.complete_message(operation_id))
                self.operations.pop(operation_id, None)
            return
        coerced = executor.coerce_variables(prepared, variables)
        if isinstance(coerced, list):
            self.operations.pop(operation_id, None)
            self.deliver(self.wire.error_message(operation_id, [format_request_error(e) for e in coerced]))
            return
        assert prepared.operation is not None
        root = next(s for s in prepared.operation.selection_set.selections if isinstance(s, FieldNode))
        args = {a.name.value: value_from_ast_untyped(a.value, coerced) for a in root.arguments or ()}
        audience = await subscription_access.audience(root.name.value, self.principal, args, public=public)
        if operation_id not in self.operations:  # stopped while authorizing
            return
        key = (query, name, p.dumps(variables or {}), audience.key)
        context = Context(principal=audience.reader, request_id=self.request_id, client_ip=client_ip)

        def start() -> Any:
            return executor.subscribe(prepared, variables=variables, context=context, operation_name=name)

        incident_pk = await subscription_access.incident_scope(root.name.value, args)
        if incident_pk is not None:
            self.incident_operations[operation_id] = incident_pk
        subscriber = Subscriber(self, operation_id)
        self.subscribers[operation_id] = subscriber
        self.operations[operation_id] = self.server.fanout.join(
            key, subscriber, start, self.server.format, replays=subscription_access.replays(root.name.value, args)
        )

    def revoke(self, operation_id: str, message: str) -> None:
        """End one operation because its subscriber may no longer see what it streams."""
        self._stop(operation_id)
        self._refuse(operation_id, message, "FORBIDDEN")
        if self.wire is p.LEGACY:
            self.deliver(self.wire.complete_message(operation_id))

    def _stop(self, operation_id: str) -> None:
        self.incident_operations.pop(operation_id, None)
        group = self.operations.pop(operation_id, None)
        subscriber = self.subscribers.pop(operation_id, None)
        if group is not None and subscriber is not None:
            group.remove(subscriber)

    def forget(self, operation_id: str) -> None:
        """The group ended this operation."""
        self.incident_operations.pop(operation_id, None)
        self.operations.pop(operation_id, None)
        self.subscribers.pop(operation_id, None)


def _authorization(payload: dict[str, Any], scope: Scope) -> str | None:
    for key, value in payload.items():
        if key.lower() == "authorization" and isinstance(value, str):
            return value
    for name, value in scope.get("headers", ()):
        if name == b"authorization":
            return value.decode("latin-1")
    return None


__all__ = ["Connection", "ExecutionResult"]
