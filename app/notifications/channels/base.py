"""What every channel takes and answers: a channel-neutral `Message` and an `Outcome`.

A channel function never raises for a delivery failure: it answers `Outcome.transient(...)` (try
again later, maybe after `retry_after` seconds) or `Outcome.permanent(...)` (retrying cannot help:
an invalid address, a refused destination, a revoked token). `detail` is the channel's own answer
(an SMTP reply, an HTTP status, a Slack error string), one line, bounded, never a secret.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum

DETAIL_MAX = 500
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]+")


class MessageKind(str, Enum):
    PAGE = "PAGE"
    VERIFICATION_CODE = "VERIFICATION_CODE"
    STATUS_UPDATE = "STATUS_UPDATE"
    SUBSCRIPTION_CONFIRMATION = "SUBSCRIPTION_CONFIRMATION"


class PageState(str, Enum):
    """Where the paged incident stands when the message is rendered (a later update re-renders it)."""

    TRIGGERED = "TRIGGERED"
    ACKNOWLEDGED = "ACKNOWLEDGED"
    RESOLVED = "RESOLVED"


@dataclass(frozen=True, slots=True)
class Message:
    """One notification, whatever the channel.

    `thread_key` groups messages (one incident's mails thread together); `action_ref` names what the
    Acknowledge/Resolve buttons of a chat message act on (e.g. the page's global id); `status_note`
    is a line such as "Acknowledged by Ada" shown once the page moved on.
    """

    kind: MessageKind
    subject: str
    text: str
    html: str | None = None
    incident_ref: str | None = None
    incident_url: str | None = None
    thread_key: str | None = None
    severity: str | None = None
    step: int | None = None
    ack_url: str | None = None
    resolve_url: str | None = None
    unsubscribe_url: str | None = None
    action_ref: str | None = None
    state: PageState = PageState.TRIGGERED
    status_note: str | None = None


class Status(str, Enum):
    SENT = "SENT"
    TRANSIENT = "TRANSIENT"
    PERMANENT = "PERMANENT"


@dataclass(frozen=True, slots=True)
class Outcome:
    """The result of one delivery attempt.

    `retry_after` is set when the channel said how long to wait (HTTP 429 Retry-After, Slack's rate
    limit); `provider_id` identifies what was delivered (a Message-ID, Slack's `channel:ts` for a
    later update).
    """

    status: Status
    detail: str
    retry_after: float | None = None
    provider_id: str | None = None

    @property
    def sent(self) -> bool:
        return self.status is Status.SENT

    @classmethod
    def ok(cls, detail: str, *, provider_id: str | None = None) -> Outcome:
        return cls(Status.SENT, clip(detail), provider_id=provider_id)

    @classmethod
    def transient(cls, detail: str, *, retry_after: float | None = None) -> Outcome:
        return cls(Status.TRANSIENT, clip(detail), retry_after=retry_after)

    @classmethod
    def permanent(cls, detail: str) -> Outcome:
        return cls(Status.PERMANENT, clip(detail))


def clip(text: str, limit: int = DETAIL_MAX) -> str:
    """One line of at most `limit` characters: control characters and runs of them become a space."""
    line = _CONTROL.sub(" ", text).strip()
    return line if len(line) <= limit else line[: limit - 1] + "…"


def redact(text: str, secrets: Iterable[str | None]) -> str:
    """`text` with every occurrence of each (non-trivial) secret replaced by `***`."""
    for secret in sorted((s for s in secrets if s and len(s) >= 4), key=len, reverse=True):
        text = text.replace(secret, "***")
    return text


def links(message: Message) -> list[tuple[str, str]]:
    """The message's links with their labels, in the order a reader acts on them."""
    pairs = (
        ("Acknowledge", message.ack_url),
        ("Resolve", message.resolve_url),
        ("Open the incident", message.incident_url),
        ("Unsubscribe", message.unsubscribe_url),
    )
    return [(label, url) for label, url in pairs if url]


def text_body(message: Message) -> str:
    """The message's text followed by the links it does not already contain (for text-only channels)."""
    lines = [message.text.rstrip()]
    extra = [f"{label}: {url}" for label, url in links(message) if url not in message.text]
    if extra:
        lines += ["", *extra]
    return "\n".join(lines) + "\n"
