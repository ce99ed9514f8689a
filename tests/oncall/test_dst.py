"""Hand-checked shifts across the 2026 DST changes in Europe/Berlin (29 Mar, 25 Oct),
America/New_York (8 Mar, 1 Nov) and Australia/Sydney (5 Apr, 4 Oct). Every expected instant is
written out in UTC from the zone's rules, not computed."""

from __future__ import annotations

from datetime import time as clock
from datetime import timedelta

from app.oncall.calculator import gaps, on_call, shifts
from app.oncall.schedule import Gap, RotationKind, Weekday
from tests.oncall.support import daily, layer, local, schedule, spans, utc, weekly

BERLIN, NEW_YORK, SYDNEY = "Europe/Berlin", "America/New_York", "Australia/Sydney"
H = timedelta(hours=1)


def test_berlin_daily_0900_hands_off_at_0900_local_around_both_changes() -> None:
    item = schedule(BERLIN, [layer(local(BERLIN, 2026, 3, 27, 9), [1, 2, 3])])
    assert spans(shifts(item, utc(2026, 3, 27, 8), utc(2026, 3, 31, 7))) == [
        (1, utc(2026, 3, 27, 8), utc(2026, 3, 28, 8)),  # 09:00 CET
        (2, utc(2026, 3, 28, 8), utc(2026, 3, 29, 7)),  # 23 h: to 09:00 CEST
        (3, utc(2026, 3, 29, 7), utc(2026, 3, 30, 7)),
        (1, utc(2026, 3, 30, 7), utc(2026, 3, 31, 7)),
    ]
    autumn = schedule(BERLIN, [layer(local(BERLIN, 2026, 10, 23, 9), [1, 2])])
    assert spans(shifts(autumn, utc(2026, 10, 23, 7), utc(2026, 10, 26, 8))) == [
        (1, utc(2026, 10, 23, 7), utc(2026, 10, 24, 7)),
        (2, utc(2026, 10, 24, 7), utc(2026, 10, 25, 8)),  # 25 h: 09:00 CEST to 09:00 CET
        (1, utc(2026, 10, 25, 8), utc(2026, 10, 26, 8)),
    ]


def test_berlin_weekly_and_twelve_hour_custom_rotations_keep_their_local_times() -> None:
    weekly_layer = layer(local(BERLIN, 2026, 3, 23, 9), [1, 2], RotationKind.WEEKLY)  # Mondays 09:00
    assert spans(shifts(schedule(BERLIN, [weekly_layer]), utc(2026, 3, 23, 8), utc(2026, 4, 6, 7))) == [
        (1, utc(2026, 3, 23, 8), utc(2026, 3, 30, 7)),  # 167 h
        (2, utc(2026, 3, 30, 7), utc(2026, 4, 6, 7)),
    ]
    custom = layer(local(BERLIN, 2026, 10, 24, 9), [1, 2], RotationKind.CUSTOM, hours=12)
    assert spans(shifts(schedule(BERLIN, [custom]), utc(2026, 10, 24, 7), utc(2026, 10, 25, 20))) == [
        (1, utc(2026, 10, 24, 7), utc(2026, 10, 24, 19)),  # 09:00-21:00 CEST
        (2, utc(2026, 10, 24, 19), utc(2026, 10, 25, 8)),  # 21:00 CEST to 09:00 CET: 13 h
        (1, utc(2026, 10, 25, 8), utc(2026, 10, 25, 20)),  # 09:00-21:00 CET
    ]


def test_a_handoff_in_the_spring_gap_moves_to_the_first_instant_after_it() -> None:
    item = schedule(BERLIN, [layer(local(BERLIN, 2026, 3, 27, 2, 30), [1, 2, 3])])
    assert spans(shifts(item, utc(2026, 3, 27, 1, 30), utc(2026, 3, 30, 0, 30))) == [
        (1, utc(2026, 3, 27, 1, 30), utc(2026, 3, 28, 1, 30)),
        (2, utc(2026, 3, 28, 1, 30), utc(2026, 3, 29, 1)),  # 02:30 does not exist: 03:00 CEST
        (3, utc(2026, 3, 29, 1), utc(2026, 3, 30, 0, 30)),  # back on 02:30 CEST
    ]
    new_york = schedule(NEW_YORK, [layer(local(NEW_YORK, 2026, 3, 7, 2), [1, 2])])
    assert spans(shifts(new_york, utc(2026, 3, 7, 7), utc(2026, 3, 9, 6))) == [
        (1, utc(2026, 3, 7, 7), utc(2026, 3, 8, 7)),  # 02:00 EST, then 03:00 EDT (no 02:00)
        (2, utc(2026, 3, 8, 7), utc(2026, 3, 9, 6)),  # 23 h to 02:00 EDT
    ]


