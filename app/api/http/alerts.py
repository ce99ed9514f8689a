"""Alert intake over HTTP: the URLs senders are pointed at.

`POST /integrations/{alertmanager,grafana,generic}/{key}` and the PagerDuty-compatible
`POST /v2/enqueue`. Checks, in order: content type (415), size (413), key (404, the same for a
key that never existed and a revoked one), the integration's rate (429 with Retry-After), the
body (400 naming fields); then the delivery is committed before any 2xx, and a storage failure
answers 503 so the sender retries (ingestion is idempotent)."""

from __future__ import annotations

import asyncio
import logging
import re
import sqlite3
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
from starlette.requests import Request
from starlette.routing import Route
from tortoise.exceptions import BaseORMException

from app.alerts import integrations
from app.alerts.enums import AlertSource, IntegrationKind
from app.alerts.ingest import IntegrationRef, Outcome, ingest
from app.alerts.signals import Delivery
from app.api.http import alert_payloads as payloads
from app.api.http.responses import JSONResponse
from app.api.ratelimit import RateLimiter
from app.identity.policy import INGESTION

log = logging.getLogger(__name__)

MAX_BODY = 512 * 1024
_RETRY_AFTER_STORAGE = "5"
_PATHS = {
    IntegrationKind.ALERTMANAGER: "/integrations/alertmanager/",
    IntegrationKind.GRAFANA: "/integrations/grafana/",
    IntegrationKind.GENERIC: "/integrations/generic/",
}
_STORAGE_ERRORS = (BaseORMException, asyncpg.PostgresError, sqlite3.Error, OSError, asyncio.TimeoutError)


def delivery_url(base_url: str, kind: IntegrationKind, key: str) -> str:
    """What to paste into the sender's configuration (Events API v2 senders also need the key)."""
    if kind is IntegrationKind.EVENTS_V2:
        return f"{base_url}/v2/enqueue"
    return f"{base_url}{_PATHS[kind]}{key}"


_KEY_IN_PATH = re.compile(r"(/integrations/(?:alertmanager|grafana|generic)/)[^/?\s]+")


class RedactRoutingKeys(logging.Filter):
    """Keeps routing keys out of access logs: `/integrations/grafana/<key>` is logged with the
    key's first characters only (the part `Integration.keyPrefix` shows)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and any(isinstance(a, str) and "/integrations/" in a for a in record.args):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        elif isinstance(record.msg, str) and "/integrations/" in record.msg:
            record.msg = redact(record.msg)
        return True


def redact(text: str) -> str:
    return _KEY_IN_PATH.sub(lambda m: m.group(1) + m.group(0)[len(m.group(1)) :][:6] + "…", text)


def install_log_redaction() -> None:
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, RedactRoutingKeys) for f in access.filters):
        access.addFilter(RedactRoutingKeys())


class Refusal(Exception):
    """A response decided before ingestion."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        errors: list[tuple[str, str]] | None = None,
        headers: dict[str, str] | None = None,
    ):
        super().__init__(message)
        self.status, self.message, self.errors, self.headers = status, message, errors or [], headers


def _limiter(request: Request) -> RateLimiter:
    return request.app.state.alert_limiter  # type: ignore[no-any-return]


def _check_envelope(request: Request) -> None:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/json" and not content_type.endswith("+json"):
        raise Refusal(415, "Send the body as application/json")
    length = request.headers.get("content-length")
    if length is not None and length.isdigit() and int(length) > MAX_BODY:
        raise Refusal(413, f"The body is larger than {MAX_BODY // 1024} KB")


async def _body(request: Request) -> bytes:
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            raise Refusal(413, f"The body is larger than {MAX_BODY // 1024} KB")
        chunks.append(chunk)
    return b"".join(chunks)


async def _integration(request: Request, kind: IntegrationKind, key: str) -> IntegrationRef:
    integration = await integrations.authenticate(kind, key)
    if integration is None:
        raise Refusal(404, "No active integration has this key")
    wait = await _limiter(request).retry_after(str(integration.id))
    if wait is not None:
        raise Refusal(
            429, f"More deliveries than this integration's limit; retry in {wait} s", headers={"Retry-After": str(wait)}
        )
    return integration


