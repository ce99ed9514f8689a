"""Slack delivery through slack-sdk pointed at a local stand-in for Slack's Web API, and interaction
requests signed exactly as Slack signs them."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any
from urllib.parse import urlencode

import pytest
from starlette.responses import JSONResponse, Response

from app.errors import ErrorCode
from app.notifications.channels.base import Message, MessageKind, PageState, Status
from app.notifications.channels.slack import (
    InteractionRefused,
    SlackConfig,
    read_button,
    send_slack,
    update_slack,
    verify_interaction,
)
from app.notifications.channels.slack_blocks import ButtonAction, button_value, read_button_value
from tests.notifications.servers import SlackStandIn, closed_port, serve

SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
TOKEN = "xoxb-test-0000-secret"
PAGE = Message(
    MessageKind.PAGE,
    "Checkout is down",
    "503 for <every> request & more",
    incident_ref="INC-42",
    incident_url="https://firebreak.example/incidents/42",
    severity="SEV1",
    step=2,
    ack_url="https://firebreak.example/ack/a1",
    resolve_url="https://firebreak.example/resolve/r1",
    action_ref="Page:17",
)


def slack(port: int, **changes: Any) -> SlackConfig:
    values = {
        "token": TOKEN,
        "signing_secret": SIGNING_SECRET,
        "api_url": f"http://127.0.0.1:{port}/api/",
        "timeout": 5,
    }
    return SlackConfig(**{**values, **changes})


def buttons(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for b in blocks if b["type"] == "actions" for e in b["elements"]]


async def test_a_page_is_posted_with_block_kit_and_signed_buttons() -> None:
    api = SlackStandIn()
    async with serve(api.app()) as port:
        outcome = await send_slack(slack(port), "U024BE7LH", PAGE)
    assert outcome.status is Status.SENT and outcome.provider_id == "D024BE7LH:1700000000.000001"
    [(method, arguments, authorization)] = api.calls
    assert method == "chat.postMessage" and authorization == f"Bearer {TOKEN}"
    assert arguments["channel"] == "U024BE7LH" and arguments["text"] == "INC-42: Checkout is down"
    blocks = arguments["blocks"]
    head = blocks[0]
    assert head["text"]["text"] == "<https://firebreak.example/incidents/42|INC-42: Checkout is down>"
    assert [f["text"] for f in head["fields"]] == ["*Severity*\nSEV1", "*Escalation step*\n2", "*State*\nTriggered"]
    assert blocks[1]["text"]["text"] == "503 for &lt;every&gt; request &amp; more"
    ack, resolve = buttons(blocks)
    assert (ack["action_id"], ack["style"], resolve["action_id"]) == (
        "firebreak.acknowledge",
        "primary",
        "firebreak.resolve",
    )
    assert read_button_value(ack["value"], SIGNING_SECRET) == (ButtonAction.ACKNOWLEDGE, "Page:17")
    assert read_button_value(resolve["value"], SIGNING_SECRET) == (ButtonAction.RESOLVE, "Page:17")
    assert TOKEN not in json.dumps(arguments)


async def test_the_message_is_updated_when_acknowledged_then_resolved() -> None:
    api = SlackStandIn()
    async with serve(api.app()) as port:
        posted = await send_slack(slack(port), "C0INCIDENTS", PAGE)
        assert posted.provider_id is not None
        acked = Message(**{**_fields(PAGE), "state": PageState.ACKNOWLEDGED, "status_note": "Acknowledged by Ada"})
        resolved = Message(**{**_fields(PAGE), "state": PageState.RESOLVED, "status_note": "Resolved by Ada"})
        first = await update_slack(slack(port), posted.provider_id, acked)
        second = await update_slack(slack(port), posted.provider_id, resolved)
    assert first.sent and second.sent
    (_, after_ack, _), (_, after_resolve, _) = api.calls[1][0:3], api.calls[2][0:3]
    assert [c[0] for c in api.calls] == ["chat.postMessage", "chat.update", "chat.update"]
    assert after_ack["channel"] == "C0INCIDENTS" and after_ack["ts"] == "1700000000.000001"
    assert [b["action_id"] for b in buttons(after_ack["blocks"])] == ["firebreak.resolve"]
    assert after_ack["blocks"][-1]["elements"][0]["text"] == "Acknowledged by Ada"
    assert buttons(after_resolve["blocks"]) == []
    assert "*State*\nResolved" in [f["text"] for f in after_resolve["blocks"][0]["fields"]]


def _fields(message: Message) -> dict[str, Any]:
    return {name: getattr(message, name) for name in message.__dataclass_fields__}


async def test_without_a_signing_secret_the_buttons_open_the_signed_links() -> None:
    api = SlackStandIn()
    async with serve(api.app()) as port:
        assert (await send_slack(slack(port, signing_secret=None), "C1", PAGE)).sent
    ack, resolve = buttons(api.calls[0][1]["blocks"])
    assert ack["url"] == "https://firebreak.example/ack/a1" and "value" not in ack
    assert resolve["url"] == "https://firebreak.example/resolve/r1"


@pytest.mark.parametrize(
    ("answer", "status", "detail", "retry_after"),
    [
        (
            JSONResponse({"ok": False, "error": "ratelimited"}, 429, {"retry-after": "30"}),
            Status.TRANSIENT,
            "ratelimited",
            30,
        ),
        (JSONResponse({"ok": False, "error": "channel_not_found"}), Status.PERMANENT, "channel_not_found", None),
        (JSONResponse({"ok": False, "error": "invalid_auth"}), Status.PERMANENT, "invalid_auth", None),
        (JSONResponse({"ok": False, "error": "user_not_found"}), Status.PERMANENT, "user_not_found", None),
        (JSONResponse({"ok": False, "error": "internal_error"}), Status.TRANSIENT, "internal_error", None),
        (Response("<html>bad gateway</html>", 502, media_type="text/html"), Status.TRANSIENT, "HTTP 502", None),
    ],
)
async def test_slack_errors_map_to_outcomes(
    answer: Response, status: Status, detail: str, retry_after: float | None
) -> None:
    api = SlackStandIn(answers=[answer])
    async with serve(api.app()) as port:
        outcome = await send_slack(slack(port), "C1", PAGE)
    assert outcome.status is status and detail in outcome.detail and outcome.retry_after == retry_after
    assert TOKEN not in outcome.detail


async def test_unreachable_or_unconfigured_slack() -> None:
    unreachable = await send_slack(slack(closed_port()), "C1", PAGE)
    assert unreachable.status is Status.TRANSIENT and TOKEN not in unreachable.detail
    unconfigured = await send_slack(SlackConfig(), "C1", PAGE)
    assert unconfigured.status is Status.PERMANENT and "FIREBREAK_SLACK_BOT_TOKEN" in unconfigured.detail
    malformed = await update_slack(slack(closed_port()), "no-ts", PAGE)
    assert malformed.status is Status.PERMANENT


def signed_by_slack(
    payload: dict[str, Any], timestamp: int, secret: str = SIGNING_SECRET
) -> tuple[dict[str, str], bytes]:
    """Headers and body exactly as Slack sends an interaction (its documented v0 signature)."""
    body = urlencode({"payload": json.dumps(payload)}).encode()
    base = f"v0:{timestamp}:".encode() + body
    signature = "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": str(timestamp),
        "X-Slack-Signature": signature,
    }
    return headers, body


def click(value: str) -> dict[str, Any]:
    return {
        "type": "block_actions",
        "user": {"id": "U024BE7LH", "username": "ada", "team_id": "T1"},
        "team": {"id": "T1"},
        "container": {"type": "message", "message_ts": "1700000000.000001", "channel_id": "C0INCIDENTS"},
        "channel": {"id": "C0INCIDENTS"},
        "message": {"ts": "1700000000.000001"},
        "actions": [{"action_id": "firebreak.acknowledge", "value": value, "type": "button"}],
    }


def test_a_signed_interaction_is_verified_and_its_button_read() -> None:
    now = int(time.time())
    headers, body = signed_by_slack(click(button_value(ButtonAction.ACKNOWLEDGE, "Page:17", SIGNING_SECRET)), now - 30)
    interaction = verify_interaction(headers, body, SIGNING_SECRET, now)
    assert (interaction.type, interaction.user_id, interaction.team_id) == ("block_actions", "U024BE7LH", "T1")
    assert (interaction.channel_id, interaction.message_ts) == ("C0INCIDENTS", "1700000000.000001")
    assert read_button(interaction, SIGNING_SECRET) == (ButtonAction.ACKNOWLEDGE, "Page:17")


@pytest.mark.parametrize(
    ("tamper", "reason"),
    [
        ("wrong_secret", "bad_signature"),
        ("stale", "stale"),
        ("future", "stale"),
        ("body_changed", "bad_signature"),
        ("unsigned", "missing_signature"),
    ],
)
def test_interactions_not_signed_by_slack_are_refused(tamper: str, reason: str) -> None:
    now = int(time.time())
    value = button_value(ButtonAction.RESOLVE, "Page:17", SIGNING_SECRET)
    stamp = {"stale": now - 301, "future": now + 301}.get(tamper, now)
    headers, body = signed_by_slack(
        click(value), stamp, "another-secret" if tamper == "wrong_secret" else SIGNING_SECRET
    )
    if tamper == "body_changed":
        body = body.replace(b"Page%3A17", b"Page%3A18")
    if tamper == "unsigned":
        del headers["X-Slack-Signature"]
    with pytest.raises(InteractionRefused) as refused:
        verify_interaction(headers, body, SIGNING_SECRET, now)
    assert refused.value.reason == reason and refused.value.code is ErrorCode.UNAUTHENTICATED


def test_a_signed_request_with_a_forged_button_or_no_payload_is_refused() -> None:
    now = int(time.time())
    forged = button_value(ButtonAction.RESOLVE, "Page:17", "not-our-secret")
    headers, body = signed_by_slack(click(forged), now)
    interaction = verify_interaction(headers, body, SIGNING_SECRET, now)
    with pytest.raises(InteractionRefused) as refused:
        read_button(interaction, SIGNING_SECRET)
    assert refused.value.reason == "forged_button"
    altered = button_value(ButtonAction.RESOLVE, "Page:17", SIGNING_SECRET).replace(
        "resolve:Page:17", "resolve:Page:18"
    )
    assert read_button_value(altered, SIGNING_SECRET) is None
    base = f"v0:{now}:".encode() + b"not=a+payload"
    signed = {
        "X-Slack-Request-Timestamp": str(now),
        "X-Slack-Signature": "v0=" + hmac.new(SIGNING_SECRET.encode(), base, hashlib.sha256).hexdigest(),
    }
    with pytest.raises(InteractionRefused) as malformed:
        verify_interaction(signed, b"not=a+payload", SIGNING_SECRET, now)
    assert malformed.value.reason == "malformed" and malformed.value.code is ErrorCode.VALIDATION
