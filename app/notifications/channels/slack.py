"""Slack delivery with slack-sdk's `AsyncWebClient`, and verification of Slack's interaction requests.

`send_slack` posts a message (`chat.postMessage`) to a channel or a user id (a direct message from
the bot); its outcome's `provider_id` is `channel:ts`, which `update_slack` takes to re-render the
message (`chat.update`) once the page is acknowledged or resolved. Rate limits (`ratelimited`,
HTTP 429 with Retry-After) and Slack-side failures are transient; `channel_not_found`,
`invalid_auth`, `user_not_found` and other refusals permanent.

`verify_interaction` checks an interaction request the way Slack signs it (`X-Slack-Signature`
over `v0:timestamp:body` with the signing secret, a five-minute window) with slack-sdk's
`SignatureVerifier`, then answers the parsed payload; `read_button` turns a clicked button into
the signed action and reference it carries.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.signature import Clock, SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from app.errors import DomainError, ErrorCode
from app.notifications.channels.base import Message, Outcome, redact
from app.notifications.channels.slack_blocks import ButtonAction, read_button_value, render
from app.notifications.channels.webhook import retry_after_seconds

if TYPE_CHECKING:
    from app.config import Settings

REPLAY_WINDOW = 300  # seconds, as Slack documents
TRANSIENT_ERRORS = frozenset(
    {"ratelimited", "rate_limited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)


@dataclass(frozen=True)
class SlackConfig:
    """The bot token (None: Slack is not configured), the signing secret (None: no interactive
    buttons) and the Web API's base URL."""

    token: str | None = field(default=None, repr=False)
    signing_secret: str | None = field(default=None, repr=False)
    api_url: str = "https://slack.com/api/"
    timeout: int = 10

    @classmethod
    def from_settings(cls, settings: Settings) -> SlackConfig:
        token = settings.slack_bot_token.get_secret_value().strip() if settings.slack_bot_token else None
        secret = settings.slack_signing_secret.get_secret_value().strip() if settings.slack_signing_secret else None
        return cls(token=token, signing_secret=secret, api_url=settings.slack_api_url)


async def send_slack(config: SlackConfig, destination: str, message: Message) -> Outcome:
    """Post `message` to a channel id or a user id; never raises for a delivery failure."""
    text, blocks = render(message, config.signing_secret)
    return await _call(config, "chat.postMessage", {"channel": destination, "text": text, "blocks": blocks})


async def update_slack(config: SlackConfig, provider_id: str, message: Message) -> Outcome:
    """Re-render a message posted earlier (`provider_id` is `send_slack`'s `channel:ts`)."""
    channel, _, ts = provider_id.partition(":")
    if not channel or not ts:
        return Outcome.permanent(f"not a Slack message id: {provider_id!r}")
    text, blocks = render(message, config.signing_secret)
    return await _call(config, "chat.update", {"channel": channel, "ts": ts, "text": text, "blocks": blocks})


async def _call(config: SlackConfig, method: str, arguments: dict[str, Any]) -> Outcome:
    if not config.token:
        return Outcome.permanent("Slack is not configured (FIREBREAK_SLACK_BOT_TOKEN is unset)")
    client = AsyncWebClient(token=config.token, base_url=config.api_url, timeout=config.timeout, retry_handlers=[])
    try:
        response = await client.api_call(method, json=arguments)
    except SlackApiError as exc:
        return _from_error(exc.response.status_code, exc.response.data, exc.response.headers)
    except TimeoutError:
        return Outcome.transient("Slack did not answer in time")
    except (aiohttp.ClientError, OSError, SlackClientError) as exc:
        return Outcome.transient(f"Slack unreachable: {redact(str(exc) or type(exc).__name__, [config.token])}")
    data = response.data if isinstance(response.data, dict) else {}
    channel, ts = data.get("channel"), data.get("ts")
    return Outcome.ok(f"Slack ok (ts {ts})", provider_id=f"{channel}:{ts}" if channel and ts else None)


