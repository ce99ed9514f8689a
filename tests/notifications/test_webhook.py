"""Signed webhooks delivered to a real local receiver that verifies them with the `standardwebhooks`
package, including during a secret rotation; the receiver's answers mapped to outcomes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import orjson
import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError
from starlette.responses import Response

from app.errors import ValidationFailed
from app.notifications.channels.base import Message, MessageKind, PageState, Status
from app.notifications.channels.webhook import (
    WebhookSender,
    WebhookTarget,
    check_secret,
    event_payload,
    generate_secret,
    retry_after_seconds,
    secret_prefix,
)
from app.notifications.outbound import OutboundGuard
from tests.notifications.servers import Receiver, Recorded, closed_port, serve

PAGE = Message(
    MessageKind.PAGE,
    "Checkout is down",
    "503 everywhere",
    incident_ref="INC-7",
    severity="SEV2",
    step=2,
    ack_url="https://firebreak.example/ack/t1",
    state=PageState.TRIGGERED,
)


class VerifyingReceiver(Receiver):
    """A receiver that verifies each request against the secrets it knows, as an integrator would."""

    def __init__(self, *secrets: str) -> None:
        super().__init__()
        self.secrets = list(secrets)
        self.verified: list[dict[str, object]] = []
        self.rejected = 0
        self.check = self._verify

    async def _verify(self, record: Recorded) -> None:
        for secret in self.secrets:
            try:
                self.verified.append(Webhook(secret).verify(record.body, record.headers))
                return
            except WebhookVerificationError:
                continue
        self.rejected += 1
        self.answers.insert(0, Response("bad signature", status_code=401))


@pytest.fixture
async def sender() -> AsyncIterator[WebhookSender]:
    async with WebhookSender(OutboundGuard(["127.0.0.1"]), timeout=5) as instance:
        yield instance


async def test_a_signed_delivery_verifies_at_the_receiver(sender: WebhookSender) -> None:
    secret = generate_secret()
    receiver = VerifyingReceiver(secret)
    async with serve(receiver.app()) as port:
        outcome = await sender.send(WebhookTarget(f"http://127.0.0.1:{port}/hooks", (secret,)), PAGE, msg_id="msg_1")
    assert outcome.status is Status.SENT and outcome.detail == "HTTP 204 No Content" and outcome.provider_id == "msg_1"
    [request] = receiver.requests
    assert request.headers["webhook-id"] == "msg_1" and request.headers["content-type"] == "application/json"
    assert abs(int(request.headers["webhook-timestamp"]) - datetime.now(UTC).timestamp()) < 60
    [payload] = receiver.verified
    assert payload["type"] == "notification.page"
    assert payload["data"] == {
        "kind": "PAGE",
        "subject": "Checkout is down",
        "text": "503 everywhere",
        "incident": "INC-7",
        "incidentUrl": None,
        "severity": "SEV2",
        "step": 2,
        "state": "TRIGGERED",
        "acknowledgeUrl": "https://firebreak.example/ack/t1",
        "resolveUrl": None,
        "unsubscribeUrl": None,
    }


async def test_during_a_rotation_receivers_knowing_either_secret_verify(sender: WebhookSender) -> None:
    old, new = generate_secret(), generate_secret()
    body = event_payload("incident.declared", {"id": "Incident:1"}, datetime.now(UTC))
    knows_old, knows_new, knows_neither = (
        VerifyingReceiver(old),
        VerifyingReceiver(new),
        VerifyingReceiver(generate_secret()),
    )
    for receiver in (knows_old, knows_new, knows_neither):
        async with serve(receiver.app()) as port:
            target = WebhookTarget(f"http://127.0.0.1:{port}/", (new, old))
            outcome = await sender.deliver(target, body, msg_id="msg_rot")
        signatures = receiver.requests[0].headers["webhook-signature"].split(" ")
        assert len(signatures) == 2 and all(s.startswith("v1,") for s in signatures)
        if receiver is knows_neither:
            assert outcome.status is Status.PERMANENT and outcome.detail == "HTTP 401 Unauthorized: bad signature"
        else:
            assert outcome.sent and receiver.verified[0]["data"] == {"id": "Incident:1"}


async def test_answers_map_to_outcomes(sender: WebhookSender) -> None:
    secret = generate_secret()
    receiver = VerifyingReceiver(secret)
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=120), usegmt=True)
    receiver.answers += [
        Response("overloaded", status_code=500),
        Response(status_code=429, headers={"retry-after": "7"}),
        Response(status_code=503, headers={"retry-after": later}),
        Response(status_code=408),
        Response("gone for good", status_code=410),
        Response("unknown event", status_code=422),
        Response(status_code=301, headers={"location": "https://elsewhere.example/hook"}),
    ]
    async with serve(receiver.app()) as port:
        target = WebhookTarget(f"http://127.0.0.1:{port}/", (secret,))
        outcomes = [await sender.deliver(target, b"{}", msg_id=f"msg_{i}") for i in range(7)]
    assert [o.status for o in outcomes] == [Status.TRANSIENT] * 4 + [Status.PERMANENT] * 3
    assert outcomes[0].detail == "HTTP 500 Internal Server Error: overloaded"
    assert outcomes[1].retry_after == 7 and outcomes[1].detail == "HTTP 429 Too Many Requests"
    assert outcomes[2].retry_after is not None and 100 < outcomes[2].retry_after <= 120
    assert outcomes[4].detail == "HTTP 410 Gone: gone for good"
    assert outcomes[5].detail.startswith("HTTP 422 ") and outcomes[5].detail.endswith(": unknown event")
    assert "redirect to elsewhere.example not followed" in outcomes[6].detail
    assert len(receiver.requests) == 7  # the redirect was not followed
    assert receiver.rejected == 0


async def test_an_error_body_is_read_only_in_part(sender: WebhookSender) -> None:
    receiver = Receiver(default=lambda: Response("x" * 5_000_000, status_code=500))
    async with serve(receiver.app()) as port:
        outcome = await sender.deliver(
            WebhookTarget(f"http://127.0.0.1:{port}/", (generate_secret(),)), b"{}", msg_id="m"
        )
    assert outcome.status is Status.TRANSIENT and len(outcome.detail) <= 500


async def test_unreachable_and_refused_destinations(sender: WebhookSender) -> None:
    target = WebhookTarget(f"http://127.0.0.1:{closed_port()}/", (generate_secret(),))
    unreachable = await sender.deliver(target, b"{}", msg_id="m")
    assert unreachable.status is Status.TRANSIENT and unreachable.detail.startswith("connection failed")
    for url in (
        "http://10.0.0.1/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]:9/",
        "http://[fd00::1]/",
    ):
        refused = await sender.deliver(WebhookTarget(url, (generate_secret(),)), b"{}", msg_id="m")
        assert refused.status is Status.PERMANENT and "FIREBREAK_OUTBOUND_ALLOW" in refused.detail, url


async def test_a_receiver_that_never_answers_is_transient() -> None:

    release = asyncio.Event()

    async def stall(record: Recorded) -> None:
        await release.wait()

    receiver = Receiver(check=stall)
    async with serve(receiver.app()) as port, WebhookSender(OutboundGuard(["127.0.0.1"]), timeout=0.5) as sender:
        outcome = await sender.deliver(
            WebhookTarget(f"http://127.0.0.1:{port}/", (generate_secret(),)), b"{}", msg_id="m"
        )
        release.set()
    assert outcome.status is Status.TRANSIENT and outcome.detail == "timed out"


def test_secrets() -> None:
    secret = generate_secret()
    assert secret.startswith("whsec_") and check_secret(secret) == secret and secret_prefix(secret) == secret[:10]
    assert generate_secret() != secret
    for bad in ("abc", "whsec_not*base64", "whsec_c2hvcnQ="):
        with pytest.raises(ValidationFailed) as raised:
            check_secret(bad, field="secret")
        assert raised.value.field == "secret"
    assert "secret" not in repr(WebhookTarget("https://x.example/", (secret,))).replace("secrets", "")


def test_retry_after() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert retry_after_seconds("12", now) == 12
    assert retry_after_seconds(format_datetime(now + timedelta(minutes=2), usegmt=True), now) == 120
    assert retry_after_seconds("-5", now) == 0
    assert retry_after_seconds("999999999", now) == 86_400
    assert retry_after_seconds("soon", now) is None and retry_after_seconds(None, now) is None


def test_event_payload_is_the_standard_envelope() -> None:
    body = orjson.loads(event_payload("incident.resolved", {"id": "I:1"}, datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)))
    assert body == {"type": "incident.resolved", "timestamp": "2026-01-02T03:04:05Z", "data": {"id": "I:1"}}
