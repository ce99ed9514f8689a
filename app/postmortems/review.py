"""The postmortem's review flow: submit, approve, return to draft, publish, reopen. Each step
locks the incident then the postmortem, and writes an incident timeline event."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass

from tortoise.backends.base.client import BaseDBAsyncClient

from app import clock
from app.errors import Forbidden, InvalidTransition, PolicyRefused, ValidationFailed
from app.events import Outbox, unit_of_work
from app.identity.policy import Action, Principal, require
from app.ids import to_global_id
from app.incidents import store, timeline
from app.incidents.enums import IncidentStatus, TimelineKind
from app.incidents.lifecycle import is_open
from app.incidents.models import Incident
from app.postmortems import lifecycle
from app.postmortems.common import (
    active_people,
    announce,
    check_can_see,
    check_version,
    locked,
    visible_postmortem_incident,
)
from app.postmortems.enums import PostmortemStatus
from app.postmortems.lifecycle import Step
from app.postmortems.models import ActionItem, Postmortem, PostmortemAuthor, PostmortemReviewer
from app.postmortems.people import add_reviewers
from app.text import multi_line

COMMENT_MAX = 5_000


@dataclass
class _Step:
    outbox: Outbox
    incident: Incident
    postmortem: Postmortem
    target: PostmortemStatus


@contextlib.asynccontextmanager
async def _review(
    actor: Principal, postmortem_id: int, step: Step | None, expected_version: int | None
) -> AsyncIterator[_Step]:
    """One review step's transaction: the incident and the postmortem locked (in that order, as
    everywhere), the version checked and the move planned (`step` None: no status change)."""
    require(actor, Action.RESPOND)
    incident_id = await visible_postmortem_incident(actor, postmortem_id)
    async with unit_of_work() as outbox:
        incident = await store.locked(outbox, incident_id, actor, field="postmortemId")
        postmortem = await locked(outbox, postmortem_id)
        check_version(postmortem, expected_version)
        target = PostmortemStatus(postmortem.status)
        if step is not None:
            planned = lifecycle.plan(target, step)
            if isinstance(planned, lifecycle.Refused):
                raise InvalidTransition(planned.message, field="postmortemId")
            target = planned
        yield _Step(outbox, incident, postmortem, target)


async def _finish(step: _Step, actor: Principal, kind: TimelineKind, message: str, **data: object) -> None:
    """Bump the version, save, record the step on the incident timeline, tell subscribers."""
    postmortem, outbox = step.postmortem, step.outbox
    postmortem.version += 1
    postmortem.updated_at = clock.now()
    await postmortem.save(using_db=outbox.connection)
    await timeline.append(
        outbox,
        step.incident,
        kind,
        actor_id=actor.user_id,
        message=message,
        data={"postmortemId": to_global_id("Postmortem", postmortem.id), "status": postmortem.status.value, **data},
        incident_changed=False,
    )
    await store.save(outbox, step.incident, [])
    announce(outbox, postmortem, actor_id=actor.user_id, sections=["status"])


async def _people(step: _Step) -> tuple[list[int], list[PostmortemReviewer]]:
    conn = step.outbox.connection
    authors = list(
        await PostmortemAuthor.filter(postmortem_id=step.postmortem.id).using_db(conn).values_list("user_id", flat=True)
    )
    reviewers = list(await PostmortemReviewer.filter(postmortem_id=step.postmortem.id).using_db(conn).order_by("id"))
    return authors, reviewers


async def submit(
    *, actor: Principal, postmortem_id: int, reviewer_ids: Sequence[int] = (), expected_version: int | None = None
) -> Postmortem:
    """DRAFT → IN_REVIEW, adding `reviewer_ids` to the reviewers; at least one reviewer who is
    not an author is needed."""
    require(actor, Action.RESPOND)  # before the reviewers are looked up: refusals tell nothing of them
    wanted = await active_people(reviewer_ids, field="reviewerIds")
    if wanted:
        await check_can_see(await visible_postmortem_incident(actor, postmortem_id), wanted, field="reviewerIds")
    async with _review(actor, postmortem_id, Step.SUBMIT, expected_version) as step:
        authors, reviewers = await _people(step)
        if set(wanted) & set(authors):
            raise ValidationFailed("An author cannot review their own postmortem", field="reviewerIds")
        new = [u for u in wanted if u not in {r.user_id for r in reviewers}]
        await add_reviewers(step.outbox, step.postmortem, new)
        if not reviewers and not new:
            raise ValidationFailed("Name at least one reviewer who is not an author", field="reviewerIds")
        step.postmortem.status = step.target
        step.postmortem.submitted_at = clock.now()
        await _finish(step, actor, TimelineKind.POSTMORTEM_SUBMITTED, "Postmortem submitted for review")
    return step.postmortem


async def approve(
    *, actor: Principal, postmortem_id: int, comment: str = "", expected_version: int | None = None
) -> Postmortem:
    """A reviewer approves the current content (an edit after it makes it no longer count)."""
    comment = multi_line(comment, field="comment", max_length=COMMENT_MAX).strip()
    async with _review(actor, postmortem_id, None, expected_version) as step:
        postmortem = step.postmortem
        if postmortem.status is not PostmortemStatus.IN_REVIEW:
            raise InvalidTransition(
                f"Only a postmortem IN_REVIEW can be approved; this one is {postmortem.status.value}",
                field="postmortemId",
            )
        authors, reviewers = await _people(step)
        mine = next((r for r in reviewers if r.user_id == actor.user_id), None)
        if mine is None:
            raise Forbidden("Only a requested reviewer can approve this postmortem", field="postmortemId")
        if actor.user_id in authors:
            raise Forbidden("An author cannot approve their own postmortem", field="postmortemId")
        mine.approved_at = clock.now()
        mine.approved_content_version = postmortem.content_version
        mine.comment = comment
        await mine.save(
            update_fields=["approved_at", "approved_content_version", "comment"], using_db=step.outbox.connection
        )
        await _finish(step, actor, TimelineKind.POSTMORTEM_APPROVED, comment or "Postmortem approved", comment=comment)
    return step.postmortem


async def return_to_draft(
    *, actor: Principal, postmortem_id: int, reason: str = "", expected_version: int | None = None
) -> Postmortem:
    """IN_REVIEW → DRAFT: changes requested, or the review withdrawn."""
    reason = multi_line(reason, field="reason", max_length=COMMENT_MAX).strip()
    async with _review(actor, postmortem_id, Step.RETURN, expected_version) as step:
        step.postmortem.status = step.target
        await _finish(
            step, actor, TimelineKind.POSTMORTEM_RETURNED, reason or "Postmortem returned to draft", reason=reason
        )
    return step.postmortem


async def blockers(postmortem: Postmortem, *, connection: BaseDBAsyncClient | None = None) -> list[lifecycle.Blocker]:
    """Why `postmortem` cannot be published now (empty: it can)."""
    status = await Incident.filter(id=postmortem.incident_id).using_db(connection).values_list("status", flat=True)
    authors = (
        await PostmortemAuthor.filter(postmortem_id=postmortem.id)
        .using_db(connection)
        .values_list("user_id", flat=True)
    )
    reviewers = await PostmortemReviewer.filter(postmortem_id=postmortem.id).using_db(connection)
    items = await ActionItem.filter(postmortem_id=postmortem.id).using_db(connection).count()
    approvals = [lifecycle.Approval(r.user_id, r.approved_content_version) for r in reviewers]
    return lifecycle.publish_blockers(
        status=PostmortemStatus(postmortem.status),
        approvers=lifecycle.counting_approvals(
            approvals, author_ids=authors, content_version=postmortem.content_version
        ),
        action_items=items,
        no_action_items_reason=postmortem.no_action_items_reason,
        incident_open=bool(status) and is_open(IncidentStatus(status[0])),
    )


async def publish(*, actor: Principal, postmortem_id: int, expected_version: int | None = None) -> Postmortem:
    """IN_REVIEW → PUBLISHED: needs a counting approval, and action items or a reason for none.
    The content is frozen from then on."""
    async with _review(actor, postmortem_id, Step.PUBLISH, expected_version) as step:
        postmortem = step.postmortem
        reasons = await blockers(postmortem, connection=step.outbox.connection)
        if reasons:
            raise PolicyRefused("Cannot publish: " + "; ".join(r.message for r in reasons), field=reasons[0].field)
        postmortem.status = step.target
        postmortem.published_at = clock.now()
        postmortem.published_by_id = actor.user_id
        await _finish(step, actor, TimelineKind.POSTMORTEM_PUBLISHED, "Postmortem published")
    return step.postmortem


async def reopen(
    *, actor: Principal, postmortem_id: int, reason: str = "", expected_version: int | None = None
) -> Postmortem:
    """PUBLISHED → DRAFT so the content can change again; earlier approvals no longer count."""
    reason = multi_line(reason, field="reason", max_length=COMMENT_MAX).strip()
    async with _review(actor, postmortem_id, Step.REOPEN, expected_version) as step:
        postmortem = step.postmortem
        postmortem.status = step.target
        postmortem.content_version += 1
        postmortem.published_at = None
        postmortem.published_by_id = None
        await _finish(step, actor, TimelineKind.POSTMORTEM_REOPENED, reason or "Postmortem reopened", reason=reason)
    return step.postmortem


async def move(
    *,
    actor: Principal,
    postmortem_id: int,
    status: PostmortemStatus,
    message: str = "",
    expected_version: int | None = None,
) -> Postmortem:
    """Move to `status` by the one step that leads there (submit, return, publish or reopen),
    with that step's rules; `message` is the reason given to return or reopen."""
    require(actor, Action.RESPOND)
    message = multi_line(message, field="message", max_length=COMMENT_MAX)
    await visible_postmortem_incident(actor, postmortem_id)
    current = await Postmortem.filter(id=postmortem_id).values_list("status", flat=True)
    step = lifecycle.step_to(PostmortemStatus(current[0]), status) if current else None
    if step is None:
        raise InvalidTransition(lifecycle.status_refusal(PostmortemStatus(current[0]), status), field="status")
    if step is Step.SUBMIT:
        return await submit(actor=actor, postmortem_id=postmortem_id, expected_version=expected_version)
    if step is Step.PUBLISH:
        return await publish(actor=actor, postmortem_id=postmortem_id, expected_version=expected_version)
    command = return_to_draft if step is Step.RETURN else reopen
    return await command(actor=actor, postmortem_id=postmortem_id, reason=message, expected_version=expected_version)
