"""Scalars: DateTime (ISO 8601, time zone required on input) and JSON."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import NewType

import strawberry
from strawberry.scalars import JSON

__all__ = ["JSON", "SCALAR_MAP", "DateTime"]

DateTime = NewType("DateTime", datetime)


_ZERO = timedelta(0)
# Wide enough for any incident, narrow enough that date arithmetic on it cannot overflow.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(3000, 1, 1, tzinfo=UTC)


def _serialize(value: datetime) -> str:
    if value.utcoffset() != _ZERO:
        value = value.astimezone(UTC)
    return value.replace(tzinfo=None).isoformat() + "Z"


def _parse(value: object) -> datetime:
    if not isinstance(value, str):
        raise ValueError("DateTime must be an ISO 8601 string")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00") if value.endswith("Z") else value)
    except ValueError:
        raise ValueError(f"{value!r} is not an ISO 8601 date-time") from None
    if parsed.tzinfo is None:
        raise ValueError("DateTime needs a time zone (for example 2026-01-31T12:00:00Z)")
    try:
        in_utc = parsed.astimezone(UTC)
    except OverflowError:
        in_utc = None
    if in_utc is None or not EARLIEST <= in_utc < LATEST:
        raise ValueError(f"DateTime must be from {EARLIEST.year} to {LATEST.year - 1}")
    return parsed


SCALAR_MAP = {
    DateTime: strawberry.scalar(
        name="DateTime",
        serialize=_serialize,
        parse_value=_parse,
        description="An ISO 8601 date-time with a time zone, returned in UTC (`2026-01-31T12:00:00Z`); inputs from 1970 to 2999.",
    )
}
