"""The one place that reads the wall clock (UTC, timezone-aware)."""

from __future__ import annotations

from datetime import UTC, datetime


def now() -> datetime:
    return datetime.now(UTC)
