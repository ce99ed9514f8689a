"""Apprise targets: ntfy, Microsoft Teams, Discord, Telegram, Pushover, Matrix, Gotify, Twilio SMS
and the other services the `apprise` package speaks, each named by an Apprise URL.

`check_apprise_url` validates a URL at input time (Apprise must be able to build the service from
it, and the service must notify someone rather than the server itself). `send_apprise` delivers
a `Message` with redirects off and inside the outbound guard's socket scope: every connection
Apprise opens (to a self-hosted ntfy, a `json://` receiver, or a SaaS API) is vetted on the
address actually connected to, so an Apprise URL cannot reach the installation's own network
unless `FIREBREAK_OUTBOUND_ALLOW` lists it.

Apprise reports a failure as log lines; the outcome keeps the first warning (secrets of the URL
redacted) and reads its HTTP status: 4xx other than 408 and 429 is permanent, anything else
transient.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable
from urllib.parse import parse_qsl, unquote, urlsplit

import apprise

from app.errors import ValidationFailed
from app.notifications.channels.base import Message, Outcome, redact, text_body
from app.notifications.outbound import OutboundGuard

URL_MAX = 2048
LOCAL_SCHEMES = frozenset({"syslog", "dbus", "kde", "qt", "glib", "gnome", "macosx", "windows"})
_HTTP_STATUS = re.compile(r"error=(\d{3})\b|HTTP Error (\d{3})\b|\b(\d{3}) - ")
_CONTROL = re.compile(r"[\x00-\x20\x7f-\x9f]")


def _asset() -> apprise.AppriseAsset:
    return apprise.AppriseAsset(http_redirects=False)


def _plugin(url: str) -> apprise.plugins.NotifyBase | None:
    return apprise.Apprise.instantiate(url, asset=_asset())


def check_apprise_url(url: str, field: str = "target") -> str:
    """`url` if Apprise can build a notification service from it; `VALIDATION` naming `field` otherwise."""
    url = url.strip() if isinstance(url, str) else ""
    if not url:
        raise ValidationFailed(f"{field} must not be blank", field=field)
    if len(url) > URL_MAX or _CONTROL.search(url):
        raise ValidationFailed(f"{field} must be one Apprise URL of at most {URL_MAX} characters", field=field)
    scheme = url.partition("://")[0].lower()
    if scheme in LOCAL_SCHEMES:
        raise ValidationFailed(f"{field}: {scheme}:// notifies the server itself, not a person", field=field)
    plugin = _plugin(url)
    if plugin is None:
        raise ValidationFailed(
            f"{field} is not an Apprise URL that Apprise can use (such as ntfys://ntfy.sh/topic, "
            "discord://webhook_id/webhook_token or tgram://bot_token/chat_id)",
            field=field,
        )
    return url


def display_url(url: str) -> str:
    """The URL with its secrets masked, as Apprise prints it (for showing a contact method again)."""
    plugin = _plugin(url)
    if plugin is None:
        return "(unusable Apprise URL)"
    masked: Callable[..., str] = plugin.url
    return masked(privacy=True)


def _secrets_of(url: str) -> list[str]:
    """Parts of an Apprise URL that may be secret (password, user, path segments, query values)."""
    try:
        parts = urlsplit(url)
        found = [parts.password, parts.username]
    except ValueError:
        return []
    found += [unquote(s) for s in parts.path.split("/") if len(s) >= 6]
    found += [v for _, v in parse_qsl(parts.query) if len(v) >= 6]
    return [s for s in found if s]


async def send_apprise(url: str, message: Message, *, guard: OutboundGuard) -> Outcome:
    """Deliver `message` to the Apprise target `url`; never raises for a delivery failure."""
    scheme = url.partition("://")[0].lower()
    plugin = None if scheme in LOCAL_SCHEMES else _plugin(url)
    if plugin is None:
        return Outcome.permanent("not a usable Apprise URL")
    plugin.redirects = False  # a `redirect=yes` in the URL does not get to turn them back on
    notifier = apprise.Apprise(asset=_asset())
    notifier.add(plugin)
    title = f"{message.incident_ref}: {message.subject}" if message.incident_ref else message.subject
    with guard.sockets() as scope:
        result = await asyncio.to_thread(
            notifier.notify,
            body=text_body(message),
            title=title,
            body_format=apprise.NotifyFormat.TEXT,
            notify_type=apprise.NotifyType.FAILURE if message.kind.value == "PAGE" else apprise.NotifyType.INFO,
            log_level=logging.WARNING,
        )
    service = getattr(plugin, "service_name", scheme)
    if scope.refusals:
        return Outcome.permanent(scope.refusals[0])
    if result:
        return Outcome.ok(f"{service}: delivered")
    warnings = [entry.message for entry in result.logs() if entry.level in ("WARNING", "ERROR", "CRITICAL")]
    detail = redact(warnings[0] if warnings else "delivery failed", _secrets_of(url))
    return _classify(f"{service}: {detail}")


def _classify(detail: str) -> Outcome:
    match = _HTTP_STATUS.search(detail)
    status = int(next(g for g in match.groups() if g)) if match else None
    if status is not None and 400 <= status < 500 and status not in (408, 429):
        return Outcome.permanent(detail)
    return Outcome.transient(detail)
