"""Opaque global ids (`base64("Type:pk")`), the public form of every object id."""

from __future__ import annotations

import base64
import binascii


def to_global_id(type_name: str, pk: int | str) -> str:
    return base64.urlsafe_b64encode(f"{type_name}:{pk}".encode()).decode().rstrip("=")


def from_global_id(global_id: str) -> tuple[str, str] | None:
    """Return (type name, pk), or None when the id is not one of ours."""
    if not isinstance(global_id, str) or not 0 < len(global_id) <= 200:
        return None
    padded = global_id + "=" * (-len(global_id) % 4)
    try:
        decoded = base64.urlsafe_b64decode(padded.encode("ascii")).decode()
    except (binascii.Error, UnicodeError, ValueError):
        return None
    type_name, sep, pk = decoded.partition(":")
    if not sep or not type_name or not pk:
        return None
    return type_name, pk


def parse_pk(global_id: str, expected_type: str) -> int | None:
    """The integer pk of a global id of `expected_type`, or None."""
    parsed = from_global_id(global_id)
    if parsed is None or parsed[0] != expected_type:
        return None
    type_name, pk = parsed
    if not pk.isdigit() or len(pk) > 18:
        return None
    return int(pk)
