"""Keyset pagination: opaque cursors over a sort key, page bounds checked in one place."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from app.errors import ValidationFailed
from app.ids import parse_int

T = TypeVar("T")

MAX_PAGE = 100


def encode_cursor(kind: str, key: int) -> str:
    return base64.urlsafe_b64encode(f"{kind}:{key}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str, kind: str, *, field: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        prefix, _, value = raw.partition(":")
        key = parse_int(value)
        if prefix != kind or key is None:
            raise ValueError
        return key
    except (binascii.Error, UnicodeError, ValueError):
        raise ValidationFailed(f"{field} is not a valid cursor", field=field) from None


def page_size(value: int | None, *, default: int, field: str = "first") -> int:
    if value is None:
        return default
    if not 0 <= value <= MAX_PAGE:
        raise ValidationFailed(f"{field} must be between 0 and {MAX_PAGE}", field=field)
    return value


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    cursors: list[str]
    has_next: bool
    has_previous: bool


async def by_id(query: Any, *, kind: str, first: int | None, after: str | None, default: int = 50) -> Page[Any]:
    """A keyset page of a Tortoise query in id order (creation order)."""
    size = page_size(first, default=default)
    query = query.order_by("id")
    if after:
        query = query.filter(id__gt=decode_cursor(after, kind, field="after"))
    rows = await query.limit(size + 1)
    items = rows[:size]
    return Page(items, [encode_cursor(kind, row.id) for row in items], len(rows) > size, after is not None)


def encode_keys(kind: str, *keys: int) -> str:
    """A cursor over a composite sort key of integers."""
    return base64.urlsafe_b64encode(f"{kind}:{':'.join(str(k) for k in keys)}".encode()).decode().rstrip("=")


def decode_keys(cursor: str, kind: str, count: int, *, field: str) -> tuple[int, ...]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        prefix, *values = raw.split(":")
        keys = tuple(parse_int(v) for v in values)
        if prefix != kind or len(keys) != count or None in keys:
            raise ValueError
        return keys  # type: ignore[return-value]
    except (binascii.Error, UnicodeError, ValueError):
        raise ValidationFailed(f"{field} is not a valid cursor", field=field) from None
