"""Real local servers the channel tests deliver to: an HTTP receiver (uvicorn + Starlette) that
records requests and answers what the test queues, a stand-in for Slack's Web API, and an SMTP
server (aiosmtpd) that accepts, refuses or stalls."""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import orjson
import uvicorn
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route


async def wait_for(predicate: Callable[[], bool], timeout: float = 10.0) -> None:
    """Poll until `predicate()` holds (fails the test at the deadline)."""
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.01)


@contextlib.asynccontextmanager
async def serve(app: Any, **ssl_options: Any) -> AsyncIterator[int]:
    """Run an ASGI app under uvicorn on 127.0.0.1 and a free port (yielded) for the block's duration."""
    config = uvicorn.Config(app, host="127.0.0.1", port=0, lifespan="off", log_level="warning", **ssl_options)
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    await wait_for(lambda: server.started or task.done())
    if task.done():
        task.result()  # raise the failure to start
    port = int(server.servers[0].sockets[0].getsockname()[1])
    try:
        yield port
    finally:
        server.should_exit = True
        await task


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """Records every request; answers the queued responses in order, then `default`."""

    answers: list[Response] = field(default_factory=list)
    default: Callable[[], Response] = lambda: Response(status_code=204)
    requests: list[Recorded] = field(default_factory=list)
    check: Callable[[Recorded], Awaitable[None]] | None = None

    async def handle(self, request: Request) -> Response:
        record = Recorded(request.method, request.url.path, dict(request.headers), await request.body())
        self.requests.append(record)
        if self.check is not None:
            await self.check(record)
        return self.answers.pop(0) if self.answers else self.default()

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/{path:path}", self.handle, methods=["GET", "POST", "PUT"])])


@dataclass
class SlackStandIn:
    """Slack's Web API as slack-sdk sees it: records calls and answers like Slack, or as queued."""

    calls: list[tuple[str, dict[str, Any], str]] = field(default_factory=list)
    answers: list[Response] = field(default_factory=list)

    async def handle(self, request: Request) -> Response:
        method = request.path_params["method"]
        self.calls.append((method, orjson.loads(await request.body()), request.headers.get("authorization", "")))
        if self.answers:
            return self.answers.pop(0)
        arguments = self.calls[-1][1]
        channel = str(arguments.get("channel", ""))
        channel = "D" + channel[1:] if channel.startswith("U") else channel  # a user id opens a DM channel
        ts = arguments.get("ts") or f"1700000000.{len(self.calls):06d}"
        return JSONResponse({"ok": True, "channel": channel, "ts": ts, "message": {"text": arguments.get("text")}})

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/api/{method}", self.handle, methods=["POST"])])


class Mailbox:
    """An aiosmtpd handler: refuses `nouser…` with 550 and `busy…` with 450, keeps what it accepts."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[Envelope] = []

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if address.startswith("nouser"):
            return "550 5.1.1 No such user here"
        if address.startswith("busy"):
            return "450 4.2.1 Mailbox busy, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        assert isinstance(envelope.content, bytes)
        self.envelopes.append(envelope)
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(parsed)
        return "250 2.0.0 Message accepted for delivery"


def password_check(user: str, password: str) -> Callable[..., AuthResult]:
    def authenticate(server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any) -> AuthResult:
        ok = isinstance(data, LoginPassword) and data.login.decode() == user and data.password.decode() == password
        return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd answers 535 itself

    return authenticate


@contextlib.asynccontextmanager
async def smtp_server(
    handler: Mailbox, *, implicit_tls: ssl.SSLContext | None = None, **options: Any
) -> AsyncIterator[int]:
    """An aiosmtpd server in this event loop on a free port (yielded)."""
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: SMTP(handler, **options), "127.0.0.1", 0, ssl=implicit_tls)
    try:
        yield int(server.sockets[0].getsockname()[1])
    finally:
        server.close()
        await server.wait_closed()


@contextlib.asynccontextmanager
async def silent_server() -> AsyncIterator[int]:
    """A TCP server that accepts connections and never says a word (an SMTP greeting never comes)."""
    held: list[asyncio.StreamWriter] = []

    async def hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    try:
        yield int(server.sockets[0].getsockname()[1])
    finally:
        for writer in held:
            writer.close()
        server.close()
        await server.wait_closed()


def closed_port() -> int:
    """A port nothing listens on (bound, then released)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
