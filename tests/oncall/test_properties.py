"""Properties of the calculator over generated schedules (hypothesis), near DST changes and in
zones that move by an hour or by half an hour, against the reference in `support.state_ref`."""

from __future__ import annotations

from datetime import datetime, timedelta
from datetime import time as clock

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.oncall.calculator import Calculator
from app.oncall.schedule import (
    Layer,
    Override,
    Restriction,
    RestrictionKind,
    Rotation,
    RotationKind,
    Schedule,
    Shift,
    ShiftSource,
    Weekday,
)
from tests.oncall.support import CREATED, key, layer_user_ref, state_ref, utc

ZONES = ["Europe/Berlin", "America/New_York", "Australia/Sydney", "Australia/Lord_Howe", "Asia/Kolkata", "UTC"]
# Days with a DST change in at least one of the zones (and one quiet day).
BASES = [
    utc(2026, 3, 8),
    utc(2026, 3, 29),
    utc(2026, 4, 5),
    utc(2026, 7, 15),
    utc(2026, 10, 4),
    utc(2026, 10, 25),
    utc(2026, 11, 1),
]
USERS = [1, 2, 3, 4, 5, 6]
QUARTER = timedelta(minutes=15)

PROPERTY = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def times_of_day(draw: st.DrawFn) -> clock:
    # Quarter hours, weighted towards 01:00-03:00 where the changes happen.
    minutes = draw(st.one_of(st.integers(0, 95), st.integers(4, 12))) * 15
    return clock(minutes // 60, minutes % 60)


@st.composite
def restrictions(draw: st.DrawFn) -> Restriction:
    if draw(st.booleans()):
        return Restriction(RestrictionKind.DAILY, draw(times_of_day()), draw(times_of_day()))
    return Restriction(
        RestrictionKind.WEEKLY, draw(times_of_day()), draw(times_of_day()), weekday=draw(st.sampled_from(Weekday))
    )


@st.composite
def layers(draw: st.DrawFn, base: datetime, layer_id: int) -> Layer:
    kind = draw(st.sampled_from(RotationKind))
    hours = draw(st.one_of(st.sampled_from([1, 2, 12]), st.integers(1, 50))) if kind is RotationKind.CUSTOM else None
    handoff = base + draw(st.integers(-4 * 24 * 4, 4 * 24 * 4)) * QUARTER
    users = draw(st.lists(st.sampled_from(USERS), min_size=0, max_size=4))
    return Layer(
        layer_id,
        Rotation(kind, handoff, hours),
        tuple(users),
        tuple(draw(st.lists(restrictions(), max_size=3))),
        position=draw(st.integers(0, 3)),
    )


@st.composite
def overrides(draw: st.DrawFn, base: datetime, override_id: int) -> Override:
    start = base + draw(st.integers(-3 * 24 * 4, 5 * 24 * 4)) * QUARTER
    return Override(
        override_id,
        draw(st.sampled_from(USERS)),
        start,
        start + draw(st.integers(0, 3 * 24 * 4)) * QUARTER,
        created_at=CREATED + timedelta(minutes=draw(st.integers(0, 5))),
    )


@st.composite
def cases(draw: st.DrawFn) -> tuple[Schedule, frozenset[int], datetime, datetime]:
    base = draw(st.sampled_from(BASES))
    count = draw(st.integers(0, 3))
    item = Schedule(
        1,
        "Generated",
        draw(st.sampled_from(ZONES)),
        tuple(draw(layers(base, n + 10)) for n in range(count)),
        tuple(draw(overrides(base, n + 100)) for n in range(draw(st.integers(0, 4)))),
    )
    inactive = frozenset(draw(st.lists(st.sampled_from(USERS), max_size=2)))
    start = base + draw(st.integers(-2 * 24 * 4, 24 * 4)) * QUARTER + timedelta(microseconds=draw(st.integers(0, 9)))
    end = start + draw(st.integers(1, 4 * 24 * 4)) * QUARTER
    return item, inactive, start, end


def at_instants(start: datetime, end: datetime) -> st.SearchStrategy[datetime]:
    span = int((end - start) / timedelta(seconds=1))
    return st.integers(0, max(span - 1, 0)).map(lambda s: start + timedelta(seconds=s))


def covering(found: list[Shift], at: datetime) -> Shift | None:
    return next((s for s in found if s.start <= at < s.end), None)


@PROPERTY
@given(cases())
def test_shifts_are_sorted_disjoint_merged_within_the_window_and_right_everywhere(
    case: tuple[Schedule, frozenset[int], datetime, datetime],
) -> None:
    item, inactive, start, end = case
    calculator = Calculator(item, inactive)
    found = calculator.shifts(start, end)
    for shift in found:
        assert start <= shift.start < shift.end <= end
    for before, after in zip(found, found[1:], strict=False):
        assert before.end <= after.start  # sorted, no overlap
        assert not (before.end == after.start and key(before) == key(after))  # merged
    # Each shift (its first and last microsecond) and each gap agree with the reference.
    for shift in found:
        assert state_ref(item, shift.start, inactive) == key(shift)
        assert state_ref(item, shift.end - timedelta(microseconds=1), inactive) == key(shift)
    for gap in calculator.gaps(start, end):
        assert state_ref(item, gap.start, inactive) is None
        assert state_ref(item, gap.end - timedelta(microseconds=1), inactive) is None


@PROPERTY
@given(cases(), st.data())
def test_overrides_win_and_gaps_exist_only_where_no_layer_can_have_a_shift(
    case: tuple[Schedule, frozenset[int], datetime, datetime], data: st.DataObject
) -> None:
    item, inactive, start, end = case
    found = Calculator(item, inactive).shifts(start, end)
    for at in data.draw(st.lists(at_instants(start, end), min_size=1, max_size=8)):
        holder = covering(found, at)
        live = [o for o in item.overrides if o.start <= at < o.end and o.user not in inactive]
        if live:
            latest = max(live, key=lambda o: (o.created_at, o.id))
            assert holder is not None and holder.source is ShiftSource.OVERRIDE
            assert (holder.user, holder.override) == (latest.user, latest.id)
        elif holder is None:
            # A gap: every layer is empty, not started, outside its restrictions, or on an
            # inactive user's turn there.
            tz = Calculator(item).zone.tz
            assert all(layer_user_ref(lay, tz, at, inactive) is None for lay in item.layers)
        else:
            assert holder.source is ShiftSource.LAYER
            winner = next(lay for lay in item.layers if lay.id == holder.layer)
            higher = [lay for lay in item.layers if (lay.position, lay.id) > (winner.position, winner.id)]
            tz = Calculator(item).zone.tz
            assert all(layer_user_ref(lay, tz, at, inactive) is None for lay in higher)


@PROPERTY
@given(cases(), st.data())
def test_a_window_split_anywhere_gives_the_same_shifts_once_merged(
    case: tuple[Schedule, frozenset[int], datetime, datetime], data: st.DataObject
) -> None:
    item, inactive, start, end = case
    middle = data.draw(at_instants(start, end))
    calculator = Calculator(item, inactive)
    whole = calculator.shifts(start, end)
    parts = calculator.shifts(start, middle) + calculator.shifts(middle, end)
    merged: list[Shift] = []
    for shift in parts:
        if merged and merged[-1].end == shift.start and key(merged[-1]) == key(shift):
            shift = Shift(shift.user, merged.pop().start, shift.end, shift.source, shift.layer, shift.override)
        merged.append(shift)
    assert merged == whole


@PROPERTY
@given(cases(), st.data())
def test_on_call_at_an_instant_agrees_with_shifts_around_it(
    case: tuple[Schedule, frozenset[int], datetime, datetime], data: st.DataObject
) -> None:
    item, inactive, start, end = case
    horizon = timedelta(days=data.draw(st.sampled_from([1, 4, 9])), microseconds=data.draw(st.integers(0, 3)))
    calculator = Calculator(item, inactive)
    for at in data.draw(st.lists(at_instants(start, end), min_size=1, max_size=5)):
        at += timedelta(microseconds=data.draw(st.integers(0, 999_999)))
        expected = covering(calculator.shifts(at - horizon, at + horizon), at)
        assert calculator.on_call(at, horizon) == expected
        assert (None if expected is None else key(expected)) == state_ref(item, at, inactive)
