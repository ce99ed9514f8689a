"""Security headers on every response: no MIME sniffing, no referrers leaving the site; on HTML
a restrictive Content-Security-Policy (unless the page set its own) and no framing; HSTS when the
request came over TLS (directly or through a trusted proxy)."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

ALWAYS = [(b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"no-referrer")]
HTML_DEFAULTS = [
    (
        b"content-security-policy",
        b"default-src 'none'; style-src 'self'; img-src 'self' https: data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    ),
    (b"x-frame-options", b"DENY"),
]
HSTS = (b"strict-transport-security", b"max-age=63072000; includeSubDomains")


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        secure = scope.get("scheme") == "https"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                extra = [h for h in ALWAYS if h[0] not in present]
                content_type = next((v for n, v in headers if n.lower() == b"content-type"), b"")
                if content_type.startswith(b"text/html"):
                    extra += [h for h in HTML_DEFAULTS if h[0] not in present]
                if secure and HSTS[0] not in present:
                    extra.append(HSTS)
                message["headers"] = headers + extra
            await send(message)

        await self.app(scope, receive, send_with_headers)