async def _ingest(integration: IntegrationRef, source: AlertSource, delivery: Delivery) -> Outcome:
    return await ingest(
        actor=INGESTION, service_id=integration.service_id, source=source, delivery=delivery, integration=integration
    )


def _storage_failure(error: BaseException) -> Refusal:
    log.error("alert delivery not stored: %s: %s", type(error).__name__, error)
    return Refusal(503, "Storage is unavailable; retry later", headers={"Retry-After": _RETRY_AFTER_STORAGE})


def _keyed(
    kind: IntegrationKind, source: AlertSource, parse: Callable[[bytes], Delivery]
) -> Callable[[Request], Awaitable[JSONResponse]]:
    single = kind is IntegrationKind.GENERIC  # one alert per request: the answer names it

    async def endpoint(request: Request) -> JSONResponse:
        try:
            _check_envelope(request)
            try:
                integration = await _integration(request, kind, request.path_params["key"])
                raw = await _body(request)
                try:
                    delivery = parse(raw)
                except payloads.PayloadInvalid as invalid:
                    raise Refusal(400, f"Invalid {kind.value.lower()} payload", errors=invalid.errors) from None
                outcome = await _ingest(integration, source, delivery)
            except _STORAGE_ERRORS as error:
                raise _storage_failure(error) from None
        except Refusal as refusal:
            body: dict[str, Any] = {"status": "error", "message": refusal.message}
            if refusal.errors:
                body["errors"] = [{"field": field, "message": message} for field, message in refusal.errors]
            return JSONResponse(body, status_code=refusal.status, headers=refusal.headers)
        return JSONResponse(_summary(outcome, delivery, single=single))

    return endpoint


def _summary(outcome: Outcome, delivery: Delivery, *, single: bool) -> dict[str, Any]:
    body: dict[str, Any] = {
        "status": "ok",
        "received": len(delivery.signals),
        **{result: outcome.count(result) for result in ("created", "updated", "acknowledged", "resolved", "ignored")},
    }
    if single:
        key = delivery.signals[0].dedup_key
        body["dedupKey"] = key
        body["result"] = outcome.results.get(key, "ignored")
    return body


async def enqueue(request: Request) -> JSONResponse:
    """PagerDuty Events API v2: 202 {"status": "success", "message": "Event processed", "dedup_key"}."""
    try:
        _check_envelope(request)
        raw = await _body(request)
        try:
            event = payloads.events_v2(raw)
            signal = payloads.events_signal(event)
        except payloads.PayloadInvalid as invalid:
            raise Refusal(400, "Event object is invalid", errors=invalid.errors) from None
        try:
            integration = await _integration(request, IntegrationKind.EVENTS_V2, event.routing_key)
            await _ingest(integration, AlertSource.EVENTS_V2, Delivery([signal], title=signal.summary[:200] or None))
        except _STORAGE_ERRORS as error:
            raise _storage_failure(error) from None
    except Refusal as refusal:
        status = {400: "invalid event", 404: "invalid event", 429: "throttle exceeded"}.get(refusal.status, "error")
        body: dict[str, Any] = {"status": status, "message": refusal.message}
        if refusal.status == 400:
            body["errors"] = [f"{field}: {message}" for field, message in refusal.errors]
        elif refusal.status == 404:
            body["errors"] = ["routing_key: no active integration has this routing key"]
        return JSONResponse(body, status_code=refusal.status, headers=refusal.headers)
    return JSONResponse(
        {"status": "success", "message": "Event processed", "dedup_key": signal.dedup_key}, status_code=202
    )


routes = [
    Route(
        "/integrations/alertmanager/{key}",
        _keyed(IntegrationKind.ALERTMANAGER, AlertSource.ALERTMANAGER, payloads.alertmanager),
        methods=["POST"],
    ),
    Route(
        "/integrations/grafana/{key}",
        _keyed(IntegrationKind.GRAFANA, AlertSource.GRAFANA, payloads.grafana),
        methods=["POST"],
    ),
    Route(
        "/integrations/generic/{key}",
        _keyed(IntegrationKind.GENERIC, AlertSource.GENERIC, payloads.generic),
        methods=["POST"],
    ),
    Route("/v2/enqueue", enqueue, methods=["POST"]),
]
