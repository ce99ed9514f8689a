"""Escalation timing, policy validation, and resolving a step's targets to users with reasons."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from datetime import time as clock

import pytest

from app.errors import ErrorCode, ValidationFailed
from app.oncall.calculator import Calculator
from app.oncall.escalation import (
    Escalation,
    EscalationPolicy,
    EscalationStep,
    EscalationTarget,
    Exhausted,
    Reason,
    TargetKind,
    first_escalation,
    next_escalation,
    pass_gap,
    resolve_step,
    validate_policy,
)
from app.oncall.schedule import Shift
from tests.oncall.support import daily, layer, override, schedule, utc

OPENED = utc(2026, 3, 29, 0, 50)  # ten minutes before Berlin springs forward
MIN = timedelta(minutes=1)


def user(n: int) -> EscalationTarget:
    return EscalationTarget(TargetKind.USER, n)


def on(n: int) -> EscalationTarget:
    return EscalationTarget(TargetKind.SCHEDULE, n)


def policy(delays: list[int], repeat: int = 0, targets: list[list[EscalationTarget]] | None = None) -> EscalationPolicy:
    targets = targets or [[user(n + 1)] for n in range(len(delays))]
    steps = tuple(EscalationStep(n, d, tuple(t)) for n, (d, t) in enumerate(zip(delays, targets, strict=True)))
    return EscalationPolicy(1, "Primary", steps, repeat)


def run(item: EscalationPolicy, reached_late: timedelta = timedelta(0)) -> list[tuple[str, int, int, int]]:
    """Every step (or exhaustion) of a page nobody acknowledges, as minutes since opening."""
    out: list[tuple[str, int, int, int]] = []
    current: Escalation | Exhausted = first_escalation(item, OPENED)
    while isinstance(current, Escalation):
        out.append(("step", current.step, current.repeat, (current.due - OPENED) // MIN))
        current = next_escalation(item, current.step, current.repeat, current.due + reached_late)
    out.append(("exhausted", -1, -1, (current.due - OPENED) // MIN))
    return out


def test_steps_repeat_and_exhaust_on_the_documented_timetable() -> None:
    assert run(policy([0, 15], repeat=1)) == [
        ("step", 0, 0, 0),
        ("step", 1, 0, 15),
        ("step", 0, 1, 30),  # pass gap: the last step's delay, as the first pages at once
        ("step", 1, 1, 45),
        ("exhausted", -1, -1, 60),
    ]
    assert run(policy([5, 10, 10], repeat=1)) == [
        ("step", 0, 0, 5),
        ("step", 1, 0, 15),
        ("step", 2, 0, 25),
        ("step", 0, 1, 30),  # pass gap: the first step's own delay
        ("step", 1, 1, 40),
        ("step", 2, 1, 50),
        ("exhausted", -1, -1, 55),
    ]
    assert run(policy([0], repeat=2)) == [
        ("step", 0, 0, 0),
        ("step", 0, 1, 15),  # a single step paging at once repeats every 15 minutes
        ("step", 0, 2, 30),
        ("exhausted", -1, -1, 45),
    ]
    assert len(run(policy([1], repeat=9))) == 11


def test_the_next_step_counts_from_when_the_last_one_was_really_reached() -> None:
    assert run(policy([0, 15, 15]), reached_late=2 * MIN) == [
        ("step", 0, 0, 0),
        ("step", 1, 0, 17),
        ("step", 2, 0, 34),
        ("exhausted", -1, -1, 51),
    ]


def test_a_policy_changed_under_a_page_keeps_it_going() -> None:
    shorter = policy([0, 10], repeat=0)
    # The page was at step 4 of pass 3 under the old policy: the last step, the last pass.
    assert next_escalation(shorter, 4, 3, OPENED) == Exhausted(OPENED + 10 * MIN)
    assert next_escalation(policy([0, 10], repeat=5), 4, 3, OPENED) == Escalation(0, 4, OPENED + 10 * MIN)
    assert pass_gap(policy([3, 10])) == 3 * MIN


@contextmanager
def refused(field: str) -> Iterator[None]:
    with pytest.raises(ValidationFailed) as caught:
        yield
    assert caught.value.code is ErrorCode.VALIDATION and caught.value.field == field


def test_policy_validation() -> None:
    validate_policy(policy([0, 1, 10080], repeat=9))
    with refused("steps"):
        validate_policy(EscalationPolicy(1, "x", ()))
    with refused("steps[1].delayMinutes"):
        validate_policy(policy([0, 0]))
    with refused("steps[0].delayMinutes"):
        validate_policy(policy([-1]))
    with refused("steps[0].delayMinutes"):
        validate_policy(policy([10081]))
    with refused("repeat"):
        validate_policy(policy([0], repeat=10))
    with refused("repeat"):
        validate_policy(policy([0], repeat=-1))
    with refused("steps[0].targets"):
        validate_policy(policy([0], targets=[[]]))
    with refused("steps[0].targets"):
        validate_policy(policy([0], targets=[[user(1), user(1)]]))
    with refused("steps[0].targets"):
        validate_policy(policy([0], targets=[[user(n) for n in range(21)]]))
    with refused("steps[1].targets"):
        validate_policy(policy([0, 5], targets=[[user(1)], [on(3), user(2)]]), inactive_users={2})
    gap = EscalationPolicy(1, "x", (EscalationStep(0, 0, (user(1),)), EscalationStep(2, 5, (user(2),))))
    with refused("steps"):
        validate_policy(gap)
    with refused("name"):
        validate_policy(EscalationPolicy(1, "", policy([0]).steps))


def test_a_step_resolves_users_and_schedules_at_the_instant_it_runs_saying_why() -> None:
    berlin = "Europe/Berlin"
    primary = schedule(berlin, [layer(utc(2026, 3, 1, 8), [10, 11])])  # daily 09:00 CET
    nights = schedule(berlin, [layer(utc(2026, 3, 1), [12], restrictions=[daily(clock(22), clock(2))])])
    covered = schedule(berlin, [layer(utc(2026, 3, 1, 8), [13])], [override(10, OPENED, OPENED + 60 * MIN)])
    schedules = {1: primary, 2: nights, 3: covered}

    def who(schedule_id: int, at: datetime) -> Shift | None:
        found = schedules.get(schedule_id)
        return None if found is None else Calculator(found, inactive_users={99}).on_call(at)

    item = policy([0], targets=[[on(1), on(2), user(10), on(3), user(99), on(404)]])
    plan = resolve_step(item, 0, 0, OPENED, who, inactive_users={99})
    assert [(r.target.id, r.reason, r.user) for r in plan.resolutions] == [
        (1, Reason.ON_CALL, 11),  # 28 March 09:00 CET to 29 March 09:00 CEST: user 11's turn
        (2, Reason.ON_CALL, 12),  # 01:50 CET is inside 22:00-02:00
        (10, Reason.DIRECT, 10),
        (3, Reason.ON_CALL, 10),  # by an override in schedule 3
        (99, Reason.DEACTIVATED, 99),
        (404, Reason.NOBODY_ON_CALL, None),  # a schedule that no longer exists
    ]
    assert plan.recipients == (11, 12, 10)
    # Twenty minutes later it is 03:10 CEST: the night window closed at "02:00", i.e. 03:00 CEST.
    later = resolve_step(item, 0, 1, OPENED + 20 * MIN, who, inactive_users={99})
    assert later.resolutions[1].reason is Reason.NOBODY_ON_CALL and later.recipients == (11, 10)
    assert later.empty_schedules == (2, 404)
    assert [r.reason for r in plan.reasons_for(10)] == [Reason.DIRECT, Reason.ON_CALL]  # paged once, two reasons
    first = plan.resolutions[0]
    assert first.shift is not None and first.shift.start == utc(2026, 3, 28, 8)
    names = {10: "Ada", 11: "Cy", 99: "Bob"}.__getitem__
    schedule_names = {1: "Primary", 2: "Nights", 3: "Covered", 404: "Old"}.__getitem__
    assert first.explain(names, schedule_names) == "Primary resolved to Cy, on call"
    assert (
        plan.resolutions[4].explain(names, schedule_names) == "Bob, named by the step, is deactivated and was not paged"
    )
    assert plan.resolutions[5].explain(names, schedule_names) == "Old had nobody on call"
    assert plan.resolutions[2].explain(names, schedule_names) == "Ada, named by the step"
