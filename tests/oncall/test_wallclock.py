"""Wall-clock readings and instants: the gap and fold rules, and the key of an instant."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfoNotFoundError

import pytest

from app.oncall.wallclock import naive_of, wall_of, weekday_of, zone
from tests.oncall.support import resolve_ref, utc


def wall(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> int:
    return wall_of(datetime(year, month, day, hour, minute))


@pytest.mark.parametrize(
    ("name", "reading", "instant"),
    [
        # Europe/Berlin, 29 March 2026: 02:00 CET becomes 03:00 CEST (01:00 UTC).
        ("Europe/Berlin", (2026, 3, 29, 1, 59), utc(2026, 3, 29, 0, 59)),
        ("Europe/Berlin", (2026, 3, 29, 2, 0), utc(2026, 3, 29, 1, 0)),  # in the gap: first instant after
        ("Europe/Berlin", (2026, 3, 29, 2, 30), utc(2026, 3, 29, 1, 0)),
        ("Europe/Berlin", (2026, 3, 29, 3, 0), utc(2026, 3, 29, 1, 0)),
        ("Europe/Berlin", (2026, 3, 29, 3, 1), utc(2026, 3, 29, 1, 1)),
        # 25 October 2026: 03:00 CEST becomes 02:00 CET (01:00 UTC); 02:xx happens twice.
        ("Europe/Berlin", (2026, 10, 25, 2, 30), utc(2026, 10, 25, 0, 30)),  # first occurrence
        ("Europe/Berlin", (2026, 10, 25, 3, 0), utc(2026, 10, 25, 2, 0)),
        # America/New_York: 8 March 02:00 EST -> 03:00 EDT (07:00 UTC); 1 November 02:00 EDT -> 01:00 EST.
        ("America/New_York", (2026, 3, 8, 2, 15), utc(2026, 3, 8, 7, 0)),
        ("America/New_York", (2026, 11, 1, 1, 30), utc(2026, 11, 1, 5, 30)),
        # Australia/Sydney: 5 April 03:00 AEDT -> 02:00 AEST; 4 October 02:00 AEST -> 03:00 AEDT.
        ("Australia/Sydney", (2026, 4, 5, 2, 30), utc(2026, 4, 4, 15, 30)),
        ("Australia/Sydney", (2026, 10, 4, 2, 30), utc(2026, 10, 3, 16, 0)),
        # Lord Howe moves by half an hour: 5 April 02:00 (+11) -> 01:30 (+10:30); 4 October 02:00 -> 02:30.
        ("Australia/Lord_Howe", (2026, 4, 5, 1, 45), utc(2026, 4, 4, 14, 45)),
        ("Australia/Lord_Howe", (2026, 10, 4, 2, 10), utc(2026, 10, 3, 15, 30)),
    ],
)
def test_resolve_takes_the_first_instant_after_a_gap_and_the_first_occurrence_in_a_fold(
    name: str, reading: tuple[int, int, int, int, int], instant: datetime
) -> None:
    assert zone(name).resolve(wall(*reading)) == instant
    assert resolve_ref(datetime(*reading), zone(name).tz) == instant


def test_key_of_an_instant_is_its_reading_except_in_the_second_occurrence_of_a_fold() -> None:
    berlin = zone("Europe/Berlin")
    assert berlin.key(utc(2026, 7, 1, 10, 0)) == wall(2026, 7, 1, 12, 0)
    assert berlin.key(utc(2026, 10, 25, 0, 30)) == wall(2026, 10, 25, 2, 30)  # first 02:30
    # 01:30 UTC is the second 02:30: every repeated reading resolves before it, 03:00 after it.
    second = berlin.key(utc(2026, 10, 25, 1, 30))
    assert second == wall(2026, 10, 25, 3, 0) - 1
    assert berlin.resolve(second) <= utc(2026, 10, 25, 1, 30) < berlin.resolve(second + 1)


def test_key_is_the_largest_reading_not_after_the_instant_around_every_2026_change() -> None:
    for name, day in [
        ("Europe/Berlin", utc(2026, 3, 28, 20)),
        ("Europe/Berlin", utc(2026, 10, 24, 20)),
        ("America/New_York", utc(2026, 3, 8, 2)),
        ("America/New_York", utc(2026, 11, 1, 2)),
        ("Australia/Sydney", utc(2026, 4, 4, 10)),
        ("Australia/Sydney", utc(2026, 10, 3, 10)),
        ("Australia/Lord_Howe", utc(2026, 4, 4, 10)),
    ]:
        tz = zone(name)
        for minutes in range(0, 12 * 60, 7):
            at = day + timedelta(minutes=minutes, seconds=13)
            key = tz.key(at)
            assert tz.resolve(key) <= at < tz.resolve(key + 1), (name, at)


def test_readings_round_trip_and_know_their_weekday() -> None:
    reading = datetime(2026, 3, 29, 2, 30, 15, 7)
    assert naive_of(wall_of(reading)) == reading
    assert weekday_of(wall_of(reading)) == reading.weekday() == 6


def test_unknown_zone_names_are_refused() -> None:
    for name in ("Mars/Olympus_Mons", "", "../etc/passwd", "localtime"):
        with pytest.raises((ZoneInfoNotFoundError, ValueError)):
            zone(name)
