"""Email delivery with aiosmtplib, or into the outbox folder when no SMTP server is configured.

Every mail has a plain-text and an HTML part, a unique `Message-ID`, and, for a message with a
thread key (one incident), `In-Reply-To`/`References` naming that thread's root id so that mail
clients group the incident's mails. An unsubscribe URL adds `List-Unsubscribe` and the one-click
`List-Unsubscribe-Post` (RFC 8058). SMTP replies decide the outcome: 4xx, timeouts and refused
connections are transient, 5xx and invalid addresses permanent.
"""

from __future__ import annotations

import asyncio
import hashlib
import html
import os
import re
import ssl
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from pathlib import Path
from typing import TYPE_CHECKING

import aiosmtplib
from email_validator import EmailNotValidError, validate_email

from app.errors import ValidationFailed
from app.notifications.channels.base import Message, Outcome, clip, links, redact, text_body
from app.notifications.channels.smtp import SmtpSecurity, SmtpServer, parse_smtp_url

if TYPE_CHECKING:
    from app.config import Settings

SUBJECT_MAX = 250
_THREAD_SLUG = re.compile(r"[^A-Za-z0-9.-]+")


@dataclass(frozen=True)
class EmailConfig:
    """Where and how mail goes: an SMTP server, or `.eml` files in `outbox` when `server` is None."""

    sender: str
    server: SmtpServer | None
    outbox: Path
    timeout: float = 15.0
    tls_context: ssl.SSLContext | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> EmailConfig:
        server = parse_smtp_url(settings.smtp_url.get_secret_value()) if settings.smtp_url else None
        return cls(sender=settings.smtp_from, server=server, outbox=settings.data_dir / "outbox")

    def describe(self) -> str:
        """Where mails go, without credentials (for logs and the demo)."""
        return self.server.describe() if self.server else f"files in {self.outbox}"

    @property
    def domain(self) -> str:
        return parseaddr(self.sender)[1].rpartition("@")[2] or "localhost"


def normalize_address(address: str, field: str = "target") -> str:
    """A deliverable-looking address (syntax only, no DNS), normalized; `VALIDATION` naming `field` if not."""
    try:
        result = validate_email(address.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValidationFailed(f"{field} is not a valid email address: {exc}", field=field) from None
    return str(result.ascii_email or result.normalized)  # the IDNA form of the domain when it has one


def thread_root_id(thread_key: str, domain: str) -> str:
    """The stable id every mail of one thread refers to (never itself sent as a Message-ID)."""
    digest = hashlib.sha256(thread_key.encode()).hexdigest()[:12]
    slug = _THREAD_SLUG.sub("-", thread_key).strip("-.")[:48] or "thread"
    return f"<{slug}.{digest}@{domain}>"


def compose(message: Message, to: str, config: EmailConfig) -> EmailMessage:
    """The MIME message for one recipient: headers, a text part and an HTML part."""
    mail = EmailMessage()
    mail["Subject"] = clip(message.subject, SUBJECT_MAX)
    mail["From"] = config.sender
    mail["To"] = to
    mail["Date"] = formatdate(usegmt=True)
    mail["Message-ID"] = make_msgid(domain=config.domain)
    if message.thread_key:
        root = thread_root_id(message.thread_key, config.domain)
        mail["In-Reply-To"] = root
        mail["References"] = root
    if message.unsubscribe_url:
        mail["List-Unsubscribe"] = f"<{message.unsubscribe_url}>"
        mail["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    mail["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies
    mail["X-Firebreak-Kind"] = message.kind.value
    if message.incident_ref:
        mail["X-Firebreak-Incident"] = clip(message.incident_ref, 100)
    mail.set_content(text_body(message))
    mail.add_alternative(html_body(message), subtype="html")
    return mail


def html_body(message: Message) -> str:
    """The message's HTML (or its text as HTML) followed by the links it does not already contain."""
    if message.html:
        body = message.html
    else:
        paragraphs = (p for p in message.text.strip().split("\n\n") if p.strip())
        body = "".join(f"<p>{html.escape(p).replace(chr(10), '<br>')}</p>" for p in paragraphs)
    missing = [(label, url) for label, url in links(message) if html.escape(url) not in body and url not in body]
    if missing:
        anchors = " · ".join(f'<a href="{html.escape(url)}">{html.escape(label)}</a>' for label, url in missing)
        body += f"<p>{anchors}</p>"
    return f'<!doctype html><html><head><meta charset="utf-8"></head><body>{body}</body></html>'


async def send_email(config: EmailConfig, to: str, message: Message) -> Outcome:
    """Deliver `message` to `to`; never raises for a delivery failure."""
    try:
        to = normalize_address(to)
    except ValidationFailed as exc:
        return Outcome.permanent(exc.message)
    mail = compose(message, to, config)
    if config.server is None:
        return await write_outbox(config.outbox, mail)
    return await _send_smtp(config, config.server, mail)


def _by_reply(code: int, text: str) -> Outcome:
    detail = f"{code} {text}".strip()
    return Outcome.permanent(detail) if 500 <= code < 600 else Outcome.transient(detail)


async def _send_smtp(config: EmailConfig, server: SmtpServer, mail: EmailMessage) -> Outcome:
    secrets = (server.password,)
    try:
        refused, reply = await aiosmtplib.send(
            mail,
            hostname=server.host,
            port=server.port,
            username=server.username,
            password=server.password,
            use_tls=server.security is SmtpSecurity.TLS,
            start_tls=server.security is SmtpSecurity.STARTTLS,
            timeout=config.timeout,
            tls_context=config.tls_context,
        )
    except aiosmtplib.SMTPRecipientsRefused as exc:
        first = exc.recipients[0]
        return _by_reply(first.code, redact(first.message, secrets))
    except aiosmtplib.SMTPResponseException as exc:
        return _by_reply(exc.code, redact(exc.message, secrets))
    except aiosmtplib.SMTPNotSupported as exc:  # e.g. STARTTLS or AUTH not offered: a configuration problem
        return Outcome.permanent(f"SMTP server {server.host}: {redact(str(exc), secrets)}")
    except (aiosmtplib.SMTPTimeoutError, TimeoutError):
        return Outcome.transient(f"SMTP server {server.host}:{server.port} timed out")
    except (aiosmtplib.SMTPException, OSError) as exc:  # refused or dropped connection, TLS failure
        return Outcome.transient(f"SMTP server {server.host}:{server.port}: {redact(str(exc), secrets)}")
    if refused:
        first_reply = next(iter(refused.values()))
        return _by_reply(first_reply.code, redact(first_reply.message, secrets))
    return Outcome.ok(f"250 {redact(reply, secrets)}", provider_id=str(mail["Message-ID"]))


async def write_outbox(outbox: Path, mail: EmailMessage) -> Outcome:
    """Write the mail as an `.eml` file (written aside, then renamed: a reader never sees half a mail)."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    name = f"{stamp}-{uuid.uuid4().hex[:8]}.eml"

    def write() -> None:
        outbox.mkdir(parents=True, exist_ok=True)
        partial = outbox / f".{name}.partial"
        partial.write_bytes(mail.as_bytes())
        os.replace(partial, outbox / name)

    try:
        await asyncio.to_thread(write)
    except OSError as exc:
        return Outcome.transient(f"cannot write the outbox: {exc.strerror or exc}")
    return Outcome.ok(f"written to the outbox as {name}", provider_id=str(mail["Message-ID"]))
