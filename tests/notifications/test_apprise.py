"""Apprise targets (`json://`, `ntfy://`) pointed at a real local receiver, the guard applied to the
connections Apprise opens, and Apprise URL validation."""

from __future__ import annotations

import orjson
import pytest
from starlette.responses import Response

from app.config import load_settings
from app.errors import ValidationFailed
from app.notifications.channels.apprise import check_apprise_url, display_url, send_apprise
from app.notifications.channels.base import Message, MessageKind, Status
from app.notifications.outbound import OutboundGuard
from tests.notifications.servers import Receiver, closed_port, serve

PAGE = Message(
    MessageKind.PAGE,
    "Checkout is down",
    "503 everywhere",
    incident_ref="INC-9",
    ack_url="https://firebreak.example/ack/k9",
)
ALLOW_LOCAL = OutboundGuard.from_settings(load_settings(outbound_allow="127.0.0.1"))


async def test_a_json_target_receives_the_message() -> None:
    receiver = Receiver(default=lambda: Response("ok"))
    async with serve(receiver.app()) as port:
        outcome = await send_apprise(f"json://127.0.0.1:{port}/hooks/firebreak", PAGE, guard=ALLOW_LOCAL)
    assert outcome.status is Status.SENT
    [request] = receiver.requests
    assert request.method == "POST" and request.path == "/hooks/firebreak"
    body = orjson.loads(request.body)
    assert body["title"] == "INC-9: Checkout is down" and body["type"] == "failure"
    assert body["message"] == "503 everywhere\n\nAcknowledge: https://firebreak.example/ack/k9"


async def test_an_ntfy_target_receives_the_message() -> None:
    receiver = Receiver(default=lambda: Response('{"id":"x1"}', media_type="application/json"))
    async with serve(receiver.app()) as port:
        outcome = await send_apprise(f"ntfy://127.0.0.1:{port}/oncall-ada", PAGE, guard=ALLOW_LOCAL)
    assert outcome.sent
    body = orjson.loads(receiver.requests[0].body)
    assert body["topic"] == "oncall-ada" and body["title"] == "INC-9: Checkout is down"
    assert "503 everywhere" in body["message"]


async def test_the_guard_refuses_local_targets_unless_allowed() -> None:
    receiver = Receiver()
    async with serve(receiver.app()) as port:
        for url in (f"json://127.0.0.1:{port}/x", f"ntfy://localhost:{port}/topic", "json://169.254.169.254/latest"):
            outcome = await send_apprise(url, PAGE, guard=OutboundGuard())
            assert outcome.status is Status.PERMANENT and "FIREBREAK_OUTBOUND_ALLOW" in outcome.detail, url
    assert receiver.requests == []


async def test_a_redirect_is_not_followed_even_when_the_url_asks() -> None:
    receiver = Receiver(default=lambda: Response(status_code=302, headers={"location": "http://127.0.0.1:9/elsewhere"}))
    async with serve(receiver.app()) as port:
        outcome = await send_apprise(f"json://127.0.0.1:{port}/x?redirect=yes", PAGE, guard=ALLOW_LOCAL)
    assert outcome.status is Status.TRANSIENT and [r.path for r in receiver.requests] == ["/x"]


async def test_failures_map_to_outcomes_without_the_urls_secrets() -> None:
    receiver = Receiver()
    receiver.answers += [Response(status_code=500), Response(status_code=404)]
    async with serve(receiver.app()) as port:
        failing = await send_apprise(f"json://bot:pa55word@127.0.0.1:{port}/x", PAGE, guard=ALLOW_LOCAL)
        missing = await send_apprise(f"json://bot:pa55word@127.0.0.1:{port}/x", PAGE, guard=ALLOW_LOCAL)
    assert failing.status is Status.TRANSIENT and "500" in failing.detail
    assert missing.status is Status.PERMANENT and "404" in missing.detail
    unreachable = await send_apprise(f"json://127.0.0.1:{closed_port()}/x", PAGE, guard=ALLOW_LOCAL)
    assert unreachable.status is Status.TRANSIENT
    assert all("pa55word" not in o.detail for o in (failing, missing, unreachable))
    assert receiver.requests[0].headers["authorization"].startswith("Basic ")  # the credentials were used


@pytest.mark.parametrize(
    "url",
    [
        "ntfys://ntfy.sh/oncall",
        "discord://4174216298/JHMHI8qBe7bk2ZwO5U711o3dV_js",
        "tgram://123456789:abcdefg_hijklmnop/-100123",
        "pover://u8h2n9xj3ygehsy6kj7skhaqs3wp1n@a7ftwqkk8ya7sheb2yc6bbm8xd1pm4",
        "gotifys://gotify.example/AbCdEfGhIj12345",
        "matrixs://ada:secret@matrix.example/#oncall",
        "json://hooks.example/firebreak",
    ],
)
def test_usable_apprise_urls_pass(url: str) -> None:
    assert check_apprise_url(f"  {url} ") == url


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("", "must not be blank"),
        ("nothing://here", "is not an Apprise URL that Apprise can use"),
        ("json://", "is not an Apprise URL that Apprise can use"),
        ("https://example.com/hook", "is not an Apprise URL that Apprise can use"),
        ("syslog://", "notifies the server itself"),
        ("json://a.example/\nx", "at most 2048"),
    ],
)
def test_unusable_apprise_urls_are_refused_naming_the_field(url: str, message: str) -> None:
    with pytest.raises(ValidationFailed) as raised:
        check_apprise_url(url, field="appriseUrl")
    assert raised.value.field == "appriseUrl" and message in raised.value.message


def test_the_display_form_masks_secrets() -> None:
    shown = display_url("tgram://123456789:abcdefg_hijklmnop/-100123")
    assert shown.startswith("tgram://") and "abcdefg_hijklmnop" not in shown
