"""Escalation policies as pure rules: when the next step of a page falls due, and whom a step
pages and why. No I/O: who is on call comes in as a callable.

Timing. Steps run in `position` order (0, 1, ...). A step's `delay_minutes` is the wait before it
runs, counted from the moment the previous step was reached (for the first step, from the page
opening: 0 pages at once). Every step after the first waits at least a minute. After the last
step a policy with `repeat` > 0 starts again at the first step, up to `repeat` more passes; the
wait before a new pass, and before the page is declared exhausted after the last pass, is the
*pass gap*: the first step's delay if it has one, else the last step's delay, else (a single
step paging at once) 15 minutes. So [0, 15] with repeat 1 pages A at 0, B at 15, A at 30, B at
45, and is exhausted at 60.

A page whose policy changed under it keeps going: a step past the new last step counts as the
last step, and a pass beyond the new `repeat` is the last pass.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

from app.errors import ValidationFailed
from app.oncall.schedule import ScheduleId, Shift, UserId
from app.text import NAME_MAX, single_line

MAX_STEPS = 20
MAX_TARGETS = 20
MAX_REPEAT = 9
MAX_DELAY_MINUTES = 7 * 24 * 60
DEFAULT_PASS_GAP_MINUTES = 15


class TargetKind(str, Enum):
    USER = "USER"
    SCHEDULE = "SCHEDULE"


@dataclass(frozen=True, slots=True)
class EscalationTarget:
    kind: TargetKind
    id: int  # a user id or a schedule id


@dataclass(frozen=True, slots=True)
class EscalationStep:
    position: int
    delay_minutes: int
    targets: tuple[EscalationTarget, ...]

    @property
    def delay(self) -> timedelta:
        return timedelta(minutes=self.delay_minutes)


@dataclass(frozen=True, slots=True)
class EscalationPolicy:
    id: int
    name: str
    steps: tuple[EscalationStep, ...]
    repeat: int = 0
    description: str = ""
    version: int = 1

    @property
    def ordered_steps(self) -> tuple[EscalationStep, ...]:
        return tuple(sorted(self.steps, key=lambda step: step.position))


def validate_policy(policy: EscalationPolicy, *, inactive_users: Collection[UserId] = ()) -> None:
    """Steps numbered 0.. in order, delays within bounds (> 0 after the first), each step with
    1-20 distinct targets and no deactivated user among them, repeat 0-9."""
    single_line(policy.name, field="name", max_length=NAME_MAX)
    if not policy.steps:
        raise ValidationFailed("A policy needs at least one step", field="steps")
    if len(policy.steps) > MAX_STEPS:
        raise ValidationFailed(f"A policy has at most {MAX_STEPS} steps", field="steps")
    if sorted(step.position for step in policy.steps) != list(range(len(policy.steps))):
        raise ValidationFailed("Step positions must be 0, 1, 2... without gaps", field="steps")
    for n, step in enumerate(policy.ordered_steps):
        _validate_step(step, f"steps[{n}]", first=n == 0, inactive_users=inactive_users)
    if not 0 <= policy.repeat <= MAX_REPEAT:
        raise ValidationFailed(f"repeat must be between 0 and {MAX_REPEAT}", field="repeat")


def _validate_step(step: EscalationStep, field: str, *, first: bool, inactive_users: Collection[UserId]) -> None:
    lowest = 0 if first else 1
    if not lowest <= step.delay_minutes <= MAX_DELAY_MINUTES:
        raise ValidationFailed(
            f"delayMinutes must be between {lowest} and {MAX_DELAY_MINUTES}"
            + ("" if first else " (only the first step may page at once)"),
            field=f"{field}.delayMinutes",
        )
    if not step.targets:
        raise ValidationFailed("A step needs at least one target", field=f"{field}.targets")
    if len(step.targets) > MAX_TARGETS:
        raise ValidationFailed(f"A step has at most {MAX_TARGETS} targets", field=f"{field}.targets")
    if len(set(step.targets)) != len(step.targets):
        raise ValidationFailed("A step names the same target twice", field=f"{field}.targets")
    if any(t.kind is TargetKind.USER and t.id in inactive_users for t in step.targets):
        raise ValidationFailed("A step targets a deactivated user", field=f"{field}.targets")


# -- timing --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Escalation:
    """The next step to run: `step` (an index into the ordered steps) of pass `repeat`, at `due`."""

    step: int
    repeat: int
    due: datetime


@dataclass(frozen=True, slots=True)
class Exhausted:
    """No step is left: unacknowledged at `due`, the page is ESCALATION_EXHAUSTED."""

    due: datetime


def pass_gap(policy: EscalationPolicy) -> timedelta:
    """The wait before a new pass starts, or before exhaustion after the last one."""
    steps = policy.ordered_steps
    for step in (steps[0], steps[-1]):
        if step.delay_minutes > 0:
            return step.delay
    return timedelta(minutes=DEFAULT_PASS_GAP_MINUTES)


def first_escalation(policy: EscalationPolicy, opened_at: datetime) -> Escalation:
    """The first step of a page opened at `opened_at`."""
    return Escalation(0, 0, opened_at + policy.ordered_steps[0].delay)


def next_escalation(policy: EscalationPolicy, step: int, repeat: int, reached_at: datetime) -> Escalation | Exhausted:
    """After step `step` of pass `repeat` was reached at `reached_at`: the next step, or exhaustion."""
    steps = policy.ordered_steps
    step = min(step, len(steps) - 1)
    if step + 1 < len(steps):
        return Escalation(step + 1, repeat, reached_at + steps[step + 1].delay)
    if repeat < policy.repeat:
        return Escalation(0, repeat + 1, reached_at + pass_gap(policy))
    return Exhausted(reached_at + pass_gap(policy))


# -- targets to users ----------------------------------------------------------------------------


class Reason(str, Enum):
    DIRECT = "DIRECT"  # the step names the user
    ON_CALL = "ON_CALL"  # the step names a schedule and the user was on call in it
    NOBODY_ON_CALL = "NOBODY_ON_CALL"  # the step names a schedule and nobody was on call in it
    DEACTIVATED = "DEACTIVATED"  # the step names a user who has since been deactivated: not paged


OnCallLookup = Callable[[ScheduleId, datetime], Shift | None]


@dataclass(frozen=True, slots=True)
class Resolution:
    """One target of a step at the moment it ran: whom it gave, and why."""

    target: EscalationTarget
    reason: Reason
    user: UserId | None
    shift: Shift | None = None  # for ON_CALL: the shift that made them the one

    @property
    def pages(self) -> bool:
        return self.reason in (Reason.DIRECT, Reason.ON_CALL)

    def explain(self, user_name: Callable[[UserId], str], schedule_name: Callable[[ScheduleId], str]) -> str:
        """One line for the incident's timeline: why this target did (not) page someone."""
        if self.reason is Reason.DIRECT:
            return f"{user_name(self.target.id)}, named by the step"
        if self.reason is Reason.DEACTIVATED:
            return f"{user_name(self.target.id)}, named by the step, is deactivated and was not paged"
        schedule = schedule_name(self.target.id)
        if self.reason is Reason.NOBODY_ON_CALL or self.user is None:
            return f"{schedule} had nobody on call"
        return f"{schedule} resolved to {user_name(self.user)}, on call"


