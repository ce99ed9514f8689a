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


BIGINT_MAX = 2**63 - 1


def parse_int(text: str, *, signed: bool = False) -> int | None:
    """The integer written in ASCII digits (a leading `-` when `signed`) that a 64-bit column
    can hold, or None. (`str.isdigit` also accepts "²" and "٣", which are not ours.)"""
    digits = text[1:] if signed and text.startswith("-") else text
    if not (digits.isascii() and digits.isdigit()) or len(digits) > 19:
        return None
    value = int(text)
    return value if -BIGINT_MAX - 1 <= value <= BIGINT_MAX else None


def parse_node_id(global_id: str) -> tuple[str, int] | None:
    """(type name, pk) of a global id whose pk is a database id, or None."""
    parsed = from_global_id(global_id)
    pk = parse_int(parsed[1]) if parsed is not None else None
    return (parsed[0], pk) if parsed is not None and pk is not None else None


def parse_pk(global_id: str, expected_type: str) -> int | None:
    """The integer pk of a global id of `expected_type`, or None."""
    parsed = parse_node_id(global_id)
    return parsed[1] if parsed is not None and parsed[0] == expected_type else None
