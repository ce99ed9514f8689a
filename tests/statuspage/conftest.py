"""A settable clock for status page tests (the page derives maintenance status from it)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from app import clock


class Clock:
    def __init__(self, start: datetime) -> None:
        self.current = start

    def __call__(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> datetime:
        self.current += timedelta(**delta)
        return self.current


@pytest.fixture
def fake_clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock(clock.now().replace(microsecond=0))
    monkeypatch.setattr(clock, "now", fake)
    return fake