@dataclass(frozen=True, slots=True)
class StepPlan:
    """What running one step means: each target resolved, and the users to notify."""

    step: int
    repeat: int
    at: datetime
    resolutions: tuple[Resolution, ...]

    @property
    def recipients(self) -> tuple[UserId, ...]:
        """Each user to notify once, in target order, however many targets led to them."""
        seen: dict[UserId, None] = {}
        for resolution in self.resolutions:
            if resolution.pages and resolution.user is not None:
                seen.setdefault(resolution.user)
        return tuple(seen)

    def reasons_for(self, user: UserId) -> tuple[Resolution, ...]:
        return tuple(r for r in self.resolutions if r.pages and r.user == user)

    @property
    def empty_schedules(self) -> tuple[ScheduleId, ...]:
        return tuple(r.target.id for r in self.resolutions if r.reason is Reason.NOBODY_ON_CALL)


def resolve_step(
    policy: EscalationPolicy,
    step: int,
    repeat: int,
    at: datetime,
    on_call: OnCallLookup,
    *,
    inactive_users: Collection[UserId] = (),
) -> StepPlan:
    """Resolve step `step` (clamped to the last) to users at `at`. `on_call(schedule_id, at)` says
    who is on call in a schedule (None: nobody, or no such schedule any more)."""
    steps = policy.ordered_steps
    index = min(step, len(steps) - 1)
    resolutions: list[Resolution] = []
    for target in steps[index].targets:
        if target.kind is TargetKind.USER:
            reason = Reason.DEACTIVATED if target.id in inactive_users else Reason.DIRECT
            resolutions.append(Resolution(target, reason, target.id))
            continue
        shift = on_call(target.id, at)
        if shift is None or shift.user in inactive_users:
            resolutions.append(Resolution(target, Reason.NOBODY_ON_CALL, None))
        else:
            resolutions.append(Resolution(target, Reason.ON_CALL, shift.user, shift))
    return StepPlan(index, repeat, at, tuple(resolutions))
