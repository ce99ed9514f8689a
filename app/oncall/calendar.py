"""On-call shifts as an iCalendar feed (RFC 5545, with the RFC 7986 name and refresh interval
and the X-WR-CALNAME / X-PUBLISHED-TTL that Google Calendar and Outlook read), built with the
`icalendar` package. Pure: the caller supplies the shifts, their titles and the time.

Every event has a UID that depends only on the shift (schedule, user, layer or override, start),
so a calendar that polls the feed updates an event whose end moved instead of duplicating it. (A
shift cut by the start of the rendered window starts there, and so gets another UID: a feed's
window should begin at a fixed point, such as a day boundary, rather than at "now".)
Times are written in UTC. Events are TRANSPARENT: being on call does not make anyone busy.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from icalendar import Calendar, Event, vDuration

from app.oncall.schedule import ScheduleId, Shift

PRODID = "-//Firebreak//On-call schedules//EN"
UID_DOMAIN = "oncall.firebreak"
DEFAULT_REFRESH = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class CalendarEntry:
    shift: Shift
    schedule: ScheduleId
    summary: str  # e.g. "On call: Primary (Ada)"
    description: str = ""


def shift_uid(schedule: ScheduleId, shift: Shift) -> str:
    """A UID stable for as long as the shift starts at the same instant for the same reason."""
    origin = f"layer:{shift.layer}" if shift.override is None else f"override:{shift.override}"
    start = shift.start.astimezone(UTC).isoformat()
    digest = hashlib.sha256(f"{schedule}|{shift.user}|{origin}|{start}".encode()).hexdigest()[:32]
    return f"{digest}@{UID_DOMAIN}"


def render_calendar(
    entries: Iterable[CalendarEntry],
    *,
    name: str,
    calendar_uid: str,
    generated_at: datetime,
    refresh: timedelta = DEFAULT_REFRESH,
    description: str | None = None,
) -> bytes:
    """The feed as bytes (CRLF lines, folded at 75 octets). `calendar_uid` names the feed stably
    and must not be its secret token; `generated_at` is every event's DTSTAMP."""
    stamp = generated_at.astimezone(UTC)
    calendar = Calendar.new(
        prodid=PRODID,
        name=name,
        description=description,
        refresh_interval=refresh,
        uid=calendar_uid,
        calscale="GREGORIAN",
        method="PUBLISH",
    )
    calendar["REFRESH-INTERVAL"].params["VALUE"] = "DURATION"  # RFC 7986 asks for it
    calendar.add("X-PUBLISHED-TTL", vDuration(refresh))
    for entry in sorted(entries, key=lambda e: (e.shift.start, e.schedule, e.shift.user)):
        event = Event.new(
            uid=shift_uid(entry.schedule, entry.shift),
            stamp=stamp,
            start=entry.shift.start.astimezone(UTC),
            end=entry.shift.end.astimezone(UTC),
            summary=entry.summary,
            description=entry.description or None,
        )
        event.add("TRANSP", "TRANSPARENT")
        calendar.add_component(event)
    feed: bytes = calendar.to_ical()
    return feed
