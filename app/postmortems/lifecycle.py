"""Postmortem and action item status flows as explicit transition tables, and the rules for
publishing. Pure: no I/O, no framework imports."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum

from app.postmortems.enums import ActionItemStatus, PostmortemStatus

P = PostmortemStatus


class Step(str, Enum):
    """The named moves of a postmortem; each is one command."""

    SUBMIT = "submit"  # DRAFT -> IN_REVIEW
    RETURN = "return"  # IN_REVIEW -> DRAFT (changes requested, or withdrawn)
    PUBLISH = "publish"  # IN_REVIEW -> PUBLISHED
    REOPEN = "reopen"  # PUBLISHED -> DRAFT


# Every allowed move, and nothing else.
TRANSITIONS: dict[PostmortemStatus, dict[Step, PostmortemStatus]] = {
    P.DRAFT: {Step.SUBMIT: P.IN_REVIEW},
    P.IN_REVIEW: {Step.RETURN: P.DRAFT, Step.PUBLISH: P.PUBLISHED},
    P.PUBLISHED: {Step.REOPEN: P.DRAFT},
}

# Content (sections, 5 whys, factors, timeline, people) may change only in these statuses.
EDITABLE: frozenset[PostmortemStatus] = frozenset({P.DRAFT, P.IN_REVIEW})


def allowed_targets(current: PostmortemStatus) -> list[PostmortemStatus]:
    targets = set(TRANSITIONS[current].values())
    return [status for status in PostmortemStatus if status in targets]


@dataclass(frozen=True)
class Refused:
    current: PostmortemStatus
    step: Step

    @property
    def message(self) -> str:
        allowed = ", ".join(f"{s.value} ({t.value})" for s, t in TRANSITIONS[self.current].items())
        return (
            f"Cannot {self.step.value} a postmortem that is {self.current.value}; "
            f"allowed from {self.current.value}: {allowed}"
        )


def plan(current: PostmortemStatus, step: Step) -> PostmortemStatus | Refused:
    """The status `step` leads to from `current`, or why it is refused."""
    target = TRANSITIONS[current].get(step)
    return Refused(current, step) if target is None else target


def step_to(current: PostmortemStatus, target: PostmortemStatus) -> Step | None:
    """The move that takes `current` to `target`, if there is one."""
    return next((step for step, to in TRANSITIONS[current].items() if to is target), None)


def status_refusal(current: PostmortemStatus, target: PostmortemStatus) -> str:
    allowed = ", ".join(s.value for s in allowed_targets(current)) or "none"
    return f"Cannot move a postmortem from {current.value} to {target.value}; allowed from {current.value}: {allowed}"


@dataclass(frozen=True)
class Approval:
    reviewer_id: int
    content_version: int | None


def counting_approvals(approvals: Iterable[Approval], *, author_ids: Iterable[int], content_version: int) -> list[int]:
    """Reviewers whose approval counts: given on the current content, by someone who is not an author."""
    authors = set(author_ids)
    return [a.reviewer_id for a in approvals if a.content_version == content_version and a.reviewer_id not in authors]


@dataclass(frozen=True)
class Blocker:
    field: str
    message: str


def publish_blockers(
    *,
    status: PostmortemStatus,
    approvers: list[int],
    action_items: int,
    no_action_items_reason: str,
    incident_open: bool = False,
) -> list[Blocker]:
    """Why the postmortem cannot be published now (empty: it can), each naming the input to fix."""
    blockers = []
    if status is not P.IN_REVIEW:
        blockers.append(Blocker("postmortemId", f"the postmortem is {status.value}; submit it for review first"))
    if incident_open:
        blockers.append(Blocker("postmortemId", "the incident is still open; resolve it first"))
    if not approvers:
        blockers.append(
            Blocker("postmortemId", "it needs an approval of its current content by a reviewer who is not an author")
        )
    if action_items == 0 and not no_action_items_reason.strip():
        blockers.append(
            Blocker(
                "noActionItemsReason",
                "it needs at least one action item, or a reason why there are none (noActionItemsReason)",
            )
        )
    return blockers


A = ActionItemStatus

# Action items: open work may start, finish or be dropped; finished work may be reopened.
ACTION_ITEM_TRANSITIONS: dict[ActionItemStatus, frozenset[ActionItemStatus]] = {
    A.OPEN: frozenset({A.IN_PROGRESS, A.DONE, A.WONT_DO}),
    A.IN_PROGRESS: frozenset({A.OPEN, A.DONE, A.WONT_DO}),
    A.DONE: frozenset({A.OPEN}),
    A.WONT_DO: frozenset({A.OPEN}),
}

CLOSED_ACTION_ITEM_STATUSES: frozenset[ActionItemStatus] = frozenset({A.DONE, A.WONT_DO})


def action_item_refusal(current: ActionItemStatus, target: ActionItemStatus) -> str | None:
    """None when an action item may move from `current` to `target`, else why not."""
    if target in ACTION_ITEM_TRANSITIONS[current]:
        return None
    allowed = ", ".join(s.value for s in ActionItemStatus if s in ACTION_ITEM_TRANSITIONS[current])
    return f"Cannot move an action item from {current.value} to {target.value}; allowed from {current.value}: {allowed}"
