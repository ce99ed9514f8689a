"""Links from action items to issue trackers: the URL and the key's form per provider.
Pure: no I/O, no framework imports."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from app.errors import ValidationFailed
from app.postmortems.enums import LinkProvider

URL_MAX = 2_000
KEY_MAX = 200

# Jira project keys start with a letter (uppercase letters, digits, underscores; 2-10 long);
# Linear team keys are letters and digits. Both are followed by the issue number.
_KEYS: dict[LinkProvider, tuple[re.Pattern[str], str]] = {
    LinkProvider.JIRA: (re.compile(r"^[A-Z][A-Z0-9_]{1,9}-[1-9][0-9]{0,9}$"), "a Jira issue key such as ABC-123"),
    LinkProvider.LINEAR: (re.compile(r"^[A-Z][A-Z0-9]{0,9}-[1-9][0-9]{0,9}$"), "a Linear issue id such as ENG-123"),
    LinkProvider.GITHUB: (
        re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}#[1-9][0-9]{0,9}$"),
        "a GitHub reference such as owner/repo#123",
    ),
}
_OTHER_KEY = re.compile(r"^[^\x00-\x1f\x7f]{1,200}$")


@dataclass(frozen=True)
class ExternalLink:
    provider: LinkProvider
    key: str
    url: str


def check_link(provider: LinkProvider, key: str, url: str) -> ExternalLink:
    """A normalised link, or a VALIDATION error naming `key` or `url`."""
    key = key.strip()
    if provider in (LinkProvider.JIRA, LinkProvider.LINEAR):
        key = key.upper()
    rule = _KEYS.get(provider)
    if rule is not None:
        pattern, expected = rule
        if not pattern.match(key):
            raise ValidationFailed(f"key must be {expected}", field="key")
    elif not _OTHER_KEY.match(key):
        raise ValidationFailed(f"key must be 1 to {KEY_MAX} characters on one line", field="key")
    return ExternalLink(provider, key, check_url(url))


def check_url(url: str) -> str:
    url = url.strip()
    if not url or len(url) > URL_MAX:
        raise ValidationFailed(f"url must be 1 to {URL_MAX} characters", field="url")
    if any(c.isspace() or ord(c) < 0x20 or ord(c) == 0x7F or c in '<>"`' for c in url):
        raise ValidationFailed("url must not contain spaces, quotes, angle brackets or control characters", field="url")
    try:
        parts = urlsplit(url)
        port = parts.port  # raises on a malformed port
    except ValueError:
        raise ValidationFailed("url is not a valid URL", field="url") from None
    if parts.scheme.lower() not in ("http", "https"):
        raise ValidationFailed("url must be an http or https URL", field="url")
    if not parts.hostname or port == 0:
        raise ValidationFailed("url must name a host", field="url")
    return url
