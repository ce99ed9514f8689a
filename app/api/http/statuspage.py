"""The public status page over HTTP: Statuspage v2 JSON, the Atom feed and the HTML page.

No authentication and only public data: everything is rendered from the cached public
snapshot, once per change, so a request that finds the cache warm reads no database. Every
answer carries ETag, Last-Modified and Cache-Control, answers 304 to a conditional request
that matches, and may be read from any origin (CORS GET)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from app.api.http import statuspage_feed, statuspage_html, statuspage_v2
from app.config import Settings
from app.statuspage.cache import public_cache
from app.statuspage.snapshot import Snapshot
from app.statuspage.uptime import day_bounds

PUBLIC_PREFIXES = ("/api/v2/", "/status")
JSON = b"application/json"
CORS = [
    (b"access-control-allow-origin", b"*"),
    (b"access-control-expose-headers", b"ETag, Last-Modified"),
    (b"x-content-type-options", b"nosniff"),
]
PREFLIGHT = [
    (b"access-control-allow-origin", b"*"),
    (b"access-control-allow-methods", b"GET, HEAD, OPTIONS"),
    (b"access-control-allow-headers", b"If-None-Match, If-Modified-Since, Cache-Control"),
    (b"access-control-max-age", b"86400"),
]


@dataclass(frozen=True)
class Rendered:
    body: bytes
    etag: str
    last_modified: datetime  # whole seconds, UTC
    headers: list[tuple[bytes, bytes]]  # for 200
    not_modified: list[tuple[bytes, bytes]]  # for 304


class _RawResponse(Response):
    """A response whose headers are already encoded (the hot path builds nothing)."""

    def __init__(self, body: bytes, headers: list[tuple[bytes, bytes]], status_code: int = 200) -> None:
        self.status_code = status_code
        self.body = body
        self.raw_headers = list(headers)
        self.background = None


def _html_security(settings: Settings) -> list[tuple[bytes, bytes]]:
    images = "'self' data:"
    if settings.status_page_logo_url:
        parts = urlsplit(settings.status_page_logo_url)
        images += f" {parts.scheme}://{parts.netloc}"
    policy = (
        f"default-src 'none'; style-src 'self'; img-src {images}; base-uri 'none'; form-action 'none'; "
        "frame-ancestors 'none'"
    )
    return [
        (b"content-security-policy", policy.encode()),
        (b"referrer-policy", b"strict-origin-when-cross-origin"),
        (b"x-frame-options", b"DENY"),
        (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
    ]


def _prepare(
    body: bytes, media_type: bytes, modified: datetime, cache_control: bytes, extra: list[tuple[bytes, bytes]]
) -> Rendered:
    etag = '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'
    modified = modified.astimezone(UTC).replace(microsecond=0)
    common = [
        (b"etag", etag.encode()),
        (b"last-modified", format_datetime(modified, usegmt=True).encode()),
        (b"cache-control", cache_control),
        *CORS,
        *extra,
    ]
    headers = [(b"content-type", media_type), (b"content-length", str(len(body)).encode()), *common]
    return Rendered(body, etag, modified, headers, common)


def _matches(if_none_match: str, etag: str) -> bool:
    if if_none_match.strip() == "*":
        return True
    weak = etag[2:] if etag.startswith("W/") else etag
    return any(tag.strip().removeprefix("W/") == weak for tag in if_none_match.split(","))


def _not_modified(request: Request, rendered: Rendered) -> bool:
    headers = request.headers
    if_none_match = headers.get("if-none-match")
    if if_none_match is not None:  # takes precedence over If-Modified-Since (RFC 9110)
        return _matches(if_none_match, rendered.etag)
    since = headers.get("if-modified-since")
    if since is None:
        return False
    try:
        parsed = parsedate_to_datetime(since)
    except (TypeError, ValueError, IndexError):
        return False
    return parsed.tzinfo is not None and rendered.last_modified <= parsed


def _endpoint(key: str, render: Callable[[Snapshot], Rendered]) -> Callable[[Request], Any]:
    async def endpoint(request: Request) -> Response:
        rendered = await public_cache.rendered(key, render)
        if _not_modified(request, rendered):
            return _RawResponse(b"", rendered.not_modified, 304)
        return _RawResponse(rendered.body, rendered.headers)

    endpoint.__name__ = key.replace(".", "_").replace("/", "_")
    return endpoint


async def _preflight(_: Request) -> Response:
    return _RawResponse(b"", PREFLIGHT, 204)


_JSON_ENDPOINTS: dict[str, Callable[[Snapshot], dict[str, Any]]] = {
    "/api/v2/summary.json": statuspage_v2.summary,
    "/api/v2/status.json": statuspage_v2.status,
    "/api/v2/components.json": statuspage_v2.components,
    "/api/v2/incidents.json": statuspage_v2.incidents,
    "/api/v2/incidents/unresolved.json": statuspage_v2.unresolved_incidents,
    "/api/v2/scheduled-maintenances.json": statuspage_v2.scheduled_maintenances,
    "/api/v2/scheduled-maintenances/upcoming.json": statuspage_v2.upcoming_maintenances,
    "/api/v2/scheduled-maintenances/active.json": statuspage_v2.active_maintenances,
}


def routes(settings: Settings) -> list[Route]:
    """The public routes; caching and security headers follow the settings."""
    cache_control = f"public, max-age={settings.status_page_max_age}".encode()
    html_headers = _html_security(settings)

    def json_renderer(build: Callable[[Snapshot], dict[str, Any]]) -> Callable[[Snapshot], Rendered]:
        return lambda s: _prepare(orjson.dumps(build(s)), JSON, s.updated_at, cache_control, [])

    def html_renderer(s: Snapshot) -> Rendered:
        # The uptime bars move on at midnight (page time zone) whatever else happened.
        modified = max(s.updated_at, day_bounds(s.built_at.astimezone(s.page.tz).date(), s.page.tz)[0])
        return _prepare(statuspage_html.html(s), b"text/html; charset=utf-8", modified, cache_control, html_headers)

    def feed_renderer(s: Snapshot) -> Rendered:
        return _prepare(
            statuspage_feed.atom(s), b"application/atom+xml; charset=utf-8", s.updated_at, cache_control, []
        )

    css = _prepare(
        statuspage_html.CSS,
        b"text/css; charset=utf-8",
        datetime(2026, 1, 1, tzinfo=UTC),
        b"public, max-age=86400",
        [],
    )

    async def stylesheet(request: Request) -> Response:
        if _not_modified(request, css):
            return _RawResponse(b"", css.not_modified, 304)
        return _RawResponse(css.body, css.headers)

    result = [
        Route(path, _endpoint(path, json_renderer(build)), methods=["GET", "HEAD"])
        for path, build in _JSON_ENDPOINTS.items()
    ]
    result += [
        Route("/status", _endpoint("/status", html_renderer), methods=["GET", "HEAD"]),
        Route("/status/feed.atom", _endpoint("/status/feed.atom", feed_renderer), methods=["GET", "HEAD"]),
        Route("/status/status.css", stylesheet, methods=["GET", "HEAD"]),
    ]
    result += [Route(route.path, _preflight, methods=["OPTIONS"]) for route in list(result)]
    return result
