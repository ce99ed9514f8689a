"""Signed webhooks per Standard Webhooks, sent with httpx through the outbound guard.

Each request carries `webhook-id` (receivers deduplicate on it: delivery is at least once),
`webhook-timestamp` and `webhook-signature`, computed by the `standardwebhooks` package from
`whsec_` secrets. During a secret rotation the request is signed with every secret still honoured,
the signatures space-separated, so a receiver that knows either one verifies it.

Answers: 2xx sent; 429 transient after its Retry-After; 408, 5xx, timeouts and connection errors
transient; 410 and every other 4xx permanent (after a 410 the caller disables the endpoint);
redirects are not followed (permanent: the endpoint's URL needs fixing); a destination the guard
refuses is permanent.
"""

from __future__ import annotations

import base64
import binascii
import secrets as random
import ssl
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from types import TracebackType
from typing import Any

import httpx
import orjson
from standardwebhooks.webhooks import Webhook

from app.errors import ValidationFailed
from app.notifications.channels.base import Message, Outcome
from app.notifications.outbound import OutboundGuard, OutboundRefused

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32
USER_AGENT = "Firebreak-Webhooks/1"
EXCERPT_BYTES = 512
RETRY_AFTER_MAX = 86_400.0


def generate_secret() -> str:
    """A new signing secret: `whsec_` and 32 random bytes in base64."""
    return SECRET_PREFIX + base64.b64encode(random.token_bytes(SECRET_BYTES)).decode()


def check_secret(secret: str, field: str = "secret") -> str:
    """`secret` if it is a `whsec_` secret of 24 to 64 bytes; `VALIDATION` naming `field` otherwise."""
    if not secret.startswith(SECRET_PREFIX):
        raise ValidationFailed(f"{field} must start with {SECRET_PREFIX}", field=field)
    try:
        key = base64.b64decode(secret[len(SECRET_PREFIX) :], validate=True)
    except (binascii.Error, ValueError):
        raise ValidationFailed(f"{field} must be {SECRET_PREFIX} followed by base64", field=field) from None
    if not 24 <= len(key) <= 64:
        raise ValidationFailed(f"{field} must hold 24 to 64 bytes", field=field)
    return secret


def secret_prefix(secret: str) -> str:
    """The part of a secret that may be shown again to tell secrets apart (`whsec_` and 4 characters)."""
    return secret[: len(SECRET_PREFIX) + 4]


def new_message_id() -> str:
    return f"msg_{uuid.uuid4().hex}"


def sign(secrets: Sequence[str], msg_id: str, timestamp: datetime, body: bytes) -> str:
    """The `webhook-signature` value: one `v1,<base64>` per secret, space-separated."""
    if not secrets:
        raise ValueError("at least one signing secret is needed")
    return " ".join(Webhook(s).sign(msg_id, timestamp, body) for s in secrets)


def signed_headers(secrets: Sequence[str], msg_id: str, timestamp: datetime, body: bytes) -> dict[str, str]:
    return {
        "content-type": "application/json",
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(timestamp.timestamp())),
        "webhook-signature": sign(secrets, msg_id, timestamp, body),
    }


def event_payload(event_type: str, data: Mapping[str, Any], timestamp: datetime) -> bytes:
    """The Standard Webhooks envelope: `{"type", "timestamp", "data"}` as JSON bytes."""
    stamp = timestamp.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return orjson.dumps({"type": event_type, "timestamp": stamp, "data": dict(data)})


def message_payload(message: Message, timestamp: datetime) -> bytes:
    """A notification to a person's webhook contact method, as `notification.<kind>`."""
    data = {
        "kind": message.kind.value,
        "subject": message.subject,
        "text": message.text,
        "incident": message.incident_ref,
        "incidentUrl": message.incident_url,
        "severity": message.severity,
        "step": message.step,
        "state": message.state.value,
        "acknowledgeUrl": message.ack_url,
        "resolveUrl": message.resolve_url,
        "unsubscribeUrl": message.unsubscribe_url,
    }
    return event_payload(f"notification.{message.kind.value.lower()}", data, timestamp)


@dataclass(frozen=True)
class WebhookTarget:
    """An endpoint: its URL and the secrets to sign with (the newest first, then those still honoured)."""

    url: str
    secrets: tuple[str, ...] = field(repr=False)


def retry_after_seconds(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date), within a day."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(int(value))
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - now).total_seconds()
    return min(max(seconds, 0.0), RETRY_AFTER_MAX)


def classify(status: int, reason: str, excerpt: str, retry_after: float | None, location: str | None) -> Outcome:
    """The outcome of an HTTP answer (see the module's docstring)."""
    detail = f"HTTP {status} {reason}".strip() + (f": {excerpt}" if excerpt else "")
    if 200 <= status < 300:
        return Outcome.ok(f"HTTP {status} {reason}".strip())
    if 300 <= status < 400:
        target = httpx.URL(location).host if location else "elsewhere"
        return Outcome.permanent(f"HTTP {status} {reason}: redirect to {target or 'a relative URL'} not followed")
    if status == 429 or status == 408 or status >= 500:
        return Outcome.transient(detail, retry_after=retry_after)
    return Outcome.permanent(detail)


class WebhookSender:
    """Delivers signed webhooks over one pooled, guarded httpx client (one per process or worker)."""

    def __init__(
        self,
        guard: OutboundGuard,
        *,
        timeout: float = 10.0,
        max_connections: int = 100,
        verify: ssl.SSLContext | bool = True,
    ) -> None:
        self._client = guard.client(
            timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)),
            follow_redirects=False,
            verify=verify,
            limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections),
            headers={"user-agent": USER_AGENT, "accept-encoding": "identity"},
        )

    async def __aenter__(self) -> WebhookSender:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._client.aclose()

    async def send(self, target: WebhookTarget, message: Message, *, msg_id: str | None = None) -> Outcome:
        """Deliver a notification `Message` (see `message_payload`)."""
        now = datetime.now(UTC)
        return await self.deliver(
            target, message_payload(message, now), msg_id=msg_id or new_message_id(), timestamp=now
        )

    async def deliver(
        self, target: WebhookTarget, body: bytes, *, msg_id: str, timestamp: datetime | None = None
    ) -> Outcome:
        """POST `body` signed to the target; never raises for a delivery failure."""
        timestamp = timestamp or datetime.now(UTC)
        headers = signed_headers(target.secrets, msg_id, timestamp, body)
        try:
            async with self._client.stream("POST", target.url, content=body, headers=headers) as response:
                excerpt = "" if response.is_success else await _excerpt(response)
                outcome = classify(
                    response.status_code,
                    response.reason_phrase,
                    excerpt,
                    retry_after_seconds(response.headers.get("retry-after"), datetime.now(UTC)),
                    response.headers.get("location"),
                )
        except OutboundRefused as exc:
            return Outcome.permanent(exc.message)
        except httpx.TimeoutException:
            return Outcome.transient("timed out")
        except (httpx.InvalidURL, httpx.UnsupportedProtocol) as exc:
            return Outcome.permanent(f"unusable URL: {exc}")
        except httpx.TransportError as exc:
            return Outcome.transient(f"connection failed: {exc or type(exc).__name__}")
        if outcome.sent:
            return Outcome.ok(outcome.detail, provider_id=msg_id)
        return outcome


async def _excerpt(response: httpx.Response) -> str:
    """The start of an error answer's body (bounded: a receiver cannot make us read megabytes)."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_raw():
        chunks.append(chunk)
        size += len(chunk)
        if size >= EXCERPT_BYTES:
            break
    return b"".join(chunks)[:EXCERPT_BYTES].decode("utf-8", "replace")
