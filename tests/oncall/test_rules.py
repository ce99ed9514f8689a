"""The layering rules by hand: positions, overrides stacking, inactive users, merging, gaps,
layer starts and the horizon of `on_call`."""

from __future__ import annotations

from datetime import time as clock
from datetime import timedelta

import pytest

from app.oncall.calculator import Calculator, gaps, on_call, shifts
from app.oncall.schedule import Gap, Override, RotationKind, Shift, ShiftSource, Weekday
from tests.oncall.support import daily, layer, override, schedule, spans, utc, weekly

UTC_ZONE = "UTC"
DAY = timedelta(days=1)


def test_the_higher_position_wins_where_it_has_a_shift_and_the_lower_shows_through_elsewhere() -> None:
    base = layer(utc(2026, 5, 4), [1, 2], RotationKind.WEEKLY, position=0, id=10)
    office = layer(
        utc(2026, 5, 4),
        [3],
        restrictions=[weekly(day, clock(9), clock(17)) for day in (Weekday.MONDAY, Weekday.TUESDAY)],
        position=5,
        id=11,
    )
    found = shifts(schedule(UTC_ZONE, [office, base]), utc(2026, 5, 4), utc(2026, 5, 6))
    assert [(s.user, s.start, s.end, s.layer) for s in found] == [
        (1, utc(2026, 5, 4), utc(2026, 5, 4, 9), 10),
        (3, utc(2026, 5, 4, 9), utc(2026, 5, 4, 17), 11),
        (1, utc(2026, 5, 4, 17), utc(2026, 5, 5, 9), 10),
        (3, utc(2026, 5, 5, 9), utc(2026, 5, 5, 17), 11),
        (1, utc(2026, 5, 5, 17), utc(2026, 5, 6), 10),
    ]


def test_overrides_stack_the_later_created_on_top_and_all_win_over_layers() -> None:
    day = utc(2026, 6, 1)
    first = override(11, day + timedelta(hours=10), day + timedelta(hours=14), created=1)
    second = override(12, day + timedelta(hours=12), day + timedelta(hours=16), created=2)
    oldest = override(13, day + timedelta(hours=8), day + timedelta(hours=18), created=0)
    item = schedule(UTC_ZONE, [layer(day, [1], position=9)], [first, second, oldest])
    found = shifts(item, day, day + DAY)
    assert [(s.user, s.start.hour, s.end.hour if s.end < day + DAY else 24, s.source) for s in found] == [
        (1, 0, 8, ShiftSource.LAYER),
        (13, 8, 10, ShiftSource.OVERRIDE),
        (11, 10, 12, ShiftSource.OVERRIDE),
        (12, 12, 16, ShiftSource.OVERRIDE),
        (13, 16, 18, ShiftSource.OVERRIDE),
        (1, 18, 24, ShiftSource.LAYER),
    ]
    assert found[2].override == first.id and found[3].override == second.id
    # Created at the same moment, the larger id counts as later.
    same = Override(900, 21, day, day + DAY, created_at=oldest.created_at)
    other = Override(901, 22, day, day + DAY, created_at=oldest.created_at)
    assert [s.user for s in shifts(schedule(UTC_ZONE, [], [other, same]), day, day + DAY)] == [22]


def test_an_inactive_users_turns_and_overrides_fall_through_to_lower_layers_or_gaps() -> None:
    day = utc(2026, 6, 1)
    top = layer(day, [1, 2], position=2)
    bottom = layer(day, [3], position=1, restrictions=[daily(clock(0), clock(12))])
    item = schedule(UTC_ZONE, [top, bottom], [override(2, day + timedelta(hours=30), day + timedelta(hours=31))])
    found = shifts(item, day, day + 3 * DAY, inactive_users={1})
    assert [(s.user, s.start, s.end, s.source) for s in found] == [
        (3, day, day + timedelta(hours=12), ShiftSource.LAYER),  # user 1's turn: the lower layer's morning
        (2, day + DAY, day + timedelta(hours=30), ShiftSource.LAYER),  # user 2's turn ...
        (2, day + timedelta(hours=30), day + timedelta(hours=31), ShiftSource.OVERRIDE),  # ... and override
        (2, day + timedelta(hours=31), day + 2 * DAY, ShiftSource.LAYER),
        (3, day + 2 * DAY, day + timedelta(hours=60), ShiftSource.LAYER),
    ]
    assert gaps(item, day, day + 3 * DAY, inactive_users={1}) == [
        Gap(day + timedelta(hours=12), day + DAY),
        Gap(day + timedelta(hours=60), day + 3 * DAY),
    ]
    # Deactivate user 2 as well: their override no longer counts either.
    assert spans(shifts(item, day, day + 3 * DAY, inactive_users={1, 2})) == [
        (3, day, day + timedelta(hours=12)),
        (3, day + DAY, day + timedelta(hours=36)),
        (3, day + 2 * DAY, day + timedelta(hours=60)),
    ]


