"""The SMTP server setting: `FIREBREAK_SMTP_URL` parsed into host, port, TLS mode and credentials.

`smtp://host[:25]` talks plain SMTP, `smtp+starttls://user:pass@host[:587]` requires STARTTLS,
`smtps://user:pass@host[:465]` is TLS from the first byte. User and password are percent-decoded.
Errors never repeat the URL (it may hold the password).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from urllib.parse import unquote, urlsplit


class SmtpSecurity(str, Enum):
    NONE = "NONE"
    STARTTLS = "STARTTLS"
    TLS = "TLS"


_SCHEMES = {
    "smtp": (SmtpSecurity.NONE, 25),
    "smtp+starttls": (SmtpSecurity.STARTTLS, 587),
    "smtps": (SmtpSecurity.TLS, 465),
}


@dataclass(frozen=True)
class SmtpServer:
    host: str
    port: int
    security: SmtpSecurity
    username: str | None = None
    password: str | None = field(default=None, repr=False)

    def describe(self) -> str:
        """Where mail goes, without credentials (for logs and the demo)."""
        scheme = next(name for name, (security, _) in _SCHEMES.items() if security is self.security)
        return f"{scheme}://{self.host}:{self.port}"


def parse_smtp_url(url: str) -> SmtpServer:
    """The server named by an SMTP URL; `ValueError` with a message that does not quote the URL."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise ValueError("is not a valid URL (smtp://, smtp+starttls:// or smtps://)") from None
    scheme = parts.scheme.lower()
    if scheme not in _SCHEMES:
        raise ValueError("must start with smtp://, smtp+starttls:// or smtps://")
    if not parts.hostname:
        raise ValueError("must name the SMTP server's host")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ValueError("must be scheme://[user:password@]host[:port] with no path or query")
    security, default_port = _SCHEMES[scheme]
    username = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password is not None else None
    if password is not None and not username:
        raise ValueError("has a password but no user name")
    return SmtpServer(parts.hostname, port or default_port, security, username, password)