def _from_error(status: int, data: Any, headers: Any) -> Outcome:
    body = data if isinstance(data, dict) else {}
    error = str(body.get("error") or f"HTTP {status}")
    lowered = {str(k).lower(): str(v) for k, v in dict(headers or {}).items()}
    retry_after = retry_after_seconds(lowered.get("retry-after"), datetime.now(UTC))
    detail = f"Slack error {error} (HTTP {status})"
    if error in TRANSIENT_ERRORS or status == 429 or status >= 500:
        return Outcome.transient(detail, retry_after=retry_after)
    return Outcome.permanent(detail)


# --- interactions (button clicks) posted by Slack ---


class InteractionRefused(DomainError):
    """An interaction request that is not provably from Slack, or not one we can read.

    `reason`: `missing_signature`, `stale` (outside the five-minute window), `bad_signature`,
    `malformed` (unreadable body) or `forged_button` (a button value Firebreak did not sign).
    """

    code = ErrorCode.UNAUTHENTICATED

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message, code=ErrorCode.VALIDATION if reason == "malformed" else None)
        self.reason = reason


@dataclass(frozen=True)
class Interaction:
    """A verified interaction: who clicked what, where."""

    type: str
    user_id: str
    team_id: str | None
    channel_id: str | None
    message_ts: str | None
    actions: tuple[tuple[str, str], ...]  # (action_id, value)
    payload: dict[str, Any]


class _At(Clock):
    def __init__(self, now: float) -> None:
        self._now = now

    def now(self) -> float:
        return self._now


def verify_interaction(
    headers: Mapping[str, str], body: bytes, signing_secret: str, now: datetime | float
) -> Interaction:
    """The interaction in `body` if Slack signed it within five minutes of `now`; `InteractionRefused` otherwise."""
    lowered = {k.lower(): v for k, v in headers.items()}
    timestamp, signature = lowered.get("x-slack-request-timestamp"), lowered.get("x-slack-signature")
    if not timestamp or not signature:
        raise InteractionRefused("missing_signature", "the request is not signed by Slack")
    moment = now.timestamp() if isinstance(now, datetime) else float(now)
    try:
        stale = abs(moment - int(timestamp)) > REPLAY_WINDOW
    except ValueError:
        raise InteractionRefused("bad_signature", "the request's Slack timestamp is not a number") from None
    if stale:
        raise InteractionRefused("stale", "the request's Slack timestamp is outside the five-minute window")
    if not SignatureVerifier(signing_secret, clock=_At(moment)).is_valid(body, timestamp, signature):
        raise InteractionRefused("bad_signature", "the request's Slack signature does not match")
    return _parse(body)


def _parse(body: bytes) -> Interaction:
    try:
        payload = json.loads(parse_qs(body.decode("utf-8"), strict_parsing=True)["payload"][0])
        user = payload["user"]
        actions = tuple((str(a["action_id"]), str(a.get("value", ""))) for a in payload.get("actions", ()))
        channel = payload.get("channel") or {}
        container = payload.get("container") or {}
        return Interaction(
            type=str(payload["type"]),
            user_id=str(user["id"]),
            team_id=(payload.get("team") or {}).get("id") or user.get("team_id"),
            channel_id=channel.get("id") or container.get("channel_id"),
            message_ts=(payload.get("message") or {}).get("ts") or container.get("message_ts"),
            actions=actions,
            payload=payload,
        )
    except (UnicodeDecodeError, ValueError, KeyError, TypeError, AttributeError):
        raise InteractionRefused("malformed", "the interaction payload is not readable") from None


def read_button(interaction: Interaction, signing_secret: str) -> tuple[ButtonAction, str]:
    """The action and reference of the clicked Acknowledge/Resolve button; `InteractionRefused` if forged."""
    for _, value in interaction.actions:
        parsed = read_button_value(value, signing_secret)
        if parsed is not None:
            return parsed
    raise InteractionRefused("forged_button", "the interaction carries no button value signed by Firebreak")
