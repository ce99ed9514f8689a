"""Routing keys: random, shown once, stored only as a SHA-256 digest.

A key is 32 lowercase hex characters, the shape of a PagerDuty routing key, so senders that
check the shape of an Events API v2 routing key accept it."""

from __future__ import annotations

import hashlib
import re
import secrets

_SHAPE = re.compile(r"^[A-Za-z0-9_-]{1,128}$")


def new_key() -> str:
    return secrets.token_hex(16)


def digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def display_prefix(key: str) -> str:
    return key[:6]


def plausible(key: str) -> bool:
    """Whether a presented key could be one of ours (anything else is unknown without a lookup)."""
    return bool(_SHAPE.match(key))
