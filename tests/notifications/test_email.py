"""Email delivery to a real SMTP server (aiosmtpd): the mail as received and parsed, threading,
List-Unsubscribe, SMTP replies and failures mapped to outcomes, TLS with credentials, the outbox."""

from __future__ import annotations

import ssl
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
import trustme

from app.errors import ValidationFailed
from app.notifications.channels.base import Message, MessageKind, Status
from app.notifications.channels.email import EmailConfig, normalize_address, send_email, thread_root_id
from app.notifications.channels.smtp import SmtpSecurity, SmtpServer, parse_smtp_url
from tests.notifications.servers import Mailbox, closed_port, password_check, silent_server, smtp_server

PAGE = Message(
    kind=MessageKind.PAGE,
    subject="[SEV1] Checkout is down",
    text="Checkout answers 503 for every request.\n\nPaged at step 1.",
    html="<p>Checkout answers <b>503</b> for every request.</p>",
    incident_ref="INC-42",
    incident_url="https://firebreak.example/incidents/42",
    thread_key="incident:42",
    severity="SEV1",
    step=1,
    ack_url="https://firebreak.example/ack/tok-ack",
)


def config(port: int, tmp_path: Path, **changes: object) -> EmailConfig:
    server = SmtpServer("127.0.0.1", port, SmtpSecurity.NONE)
    values: dict[str, object] = {
        "sender": "Firebreak <pager@firebreak.example>",
        "server": server,
        "outbox": tmp_path / "outbox",
        "timeout": 5.0,
    }
    values.update(changes)
    return EmailConfig(**values)  # type: ignore[arg-type]


def parts(mail: EmailMessage) -> tuple[str, str]:
    text = mail.get_body(preferencelist=("plain",))
    html = mail.get_body(preferencelist=("html",))
    assert text is not None and html is not None
    return str(text.get_content()), str(html.get_content())


async def test_a_page_arrives_with_both_parts_and_its_links(tmp_path: Path) -> None:
    mailbox = Mailbox()
    async with smtp_server(mailbox) as port:
        outcome = await send_email(config(port, tmp_path), "ada@ops.example.com", PAGE)
    assert outcome.status is Status.SENT and outcome.detail.startswith("250 ")
    [mail] = mailbox.messages
    assert mailbox.envelopes[0].rcpt_tos == ["ada@ops.example.com"]
    assert mail["Subject"] == "[SEV1] Checkout is down"
    assert mail["From"] == "Firebreak <pager@firebreak.example>" and mail["To"] == "ada@ops.example.com"
    assert mail["Auto-Submitted"] == "auto-generated" and mail["X-Firebreak-Incident"] == "INC-42"
    assert mail.get_content_type() == "multipart/alternative"
    text, html = parts(mail)
    assert "Checkout answers 503" in text and "Acknowledge: https://firebreak.example/ack/tok-ack" in text
    assert "<b>503</b>" in html and 'href="https://firebreak.example/ack/tok-ack"' in html
    assert outcome.provider_id == mail["Message-ID"]
    assert mail["List-Unsubscribe"] is None


async def test_one_incidents_mails_thread_and_each_has_its_own_message_id(tmp_path: Path) -> None:
    mailbox = Mailbox()
    update = Message(MessageKind.STATUS_UPDATE, "Re: [SEV1] Checkout is down", "Mitigated.", thread_key="incident:42")
    other = Message(MessageKind.STATUS_UPDATE, "Search is slow", "Looking.", thread_key="incident:43")
    async with smtp_server(mailbox) as port:
        for message in (PAGE, update, other):
            assert (await send_email(config(port, tmp_path), "ada@ops.example.com", message)).sent
    first, second, third = mailbox.messages
    root = thread_root_id("incident:42", "firebreak.example")
    assert first["In-Reply-To"] == first["References"] == second["In-Reply-To"] == second["References"] == root
    assert third["References"] != root
    ids = {m["Message-ID"] for m in mailbox.messages}
    assert len(ids) == 3 and root not in ids and all(i.endswith("@firebreak.example>") for i in ids)


async def test_a_status_mail_carries_one_click_unsubscribe(tmp_path: Path) -> None:
    mailbox = Mailbox()
    message = Message(
        MessageKind.STATUS_UPDATE,
        "Checkout: investigating",
        "We are looking into errors at checkout.",
        unsubscribe_url="https://status.example/unsubscribe/u-123",
    )
    async with smtp_server(mailbox) as port:
        assert (await send_email(config(port, tmp_path), "reader@customer.example.org", message)).sent
    [mail] = mailbox.messages
    assert mail["List-Unsubscribe"] == "<https://status.example/unsubscribe/u-123>"
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text, html = parts(mail)
    assert "Unsubscribe: https://status.example/unsubscribe/u-123" in text
    assert 'href="https://status.example/unsubscribe/u-123"' in html and "We are looking into errors" in html


async def test_450_is_transient_and_550_permanent_with_the_servers_reply(tmp_path: Path) -> None:
    mailbox = Mailbox()
    async with smtp_server(mailbox) as port:
        busy = await send_email(config(port, tmp_path), "busy@ops.example.com", PAGE)
        missing = await send_email(config(port, tmp_path), "nouser@ops.example.com", PAGE)
    assert busy.status is Status.TRANSIENT and busy.detail == "450 4.2.1 Mailbox busy, try again later"
    assert missing.status is Status.PERMANENT and missing.detail == "550 5.1.1 No such user here"
    assert mailbox.messages == []