def test_adjacent_pieces_merge_only_for_the_same_user_and_source() -> None:
    day = utc(2026, 6, 1)
    item = schedule(UTC_ZONE, [layer(day, [1, 1, 2], id=30)], [override(1, day + 2 * DAY, day + 3 * DAY, id=31)])
    found = shifts(item, day, day + 4 * DAY)
    assert [(s.user, s.start, s.end, s.source) for s in found] == [
        (1, day, day + 2 * DAY, ShiftSource.LAYER),  # two turns of user 1, one shift
        (1, day + 2 * DAY, day + 3 * DAY, ShiftSource.OVERRIDE),  # user 1 again, but by override
        (1, day + 3 * DAY, day + 4 * DAY, ShiftSource.LAYER),  # the rotation wrapped round
    ]


def test_a_layer_has_no_shift_before_its_first_handoff_and_an_empty_layer_none_at_all() -> None:
    day = utc(2026, 6, 1)
    item = schedule(UTC_ZONE, [layer(day + DAY, [4, 5]), layer(day, [], position=3)])
    assert spans(shifts(item, day, day + 3 * DAY)) == [(4, day + DAY, day + 2 * DAY), (5, day + 2 * DAY, day + 3 * DAY)]
    assert gaps(item, day, day + 3 * DAY) == [Gap(day, day + DAY)]
    assert on_call(item, day + timedelta(hours=5)) is None
    assert shifts(schedule(UTC_ZONE), day, day + DAY) == []
    assert gaps(schedule(UTC_ZONE), day, day + DAY) == [Gap(day, day + DAY)]


def test_on_call_returns_the_merged_shift_bounded_by_the_horizon() -> None:
    day = utc(2026, 6, 1)
    single = schedule(UTC_ZONE, [layer(day, [8])])
    assert on_call(single, day + 40 * DAY, horizon=7 * DAY) == Shift(
        8, day + 33 * DAY, day + 47 * DAY, ShiftSource.LAYER, single.layers[0].id
    )
    # One user, restricted to whole days: the windows join into one, however long.
    whole_days = schedule(UTC_ZONE, [layer(day, [8], restrictions=[daily(clock(9), clock(9))])])
    shift = on_call(whole_days, day + 40 * DAY, horizon=30 * DAY)
    assert shift is not None and (shift.start, shift.end) == (day + 10 * DAY, day + 70 * DAY)
    assert spans(shifts(whole_days, day, day + 70 * DAY)) == [(8, day, day + 70 * DAY)]


def test_a_prepared_calculator_answers_like_the_module_functions() -> None:
    day = utc(2026, 6, 1)
    item = schedule("Europe/Berlin", [layer(day, [1, 2, 3], RotationKind.CUSTOM, hours=7)])
    calculator = Calculator(item)
    assert calculator.shifts(day, day + 5 * DAY) == shifts(item, day, day + 5 * DAY)
    for hour in range(0, 120, 5):
        assert calculator.on_call(day + timedelta(hours=hour)) == on_call(item, day + timedelta(hours=hour))
    assert shifts(item, day + DAY, day) == []


def test_naive_datetimes_are_refused() -> None:
    item = schedule(UTC_ZONE, [layer(utc(2026, 6, 1), [1])])
    with pytest.raises(ValueError, match="timezone-aware"):
        shifts(item, utc(2026, 6, 1).replace(tzinfo=None), utc(2026, 6, 2))
    with pytest.raises(ValueError, match="timezone-aware"):
        on_call(item, utc(2026, 6, 1).replace(tzinfo=None))
    naive = override(1, utc(2026, 6, 1).replace(tzinfo=None), utc(2026, 6, 2))
    with pytest.raises(ValueError, match="naive"):
        Calculator(schedule(UTC_ZONE, [], [naive]))