def test_a_handoff_in_the_repeated_hour_takes_its_first_occurrence() -> None:
    item = schedule(BERLIN, [layer(local(BERLIN, 2026, 10, 24, 2, 30), [1, 2, 3])])
    assert spans(shifts(item, utc(2026, 10, 24, 0, 30), utc(2026, 10, 26, 1, 30))) == [
        (1, utc(2026, 10, 24, 0, 30), utc(2026, 10, 25, 0, 30)),  # to the first 02:30 (CEST)
        (2, utc(2026, 10, 25, 0, 30), utc(2026, 10, 26, 1, 30)),  # 25 h to 02:30 CET
    ]
    # Asked during the second 02:30, on_call agrees: user 2 took over an hour earlier.
    assert spans([on_call(item, utc(2026, 10, 25, 1, 30), horizon=timedelta(days=3))]) == [  # type: ignore[list-item]
        (2, utc(2026, 10, 25, 0, 30), utc(2026, 10, 26, 1, 30))
    ]
    new_york = schedule(NEW_YORK, [layer(local(NEW_YORK, 2026, 10, 31, 1, 30), [1, 2])])
    assert spans(shifts(new_york, utc(2026, 10, 31, 5, 30), utc(2026, 11, 2, 6, 30))) == [
        (1, utc(2026, 10, 31, 5, 30), utc(2026, 11, 1, 5, 30)),  # first 01:30 (EDT)
        (2, utc(2026, 11, 1, 5, 30), utc(2026, 11, 2, 6, 30)),  # 25 h to 01:30 EST
    ]


def test_new_york_daily_0900_is_23_and_25_hours_long_on_change_days() -> None:
    item = schedule(NEW_YORK, [layer(local(NEW_YORK, 2026, 3, 7, 9), [1, 2])])
    assert spans(shifts(item, utc(2026, 3, 7, 14), utc(2026, 3, 9, 13))) == [
        (1, utc(2026, 3, 7, 14), utc(2026, 3, 8, 13)),  # 09:00 EST to 09:00 EDT
        (2, utc(2026, 3, 8, 13), utc(2026, 3, 9, 13)),
    ]
    autumn = schedule(NEW_YORK, [layer(local(NEW_YORK, 2026, 10, 31, 9), [1, 2])])
    assert spans(shifts(autumn, utc(2026, 10, 31, 13), utc(2026, 11, 2, 14))) == [
        (1, utc(2026, 10, 31, 13), utc(2026, 11, 1, 14)),  # 25 h
        (2, utc(2026, 11, 1, 14), utc(2026, 11, 2, 14)),
    ]


def test_sydney_daily_0900_and_a_handoff_in_its_october_gap() -> None:
    item = schedule(SYDNEY, [layer(local(SYDNEY, 2026, 4, 3, 9), [1, 2])])
    assert spans(shifts(item, utc(2026, 4, 2, 22), utc(2026, 4, 5, 23))) == [
        (1, utc(2026, 4, 2, 22), utc(2026, 4, 3, 22)),  # 09:00 AEDT
        (2, utc(2026, 4, 3, 22), utc(2026, 4, 4, 23)),  # 25 h: to 09:00 AEST on 5 April
        (1, utc(2026, 4, 4, 23), utc(2026, 4, 5, 23)),
    ]
    spring = schedule(SYDNEY, [layer(local(SYDNEY, 2026, 10, 3, 9), [1, 2])])
    assert spans(shifts(spring, utc(2026, 10, 2, 23), utc(2026, 10, 4, 22))) == [
        (1, utc(2026, 10, 2, 23), utc(2026, 10, 3, 22)),  # 23 h: 09:00 AEST to 09:00 AEDT
        (2, utc(2026, 10, 3, 22), utc(2026, 10, 4, 22)),
    ]
    in_gap = schedule(SYDNEY, [layer(local(SYDNEY, 2026, 10, 3, 2, 30), [1, 2])])
    assert spans(shifts(in_gap, utc(2026, 10, 2, 16, 30), utc(2026, 10, 4, 15, 30))) == [
        (1, utc(2026, 10, 2, 16, 30), utc(2026, 10, 3, 16)),  # 02:30 AEST is skipped: 03:00 AEDT
        (2, utc(2026, 10, 3, 16), utc(2026, 10, 4, 15, 30)),
    ]


def test_night_restrictions_cross_midnight_and_follow_the_wall_clock() -> None:
    nights = [daily(clock(22), clock(6))]
    berlin = schedule(BERLIN, [layer(local(BERLIN, 2026, 3, 1, 12), [7], restrictions=nights)])
    assert spans(shifts(berlin, utc(2026, 3, 28, 12), utc(2026, 3, 29, 12))) == [
        (7, utc(2026, 3, 28, 21), utc(2026, 3, 29, 4)),  # 22:00 CET to 06:00 CEST: 7 h
    ]
    assert spans(shifts(berlin, utc(2026, 10, 24, 12), utc(2026, 10, 25, 12))) == [
        (7, utc(2026, 10, 24, 20), utc(2026, 10, 25, 5)),  # 22:00 CEST to 06:00 CET: 9 h
    ]
    sydney = schedule(SYDNEY, [layer(local(SYDNEY, 2026, 3, 1, 12), [7], restrictions=[daily(clock(20), clock(8))])])
    assert spans(shifts(sydney, utc(2026, 4, 4, 3), utc(2026, 4, 5, 3))) == [
        (7, utc(2026, 4, 4, 9), utc(2026, 4, 4, 22)),  # 20:00 AEDT to 08:00 AEST: 13 h
    ]