async def test_an_invalid_address_is_permanent_without_contacting_the_server(tmp_path: Path) -> None:
    outcome = await send_email(config(closed_port(), tmp_path), "not an address", PAGE)
    assert outcome.status is Status.PERMANENT and "not a valid email address" in outcome.detail
    with pytest.raises(ValidationFailed) as raised:
        normalize_address("ada@@example.com", field="target")
    assert raised.value.field == "target"
    assert normalize_address("  Ada@Ops.Example.COM ") == "Ada@ops.example.com"


async def test_a_refused_connection_and_a_silent_server_are_transient(tmp_path: Path) -> None:
    refused = await send_email(config(closed_port(), tmp_path), "ada@ops.example.com", PAGE)
    assert refused.status is Status.TRANSIENT and "127.0.0.1" in refused.detail
    async with silent_server() as port:
        stalled = await send_email(config(port, tmp_path, timeout=0.5), "ada@ops.example.com", PAGE)
    assert stalled.status is Status.TRANSIENT and "timed out" in stalled.detail


def tls_pair() -> tuple[ssl.SSLContext, ssl.SSLContext]:
    ca = trustme.CA()
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server)
    client = ssl.create_default_context()
    ca.configure_trust(client)
    return server, client


async def test_starttls_with_credentials_and_a_wrong_password_never_echoed(tmp_path: Path) -> None:
    server_tls, client_tls = tls_pair()
    mailbox = Mailbox()
    options: dict[str, Any] = {
        "tls_context": server_tls,
        "require_starttls": True,
        "auth_required": True,
        "authenticator": password_check("pager", "s3cret-pass"),
    }
    async with smtp_server(mailbox, **options) as port:
        good = parse_smtp_url(f"smtp+starttls://pager:s3cret-pass@127.0.0.1:{port}")
        sent = await send_email(
            config(port, tmp_path, server=good, tls_context=client_tls), "ada@ops.example.com", PAGE
        )
        bad = parse_smtp_url(f"smtp+starttls://pager:wrong-pass-123@127.0.0.1:{port}")
        refused = await send_email(
            config(port, tmp_path, server=bad, tls_context=client_tls), "ada@ops.example.com", PAGE
        )
    assert sent.sent and len(mailbox.messages) == 1
    assert refused.status is Status.PERMANENT and refused.detail.startswith("535")
    assert "wrong-pass-123" not in refused.detail and "wrong-pass-123" not in repr(bad)


async def test_implicit_tls(tmp_path: Path) -> None:
    server_tls, client_tls = tls_pair()
    mailbox = Mailbox()
    async with smtp_server(mailbox, implicit_tls=server_tls) as port:
        smtps = parse_smtp_url(f"smtps://127.0.0.1:{port}")
        outcome = await send_email(
            config(port, tmp_path, server=smtps, tls_context=client_tls), "ada@ops.example.com", PAGE
        )
    assert outcome.sent and mailbox.messages[0]["Subject"] == PAGE.subject


async def test_without_an_smtp_server_mails_are_written_to_the_outbox(tmp_path: Path) -> None:
    outbox_config = config(0, tmp_path, server=None)
    outcome = await send_email(outbox_config, "ada@ops.example.com", PAGE)
    assert outcome.sent and outbox_config.describe() == f"files in {tmp_path / 'outbox'}"
    [written] = list((tmp_path / "outbox").iterdir())
    assert written.suffix == ".eml" and written.name in outcome.detail
    mail = message_from_bytes(written.read_bytes(), policy=policy.default)
    assert isinstance(mail, EmailMessage) and mail["Message-ID"] == outcome.provider_id
    assert "Checkout answers 503" in parts(mail)[0]


def test_a_subject_cannot_inject_headers(tmp_path: Path) -> None:
    from app.notifications.channels.email import compose

    message = Message(MessageKind.PAGE, "Down\r\nBcc: everyone@example.com", "x")
    mail = compose(message, "ada@ops.example.com", config(0, tmp_path))
    assert mail["Bcc"] is None and mail["Subject"] == "Down Bcc: everyone@example.com"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://mail.internal", SmtpServer("mail.internal", 25, SmtpSecurity.NONE)),
        (
            "smtp+starttls://u%40x:p%3Aw@smtp.example:2525",
            SmtpServer("smtp.example", 2525, SmtpSecurity.STARTTLS, "u@x", "p:w"),
        ),
        ("smtps://user:pw@smtp.example", SmtpServer("smtp.example", 465, SmtpSecurity.TLS, "user", "pw")),
        ("smtp+starttls://smtp.example", SmtpServer("smtp.example", 587, SmtpSecurity.STARTTLS)),
    ],
)
def test_smtp_urls(url: str, expected: SmtpServer) -> None:
    assert parse_smtp_url(url) == expected


@pytest.mark.parametrize(
    "url",
    ["http://user:hunter22@smtp.example", "smtp://", "smtps://user:hunter22@smtp.example/path", "smtp://:hunter22@h"],
)
def test_bad_smtp_urls_are_refused_without_quoting_the_password(url: str) -> None:
    with pytest.raises(ValueError) as raised:
        parse_smtp_url(url)
    assert "hunter22" not in str(raised.value)
