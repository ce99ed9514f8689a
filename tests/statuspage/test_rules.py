"""Pure status page rules: the indicator, maintenance status over time, and uptime from
status history against examples worked out by hand."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from app.statuspage import rules, uptime
from app.statuspage.enums import ComponentStatus as C
from app.statuspage.enums import Impact, Indicator
from app.statuspage.enums import MaintenanceStatus as M

T0 = datetime(2026, 3, 10, tzinfo=UTC)  # a midnight in UTC


def h(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


@pytest.mark.parametrize(
    ("statuses", "impacts", "maintenance", "expected"),
    [
        ([C.OPERATIONAL, C.OPERATIONAL], [], False, (Indicator.NONE, "All Systems Operational")),
        ([], [], False, (Indicator.NONE, "All Systems Operational")),
        ([C.DEGRADED_PERFORMANCE, C.OPERATIONAL], [], False, (Indicator.MINOR, "Partially Degraded Service")),
        ([C.DEGRADED_PERFORMANCE, C.DEGRADED_PERFORMANCE], [], False, (Indicator.MINOR, "Degraded System Service")),
        ([C.PARTIAL_OUTAGE, C.DEGRADED_PERFORMANCE], [], False, (Indicator.MINOR, "Minor Service Outage")),
        ([C.MAJOR_OUTAGE, C.OPERATIONAL], [], False, (Indicator.MAJOR, "Partial System Outage")),
        ([C.MAJOR_OUTAGE, C.MAJOR_OUTAGE], [], False, (Indicator.CRITICAL, "Major System Outage")),
        ([C.UNDER_MAINTENANCE, C.OPERATIONAL], [], False, (Indicator.NONE, "Service Under Maintenance")),
        ([C.OPERATIONAL], [], True, (Indicator.NONE, "Service Under Maintenance")),
        # an unresolved incident worse than the components decides
        ([C.OPERATIONAL], [Impact.MAJOR], False, (Indicator.MAJOR, "Partial System Outage")),
        ([C.DEGRADED_PERFORMANCE], [Impact.NONE, Impact.MINOR], False, (Indicator.MINOR, "Degraded System Service")),
        ([C.MAJOR_OUTAGE, C.OPERATIONAL], [Impact.CRITICAL], False, (Indicator.CRITICAL, "Major System Outage")),
        ([C.OPERATIONAL], [Impact.NONE], True, (Indicator.NONE, "Service Under Maintenance")),
    ],
)
def test_overall_indicator(
    statuses: list[C], impacts: list[Impact], maintenance: bool, expected: tuple[Indicator, str]
) -> None:
    result = rules.overall(statuses, impacts, maintenance_active=maintenance)
    assert (result.indicator, result.description) == expected


def test_maintenance_status_follows_the_clock() -> None:
    times = rules.MaintenanceTimes(scheduled_for=h(10), scheduled_until=h(12))
    assert [rules.maintenance_status(times, h(x)) for x in (0, 9.99, 10, 11.5, 12, 30)] == [
        M.SCHEDULED,
        M.SCHEDULED,
        M.IN_PROGRESS,
        M.IN_PROGRESS,
        M.COMPLETED,
        M.COMPLETED,
    ]
    assert rules.next_boundary(times, h(1)) == h(10)
    assert rules.next_boundary(times, h(10)) == h(12)
    assert rules.next_boundary(times, h(12)) is None


def test_maintenance_status_with_updates() -> None:
    # started early at 9, verifying from 11, scheduled end 12 completes it
    times = rules.MaintenanceTimes(scheduled_for=h(10), scheduled_until=h(12), started_at=h(9), verifying_at=h(11))
    assert [rules.maintenance_status(times, h(x)) for x in (8, 9, 10.5, 11, 11.9, 12)] == [
        M.SCHEDULED,
        M.IN_PROGRESS,
        M.IN_PROGRESS,
        M.VERIFYING,
        M.VERIFYING,
        M.COMPLETED,
    ]
    assert times.window() == (h(9), h(12))
    early = rules.MaintenanceTimes(scheduled_for=h(10), scheduled_until=h(12), completed_at=h(10.5))
    assert rules.maintenance_status(early, h(10.4)) is M.IN_PROGRESS
    assert rules.maintenance_status(early, h(10.5)) is M.COMPLETED
    assert early.window() == (h(10), h(10.5))


def test_cancelled_maintenance() -> None:
    before = rules.MaintenanceTimes(scheduled_for=h(10), scheduled_until=h(12), cancelled_at=h(5))
    assert rules.maintenance_status(before, h(4)) is M.CANCELLED  # cancelling is not undone by time
    assert rules.maintenance_status(before, h(11)) is M.CANCELLED
    assert before.window() is None
    running = rules.MaintenanceTimes(scheduled_for=h(10), scheduled_until=h(12), cancelled_at=h(11))
    assert rules.maintenance_status(running, h(11)) is M.COMPLETED
    assert running.window() == (h(10), h(11))


def test_effective_status_lays_maintenance_over_operational_only() -> None:
    assert rules.effective_status(C.OPERATIONAL, True) is C.UNDER_MAINTENANCE
    assert rules.effective_status(C.MAJOR_OUTAGE, True) is C.MAJOR_OUTAGE
    assert rules.effective_status(C.OPERATIONAL, False) is C.OPERATIONAL


def test_uptime_hand_worked_day() -> None:
    # One UTC day: operational 0-6h, partial outage 6-8h, major outage 8-9h, degraded 9-12h,
    # operational after. Downtime = 1 h (major only); degraded = 2 h partial + 3 h degraded.
    changes = [(h(6), C.PARTIAL_OUTAGE), (h(8), C.MAJOR_OUTAGE), (h(9), C.DEGRADED_PERFORMANCE), (h(12), C.OPERATIONAL)]
    intervals = uptime.effective_intervals(T0, C.OPERATIONAL, changes, [], h(24))
    [day] = uptime.daily(intervals, [date(2026, 3, 10)], UTC)
    assert day.observed == 24 * 3600
    assert day.downtime == 3600
    assert day.degraded == 5 * 3600
    assert day.uptime == pytest.approx(23 / 24)  # 95.8333 %
    assert day.worst is C.MAJOR_OUTAGE


def test_uptime_over_several_days_weights_by_observed_time() -> None:
    # Created at noon on day 1 (12 h observed, 3 h major outage); day 2 fully operational
    # except a 2 h maintenance during which an outage of 1 h happens; day 3 not reached yet.
    created = h(12)
    changes = [
        (h(12), C.OPERATIONAL),
        (h(15), C.MAJOR_OUTAGE),
        (h(18), C.OPERATIONAL),
        (h(34), C.MAJOR_OUTAGE),
        (h(35), C.OPERATIONAL),
    ]
    windows = [(h(33), h(35))]
    intervals = uptime.effective_intervals(created, C.OPERATIONAL, changes, windows, h(48))
    days = uptime.daily(intervals, [date(2026, 3, 10), date(2026, 3, 11), date(2026, 3, 12)], UTC)
    first, second, third = days
    assert (first.observed, first.downtime, first.uptime) == (12 * 3600, 3 * 3600, pytest.approx(0.75))
    # the outage inside the maintenance still counts; the maintenance hour does not
    assert (second.observed, second.downtime, second.maintenance) == (24 * 3600, 3600, 3600)
    assert second.uptime == pytest.approx(23 / 24)
    assert third.uptime is None and third.worst is None
    # over the window: (36 h - 4 h) / 36 h
    assert uptime.overall(days) == pytest.approx(32 / 36)


def test_uptime_days_follow_the_page_time_zone() -> None:
    paris = ZoneInfo("Europe/Paris")  # UTC+1 in March before the switch
    # A major outage from 23:00 to 01:00 UTC = 00:00 to 02:00 in Paris: all in the 11th there.
    changes = [(h(23), C.MAJOR_OUTAGE), (h(25), C.OPERATIONAL)]
    start = datetime(2026, 3, 10, tzinfo=paris)
    intervals = uptime.effective_intervals(start, C.OPERATIONAL, changes, [], datetime(2026, 3, 12, tzinfo=paris))
    tenth, eleventh = uptime.daily(intervals, [date(2026, 3, 10), date(2026, 3, 11)], paris)
    assert tenth.downtime == 0 and eleventh.downtime == 2 * 3600


def test_days_ending_and_bounds() -> None:
    days = uptime.days_ending(date(2026, 3, 10), 90)
    assert len(days) == 90 and days[0] == date(2025, 12, 11) and days[-1] == date(2026, 3, 10)


def test_effective_changes_attribute_causes() -> None:
    created = uptime.Cause(actor_id=1)
    incident = uptime.Cause(incident_id=7, actor_id=2)
    changes = [(h(0), C.OPERATIONAL, created), (h(5), C.MAJOR_OUTAGE, incident), (h(6), C.OPERATIONAL, incident)]
    windows = [(h(2), h(3), 11), (h(5.5), h(8), 12), (h(30), h(31), 13)]
    result = uptime.effective_changes(changes, windows, h(7))
    assert [(c.at, c.from_status, c.to_status, c.cause) for c in result] == [
        (h(0), None, C.OPERATIONAL, created),
        (h(2), C.OPERATIONAL, C.UNDER_MAINTENANCE, uptime.Cause(maintenance_id=11)),
        (h(3), C.UNDER_MAINTENANCE, C.OPERATIONAL, uptime.Cause(maintenance_id=11)),
        (h(5), C.OPERATIONAL, C.MAJOR_OUTAGE, incident),
        # maintenance 12 starts during the outage: nothing shown changes at 5.5
        (h(6), C.MAJOR_OUTAGE, C.UNDER_MAINTENANCE, incident),
    ]
