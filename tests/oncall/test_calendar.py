"""The iCalendar feed, read back with `icalendar` and `recurring_ical_events` as a calendar
client would: names, refresh hints, UTC times, stable UIDs, escaping and folding."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import recurring_ical_events  # type: ignore[import-untyped]
from icalendar import Calendar, Component, Event

from app.oncall.calculator import shifts
from app.oncall.calendar import CalendarEntry, render_calendar, shift_uid
from app.oncall.schedule import RotationKind
from tests.oncall.support import layer, local, override, schedule, utc

BERLIN = "Europe/Berlin"
GENERATED = utc(2026, 3, 20, 12)


def feed(entries: list[CalendarEntry], generated: datetime = GENERATED) -> bytes:
    return render_calendar(
        entries, name="Ada — on call", calendar_uid="feed-42@oncall.firebreak", generated_at=generated
    )


def prop(component: Component, name: str) -> Any:
    """A property as icalendar parsed it (its value types are a wide union)."""
    return component[name]


def parse(raw: bytes) -> tuple[Calendar, list[Event]]:
    calendar = Calendar.from_ical(raw)
    assert isinstance(calendar, Calendar)
    return calendar, calendar.events


ITEM = schedule(
    BERLIN,
    [layer(local(BERLIN, 2026, 3, 1, 9), [1, 2], RotationKind.DAILY)],
    [override(3, utc(2026, 3, 28, 12), utc(2026, 3, 28, 14))],
)


def entries_for(start_day: int = 27, days: int = 4) -> list[CalendarEntry]:
    found = shifts(ITEM, utc(2026, 3, start_day), utc(2026, 3, start_day) + timedelta(days=days))
    return [CalendarEntry(s, ITEM.id, f"On call: Primary (user {s.user}); nights, etc.") for s in found]


def test_the_feed_parses_back_with_its_name_refresh_hints_and_every_shift_in_utc() -> None:
    entries = entries_for()
    raw = feed(entries)
    calendar, events = parse(raw)
    assert str(prop(calendar, "VERSION")) == "2.0" and str(calendar.prodid).startswith("-//Firebreak//")
    assert str(prop(calendar, "X-WR-CALNAME")) == str(prop(calendar, "NAME")) == "Ada — on call"
    assert calendar.refresh_interval == timedelta(hours=1)
    assert prop(calendar, "REFRESH-INTERVAL").params["VALUE"] == "DURATION"
    assert str(prop(calendar, "X-PUBLISHED-TTL")) == "PT1H"
    assert len(events) == len(entries) == 7
    for event, entry in zip(events, entries, strict=True):
        start = event.start
        assert isinstance(start, datetime) and start == entry.shift.start and start.utcoffset() == timedelta(0)
        assert event.end == entry.shift.end
        assert event.DTSTAMP == GENERATED
        assert event.summary == entry.summary  # the comma and semicolon came back unescaped
        assert event.uid == shift_uid(entry.schedule, entry.shift)
        assert str(prop(event, "TRANSP")) == "TRANSPARENT"
    # The 23-hour shift over the spring change, in UTC as written.
    assert b"DTSTART:20260328T080000Z" in raw and b"DTEND:20260329T070000Z" in raw
    # RFC 5545 lines: CRLF, at most 75 octets.
    assert all(len(line) <= 75 for line in raw.split(b"\r\n")) and b"\r\n" in raw


def test_recurring_ical_events_finds_the_shifts_of_a_day_as_a_client_would() -> None:
    calendar, _ = parse(feed(entries_for()))
    on_28th = recurring_ical_events.of(calendar).between(utc(2026, 3, 28), utc(2026, 3, 29))
    assert sorted((e.start, e.end) for e in on_28th) == [
        (utc(2026, 3, 27, 8), utc(2026, 3, 28, 8)),
        (utc(2026, 3, 28, 8), utc(2026, 3, 28, 12)),
        (utc(2026, 3, 28, 12), utc(2026, 3, 28, 14)),  # the override
        (utc(2026, 3, 28, 14), utc(2026, 3, 29, 7)),
    ]
    assert len(recurring_ical_events.of(calendar).at((2026, 3, 30))) == 2


def test_uids_are_stable_across_renders_and_distinct_between_shifts() -> None:
    _, first = parse(feed(entries_for()))
    _, later_events = parse(feed(entries_for(start_day=28, days=3), generated=GENERATED + timedelta(hours=5)))
    uids = [e.uid for e in first]
    assert len(set(uids)) == len(uids)
    # The same shifts rendered later (one of them cut by a different window start) keep their UIDs.
    by_start = {e.start: e.uid for e in first}
    assert later_events[0].start == utc(2026, 3, 28)  # cut by the window: a new start, a new UID
    assert later_events[0].uid not in by_start.values()
    for event in later_events[1:]:
        assert event.uid == by_start[event.start]
    assert all(GENERATED + timedelta(hours=5) == event.DTSTAMP for event in later_events)


def test_text_with_newlines_and_non_ascii_survives_and_an_empty_feed_is_valid() -> None:
    entry = entries_for()[0]
    odd = CalendarEntry(entry.shift, entry.schedule, "Zoë: on call — \\ back\\slash", "line one\nline two, three; four")
    _, (event,) = parse(feed([odd]))
    assert event.summary == odd.summary
    assert event.description == odd.description
    empty, none = parse(feed([]))
    assert none == [] and str(prop(empty, "X-WR-CALNAME")) == "Ada — on call"
    assert recurring_ical_events.of(empty).between(utc(2026, 1, 1), utc(2027, 1, 1)) == []
