"""Bad schedule input gets VALIDATION naming the field; good input passes untouched."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import time as clock
from datetime import timedelta

import pytest

from app.errors import ErrorCode, ValidationFailed
from app.oncall.schedule import (
    Layer,
    Restriction,
    RestrictionKind,
    Rotation,
    RotationKind,
    Schedule,
    Weekday,
)
from app.oncall.validation import (
    validate_layer,
    validate_override,
    validate_restriction,
    validate_schedule,
    validate_time_zone,
    validate_window,
)
from tests.oncall.support import daily, layer, override, utc, weekly

START = utc(2026, 6, 1)


@contextmanager
def refused(field: str) -> Iterator[None]:
    with pytest.raises(ValidationFailed) as caught:
        yield
    assert caught.value.code is ErrorCode.VALIDATION
    assert caught.value.field == field


def good_schedule() -> Schedule:
    return Schedule(
        1,
        "Primary",
        "Europe/Berlin",
        (
            layer(START, [1, 2], position=0),
            layer(START, [3], RotationKind.CUSTOM, hours=12, restrictions=[daily(clock(22), clock(6))], position=1),
        ),
        (override(4, START, START + timedelta(hours=2)),),
    )


def test_good_input_passes() -> None:
    validate_schedule(good_schedule())
    validate_window(START, START + timedelta(days=90))
    assert validate_time_zone("Australia/Lord_Howe") == "Australia/Lord_Howe"


@pytest.mark.parametrize("name", ["Mars/Base", "", "localtime", "europe/berlin", "Europe/Berlin "])
def test_unknown_time_zones(name: str) -> None:
    with refused("timeZone"):
        validate_time_zone(name)


def test_layer_rules() -> None:
    with refused("users"):
        validate_layer(layer(START, []))
    with refused("users"):
        validate_layer(layer(START, list(range(101))))
    with refused("users"):
        validate_layer(layer(START, [1, 2]), inactive_users={2})
    for hours in (None, 0, -5, 24 * 367):
        with refused("rotation.lengthHours"):
            validate_layer(layer(START, [1], RotationKind.CUSTOM, hours=hours))
    with refused("rotation.lengthHours"):
        validate_layer(layer(START, [1], RotationKind.DAILY, hours=12))
    validate_layer(layer(START, [1], RotationKind.WEEKLY, hours=168))
    with refused("rotation.handoffAt"):
        validate_layer(layer(START.replace(tzinfo=None), [1]))
    with refused("layers[1].restrictions"):
        validate_layer(layer(START, [1], restrictions=[daily(clock(1), clock(2))] * 29), prefix="layers[1].")


def test_restriction_windows_must_be_well_formed() -> None:
    with refused("restrictions[0].weekday"):
        validate_restriction(Restriction(RestrictionKind.WEEKLY, clock(9), clock(17)))
    with refused("restrictions[0].weekday"):
        validate_restriction(Restriction(RestrictionKind.DAILY, clock(9), clock(17), weekday=Weekday.MONDAY))
    with refused("restrictions[0].startTime"):
        validate_restriction(daily(clock(9, 0, 30), clock(17)))
    with refused("restrictions[0].endTime"):
        validate_restriction(daily(clock(9), clock(17, tzinfo=START.tzinfo)))
    with refused("layers[0].restrictions[1].endTime"):
        validate_layer(
            layer(
                START,
                [1],
                restrictions=[weekly(Weekday.FRIDAY, clock(18), clock(6)), daily(clock(1), clock(2, 0, 0, 5))],
            ),
            prefix="layers[0].",
        )
    validate_restriction(weekly(Weekday.SUNDAY, clock(23), clock(23)))  # 24 h from Sunday 23:00


def test_override_rules() -> None:
    with refused("end"):
        validate_override(override(1, START, START))
    with refused("end"):
        validate_override(override(1, START, START - timedelta(minutes=1)))
    with refused("end"):
        validate_override(override(1, START, START + timedelta(days=366, seconds=1)))
    validate_override(override(1, START, START + timedelta(days=366)))
    with refused("start"):
        validate_override(override(1, START.replace(tzinfo=None), START))
    with refused("user"):
        validate_override(override(7, START, START + timedelta(hours=1)), inactive_users={7})


def test_schedule_rules() -> None:
    item = good_schedule()
    with refused("name"):
        validate_schedule(Schedule(1, "  ", "UTC"))
    with refused("timeZone"):
        validate_schedule(Schedule(1, "x", "Nowhere/Land"))
    with refused("layers"):
        validate_schedule(Schedule(1, "x", "UTC", (item.layers[0], item.layers[0])))  # same position
    with refused("layers[1].users"):
        validate_schedule(
            Schedule(1, "x", "UTC", (item.layers[0], Layer(9, Rotation(RotationKind.DAILY, START), (), position=4)))
        )
    with refused("overrides[0].end"):
        validate_schedule(Schedule(1, "x", "UTC", (), (override(1, START, START),)))


def test_windows_for_shifts_are_at_most_90_days() -> None:
    with refused("to"):
        validate_window(START, START + timedelta(days=90, microseconds=1))
    with refused("to"):
        validate_window(START, START)
    with refused("from"):
        validate_window(START.replace(tzinfo=None), START)
    with refused("until"):
        validate_window(START, START + timedelta(days=15), longest=timedelta(days=14), fields=("since", "until"))