def test_weekday_restriction_over_midnight_on_the_new_york_fall_back_night() -> None:
    saturday_night = [weekly(Weekday.SATURDAY, clock(23), clock(3))]
    item = schedule(NEW_YORK, [layer(local(NEW_YORK, 2026, 10, 1, 12), [4], restrictions=saturday_night)])
    assert spans(shifts(item, utc(2026, 10, 30), utc(2026, 11, 9))) == [
        (4, utc(2026, 11, 1, 3), utc(2026, 11, 1, 8)),  # Sat 23:00 EDT to Sun 03:00 EST: 5 h
        (4, utc(2026, 11, 8, 4), utc(2026, 11, 8, 8)),  # a week later, 4 h
    ]


def test_restriction_edges_inside_the_spring_gap() -> None:
    item = schedule(
        BERLIN,
        [
            layer(local(BERLIN, 2026, 3, 1, 12), [1], restrictions=[daily(clock(1), clock(2, 30))], position=1),
            layer(local(BERLIN, 2026, 3, 1, 12), [2], restrictions=[daily(clock(2), clock(2, 45))], position=2),
        ],
    )
    assert spans(shifts(item, utc(2026, 3, 28, 22), utc(2026, 3, 29, 3))) == [
        (1, utc(2026, 3, 29, 0), utc(2026, 3, 29, 1)),  # 01:00 CET to "02:30" = 03:00 CEST; layer 2 empty
    ]
    assert gaps(item, utc(2026, 3, 28, 22), utc(2026, 3, 29, 3)) == [
        Gap(utc(2026, 3, 28, 22), utc(2026, 3, 29, 0)),
        Gap(utc(2026, 3, 29, 1), utc(2026, 3, 29, 3)),
    ]


def test_an_hourly_rotation_loses_the_turn_the_spring_gap_swallows() -> None:
    item = schedule(BERLIN, [layer(local(BERLIN, 2026, 3, 29, 0), [1, 2, 3], RotationKind.CUSTOM, hours=1)])
    assert spans(shifts(item, utc(2026, 3, 28, 23), utc(2026, 3, 29, 3))) == [
        (1, utc(2026, 3, 28, 23), utc(2026, 3, 29, 0)),  # 00:00 CET
        (2, utc(2026, 3, 29, 0), utc(2026, 3, 29, 1)),  # 01:00 CET; 02:00 (user 3) never comes
        (1, utc(2026, 3, 29, 1), utc(2026, 3, 29, 2)),  # 03:00 CEST
        (2, utc(2026, 3, 29, 2), utc(2026, 3, 29, 3)),
    ]
    two = schedule(BERLIN, [layer(local(BERLIN, 2026, 3, 29, 0), [1, 2], RotationKind.CUSTOM, hours=1)])
    assert spans(shifts(two, utc(2026, 3, 29, 0), utc(2026, 3, 29, 3))) == [
        (2, utc(2026, 3, 29, 0), utc(2026, 3, 29, 2)),  # 01:00 CET, and again 03:00 CEST: merged
        (1, utc(2026, 3, 29, 2), utc(2026, 3, 29, 3)),
    ]
    for at in (utc(2026, 3, 29, 0, 30), utc(2026, 3, 29, 1, 30)):
        shift = on_call(two, at)
        assert shift is not None and (shift.user, shift.start, shift.end) == (
            2,
            utc(2026, 3, 29, 0),
            utc(2026, 3, 29, 2),
        )


def test_two_windows_whose_gap_the_spring_change_swallows_make_one_shift() -> None:
    windows = [daily(clock(1), clock(2, 15)), daily(clock(2, 45), clock(5))]
    item = schedule(BERLIN, [layer(local(BERLIN, 2026, 3, 1, 12), [5], restrictions=windows)])
    merged = (5, utc(2026, 3, 29, 0), utc(2026, 3, 29, 3))  # 01:00 CET to 05:00 CEST
    assert spans(shifts(item, utc(2026, 3, 28, 22), utc(2026, 3, 29, 6))) == [merged]
    for at in (utc(2026, 3, 29, 0, 30), utc(2026, 3, 29, 2)):
        assert spans([on_call(item, at)]) == [merged]  # type: ignore[list-item]
    # A day earlier the gap is real: two shifts.
    assert len(shifts(item, utc(2026, 3, 27, 22), utc(2026, 3, 28, 6))) == 2
