"""previewScheduleChange: the shift diff between a schedule and its edited version."""

from __future__ import annotations

from dataclasses import replace
from datetime import time as clock
from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from app.oncall.calculator import shifts
from app.oncall.preview import ChangeKind, diff_shifts, preview_change
from tests.oncall.support import daily, layer, override, schedule, utc

DAY = timedelta(days=1)
START = utc(2026, 6, 1)


def test_an_identical_schedule_changes_nothing() -> None:
    item = schedule("Europe/Berlin", [layer(START, [1, 2])])
    assert preview_change(item, item, START, START + 10 * DAY).unchanged


def test_adding_restrictions_removes_coverage_and_a_new_layer_adds_it_back() -> None:
    base = layer(START, [1, 2], id=50)
    before = schedule("UTC", [base])
    restricted = replace(before, layers=(replace(base, restrictions=(daily(clock(8), clock(20)),)),))
    diff = preview_change(before, restricted, START, START + 2 * DAY)
    hours = [((c.start - START) // timedelta(hours=1), (c.end - START) // timedelta(hours=1)) for c in diff.removed]
    assert hours == [(0, 8), (20, 24), (24, 32), (44, 48)]  # the night splits at the handoff: 1, then 2
    assert [c.before and c.before.user for c in diff.removed] == [1, 1, 2, 2]
    assert all(c.after is None and c.kind is ChangeKind.REMOVED for c in diff.removed)
    assert diff.added == () and diff.changed == ()
    backup = layer(START, [9], id=51, position=-1)
    covered = replace(restricted, layers=(*restricted.layers, backup))
    back = preview_change(restricted, covered, START, START + 2 * DAY)
    assert [c.kind for c in back.added] == [ChangeKind.ADDED] * 3 and back.removed == () and back.changed == ()
    assert all(c.after is not None and c.after.user == 9 for c in back.added)


def test_an_override_shows_as_a_change_of_user_and_of_reason() -> None:
    base = layer(START, [1, 2], id=60)
    before = schedule("UTC", [base])
    after = replace(before, overrides=(override(1, START + timedelta(hours=30), START + timedelta(hours=36), id=61),))
    diff = preview_change(before, after, START, START + 3 * DAY)
    assert diff.added == diff.removed == ()
    (change,) = diff.changed
    assert (change.start, change.end) == (START + timedelta(hours=30), START + timedelta(hours=36))
    assert change.before is not None and change.before.user == 2
    assert change.after is not None and change.after.user == 1 and change.after.override == 61
    assert change.user_changed
    # The same user by override instead of by layer is a change of reason only.
    same_user = replace(before, overrides=(override(2, START + timedelta(hours=30), START + timedelta(hours=36)),))
    (reason_only,) = preview_change(before, same_user, START, START + 3 * DAY).changed
    assert not reason_only.user_changed


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(1, 4), min_size=1, max_size=4), st.lists(st.integers(1, 4), min_size=1, max_size=4))
def test_the_diff_accounts_for_every_instant_where_the_two_differ(users_a: list[int], users_b: list[int]) -> None:
    a = schedule("Europe/Berlin", [layer(START, users_a, restrictions=[daily(clock(6), clock(23))], id=70)])
    b = schedule("Europe/Berlin", [layer(START + timedelta(hours=5), users_b, id=70)])
    old, new = shifts(a, START, START + 5 * DAY), shifts(b, START, START + 5 * DAY)
    diff = diff_shifts(old, new)
    changes = sorted((*diff.added, *diff.removed, *diff.changed), key=lambda c: c.start)
    for hour in range(5 * 24):
        at = START + timedelta(hours=hour, minutes=30)
        was = next((s for s in old if s.start <= at < s.end), None)
        will = next((s for s in new if s.start <= at < s.end), None)
        change = next((c for c in changes if c.start <= at < c.end), None)
        if (was and (was.user, was.layer)) == (will and (will.user, will.layer)):
            assert change is None
        else:
            assert change is not None and (change.before, change.after) == (was, will)
