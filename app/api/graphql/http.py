"""GraphQL over HTTP (GET for queries, POST with JSON) in front of the schema."""

from __future__ import annotations

import logging
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from strawberry.http.ides import get_graphql_ide_html

from app.api import audit as audit_hooks
from app.api.auth import principal_for
from app.api.graphql.context import Context
from app.api.graphql.errors import format_error, format_request_error
from app.api.graphql.executor import Executor
from app.api.graphql.public import is_public
from app.api.http.responses import JSONResponse, graphql_error_response
from app.api.ratelimit import ApiLimits
from app.identity.policy import Unauthenticated

log = logging.getLogger("app.graphql")

GRAPHQL_RESPONSE = "application/graphql-response+json"
MAX_BODY = 1_000_000
# GraphiQL (development only) loads its scripts and styles from a CDN and runs inline code.
GRAPHIQL_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' https://unpkg.com; "
    "style-src 'self' 'unsafe-inline' https://unpkg.com; img-src 'self' data: https:; "
    "connect-src 'self' ws: wss:; font-src https://unpkg.com data:; frame-ancestors 'none'"
)


class GraphQLEndpoint:
    def __init__(
        self, executor: Executor, *, introspection: bool, graphiql: bool, limits: ApiLimits | None = None
    ) -> None:
        self.executor = executor
        self.limits = limits
        self.introspection = introspection
        self.graphiql = graphiql

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        request = Request(scope, receive)
        try:
            response = await self.handle(request)
        except Exception:
            request_id = scope.get("state", {}).get("request_id", "-")
            log.exception("unexpected error in %s /graphql (request %s)", request.method, request_id)
            response = graphql_error_response(
                500, f"Unexpected error (request id {request_id})", "INTERNAL_SERVER_ERROR"
            )
        await response(scope, receive, send)

    async def handle(self, request: Request) -> Response:
        request_id: str = request.scope.get("state", {}).get("request_id", "-")
        accept = request.headers.get("accept", "")
        media_type = GRAPHQL_RESPONSE if GRAPHQL_RESPONSE in accept else "application/json"
        method = request.method
        if method == "GET":
            if self.graphiql and "text/html" in accept and "query" not in request.query_params:
                return HTMLResponse(get_graphql_ide_html(), headers={"Content-Security-Policy": GRAPHIQL_CSP})
            params = request.query_params
            body: Any = {
                "query": params.get("query"),
                "operationName": params.get("operationName"),
                "variables": params.get("variables"),
            }
            if isinstance(body["variables"], str):
                try:
                    body["variables"] = orjson.loads(body["variables"])
                except orjson.JSONDecodeError:
                    return self._bad_request("variables is not valid JSON", media_type)
        elif method == "POST":
            content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
            if content_type not in ("application/json", GRAPHQL_RESPONSE):
                return graphql_error_response(
                    415, "Send GraphQL requests as application/json", "UNSUPPORTED_MEDIA_TYPE", media_type=media_type
                )
            length = request.headers.get("content-length")
            if length is not None and length.isdigit() and int(length) > MAX_BODY:
                return graphql_error_response(
                    413, f"Request body over {MAX_BODY} bytes", "PAYLOAD_TOO_LARGE", media_type=media_type
                )
            raw = await _read_bounded(request)
            if raw is None:
                return graphql_error_response(
                    413, f"Request body over {MAX_BODY} bytes", "PAYLOAD_TOO_LARGE", media_type=media_type
                )
            try:
                body = orjson.loads(raw)
            except orjson.JSONDecodeError:
                return self._bad_request("The body is not valid JSON", media_type)
        else:
            return graphql_error_response(
                405,
                "GraphQL accepts GET and POST",
                "METHOD_NOT_ALLOWED",
                headers={"Allow": "GET, POST"},
                media_type=media_type,
            )

        if isinstance(body, list):
            return self._bad_request("Batched requests are not supported; send one operation per request", media_type)
        if not isinstance(body, dict):
            return self._bad_request("The body must be a JSON object", media_type)
        query, variables, operation_name = body.get("query"), body.get("variables"), body.get("operationName")
        if not isinstance(query, str) or not query.strip():
            return self._bad_request("query must be a non-empty string", media_type)
        if variables is not None and not isinstance(variables, dict):
            return self._bad_request("variables must be an object", media_type)
        if operation_name is not None and not isinstance(operation_name, str):
            return self._bad_request("operationName must be a string", media_type)

        prepared = self.executor.prepare(query, operation_name)
        if prepared.operation_type == "subscription":
            return self._bad_request("Subscriptions run over the websocket at /graphql", media_type)
        if prepared.operation_type == "mutation" and method == "GET":
            return graphql_error_response(
                405, "Mutations need POST", "METHOD_NOT_ALLOWED", headers={"Allow": "POST"}, media_type=media_type
            )

        try:
            principal = await principal_for(request.headers.get("authorization"))
        except Unauthenticated as error:
            await audit_hooks.authentication_failed(
                error, operation=f"{method} /graphql", request_id=request_id, client_ip=_client_ip(request)
            )
            if self.limits is not None and (wait := await self.limits.check(None, _client_ip(request))):
                return _rate_limited(wait, media_type)
            return _unauthenticated(error.message, media_type)
        if self.limits is not None and (wait := await self.limits.check(principal, _client_ip(request))):
            return _rate_limited(wait, media_type)
        if principal is None and not (
            prepared.ok and is_public(prepared.operation_type, prepared.root_fields, introspection=self.introspection)
        ):
            return _unauthenticated("Authentication required: send Authorization: Bearer <token>", media_type)

        if not prepared.ok:
            status = 400 if media_type == GRAPHQL_RESPONSE else 200
            return JSONResponse(
                {"data": None, "errors": [format_request_error(e) for e in prepared.errors]},
                status_code=status,
                media_type=media_type,
            )

        context = Context(principal=principal, request_id=request_id, client_ip=_client_ip(request))
        result = await self.executor.execute(
            prepared, variables=variables, context=context, operation_name=operation_name
        )
        payload: dict[str, Any] = {"data": result.data}
        status = 200
        if result.errors:
            payload["errors"] = [format_error(e, request_id) for e in result.errors]
            if result.data is None and media_type == GRAPHQL_RESPONSE:
                status = 400
        return JSONResponse(payload, status_code=status, media_type=media_type)

    @staticmethod
    def _bad_request(message: str, media_type: str) -> Response:
        return graphql_error_response(400, message, "BAD_REQUEST", media_type=media_type)


def _rate_limited(wait: int, media_type: str) -> Response:
    return graphql_error_response(
        429,
        f"Too many requests: retry in {wait} s",
        "RATE_LIMITED",
        headers={"Retry-After": str(wait)},
        media_type=media_type,
    )


def _unauthenticated(message: str, media_type: str) -> Response:
    return graphql_error_response(
        401, message, "UNAUTHENTICATED", headers={"WWW-Authenticate": "Bearer"}, media_type=media_type
    )


def _client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


async def _read_bounded(request: Request) -> bytes | None:
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            return None
        chunks.append(chunk)
    return b"".join(chunks)
