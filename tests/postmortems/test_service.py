"""Postmortem commands on SQLite and PostgreSQL: starting one, the review flow and its errors,
revisions, frozen content, and the incident timeline events they write."""

from __future__ import annotations

import pytest

from app.errors import DomainError, ErrorCode
from app.identity.models import Role
from app.incidents import service as incidents
from app.incidents.enums import IncidentStatus as S
from app.incidents.enums import Severity
from app.incidents.models import TimelineEvent
from app.postmortems import review, service
from app.postmortems.action_items import service as action_items
from app.postmortems.content import Factor, TemplateSection, Why
from app.postmortems.enums import ActionItemKind, FactorCategory, PostmortemStatus, SectionKind
from app.postmortems.models import Postmortem, PostmortemAuthor, PostmortemRevision, PostmortemTimelineEntry
from app.postmortems.service import SectionEdit
from tests.conftest import Actor, make_actor
from tests.postmortems.helpers import approved, in_postmortem, resolved_incident, reviewer


async def error_of(coroutine: object) -> DomainError:
    with pytest.raises(DomainError) as raised:
        await coroutine  # type: ignore[misc]
    return raised.value


async def kinds(incident_id: int) -> list[str]:
    return [e.kind for e in await TimelineEvent.filter(incident_id=incident_id).order_by("sequence")]


async def test_entering_postmortem_starts_one_from_the_default_template(responder: Actor, broker: object) -> None:
    incident, postmortem = await in_postmortem(responder)
    assert postmortem.status is PostmortemStatus.DRAFT and postmortem.version == 1
    assert postmortem.title == f"Postmortem: {incident.reference} Checkout errors"
    keys = [s["key"] for s in postmortem.sections]
    assert keys[:6] == ["summary", "customer_impact", "detection", "response", "recovery", "root_cause"]
    assert {
        "contributing_factors",
        "what_went_well",
        "what_went_wrong",
        "where_we_got_lucky",
        "lessons_learned",
    } <= set(keys)
    assert await PostmortemAuthor.filter(postmortem_id=postmortem.id).values_list("user_id", flat=True) == [
        responder.user_id
    ]
    assert await kinds(incident.id) == ["DECLARED", "STATUS_CHANGED", "STATUS_CHANGED", "POSTMORTEM_CREATED"]
    # The curated timeline starts with the key events so far.
    seeded = await PostmortemTimelineEntry.filter(postmortem_id=postmortem.id).count()
    assert seeded == 3
    # Leaving and entering again does not start a second one.
    assert await Postmortem.filter(incident_id=incident.id).count() == 1


async def test_create_on_demand_once_per_incident(responder: Actor, admin: Actor, broker: object) -> None:
    incident = await incidents.declare_incident(actor=responder.principal, title="Slow search", severity=Severity.SEV3)
    template = await service.create_template(
        actor=admin.principal,
        name="Light",
        sections=[
            TemplateSection("summary", "Summary", SectionKind.TEXT),
            TemplateSection("why", "Why", SectionKind.FIVE_WHYS),
        ],
    )
    postmortem = await service.create_postmortem(
        actor=responder.principal, incident_id=incident.id, template_id=template.id
    )
    assert [s["key"] for s in postmortem.sections] == ["summary", "why"] and postmortem.template_id == template.id
    again = await error_of(service.create_postmortem(actor=responder.principal, incident_id=incident.id))
    assert (again.code, again.field) == (ErrorCode.CONFLICT, "incidentId")
    # Moving to POSTMORTEM later keeps the one that exists.
    await incidents.update_status(actor=responder.principal, incident_id=incident.id, status=S.RESOLVED)
    await incidents.update_status(actor=responder.principal, incident_id=incident.id, status=S.POSTMORTEM)
    assert await Postmortem.filter(incident_id=incident.id).count() == 1
    other = await incidents.declare_incident(actor=responder.principal, title="Other", severity=Severity.SEV3)
    missing = await error_of(
        service.create_postmortem(actor=responder.principal, incident_id=other.id, template_id=template.id + 99)
    )
    assert (missing.code, missing.field) == (ErrorCode.NOT_FOUND, "templateId")
    assert await Postmortem.filter(incident_id=other.id).count() == 0


async def test_status_flow_and_its_errors(responder: Actor, broker: object) -> None:
    incident, postmortem = await in_postmortem(responder)
    peer = await reviewer()
    pid = postmortem.id
    no_reviewer = await error_of(review.submit(actor=responder.principal, postmortem_id=pid))
    assert (no_reviewer.code, no_reviewer.field) == (ErrorCode.VALIDATION, "reviewerIds")
    for refused in (
        review.publish(actor=responder.principal, postmortem_id=pid),
        review.return_to_draft(actor=responder.principal, postmortem_id=pid),
        review.reopen(actor=responder.principal, postmortem_id=pid),
    ):
        error = await error_of(refused)
        assert error.code is ErrorCode.INVALID_TRANSITION and "DRAFT" in error.message and "IN_REVIEW" in error.message
    early = await error_of(review.approve(actor=peer.principal, postmortem_id=pid))
    assert early.code is ErrorCode.INVALID_TRANSITION

    submitted = await review.submit(
        actor=responder.principal, postmortem_id=pid, reviewer_ids=[peer.user_id], expected_version=1
    )
    assert submitted.status is PostmortemStatus.IN_REVIEW and submitted.version == 2 and submitted.submitted_at
    stale = await error_of(review.return_to_draft(actor=responder.principal, postmortem_id=pid, expected_version=1))
    assert (stale.code, stale.field) == (ErrorCode.VERSION_CONFLICT, "expectedVersion")
    returned = await review.return_to_draft(actor=peer.principal, postmortem_id=pid, reason="Add the customer impact")
    assert returned.status is PostmortemStatus.DRAFT
    await review.submit(actor=responder.principal, postmortem_id=pid)  # the reviewer is still there
    await review.approve(actor=peer.principal, postmortem_id=pid)
    await service.update_postmortem(
        actor=responder.principal, postmortem_id=pid, no_action_items_reason="Fixed by the vendor"
    )
    # The edit came after the approval: it no longer counts.
    stale_approval = await error_of(review.publish(actor=responder.principal, postmortem_id=pid))
    assert stale_approval.code is ErrorCode.POLICY and "approval" in stale_approval.message
    await review.approve(actor=peer.principal, postmortem_id=pid)
    published = await review.publish(actor=responder.principal, postmortem_id=pid)
    assert published.status is PostmortemStatus.PUBLISHED and published.published_by_id == responder.user_id
    twice = await error_of(review.publish(actor=responder.principal, postmortem_id=pid))
    assert twice.code is ErrorCode.INVALID_TRANSITION and "PUBLISHED" in twice.message
    reopened = await review.reopen(actor=responder.principal, postmortem_id=pid, reason="New findings")
    assert reopened.status is PostmortemStatus.DRAFT and reopened.published_at is None
    assert await kinds(incident.id) == [
        "DECLARED",
        "STATUS_CHANGED",
        "STATUS_CHANGED",
        "POSTMORTEM_CREATED",
        "POSTMORTEM_SUBMITTED",
        "POSTMORTEM_RETURNED",
        "POSTMORTEM_SUBMITTED",
        "POSTMORTEM_APPROVED",
        "POSTMORTEM_APPROVED",
        "POSTMORTEM_PUBLISHED",
        "POSTMORTEM_REOPENED",
    ]
    events = await TimelineEvent.filter(incident_id=incident.id).order_by("sequence")
    assert events[5].message == "Add the customer impact" and events[5].actor_id == peer.user_id
    assert events[-1].data["status"] == "DRAFT" and events[-1].data["reason"] == "New findings"


async def test_publishing_needs_a_reviewer_other_than_the_author(responder: Actor, broker: object) -> None:
    _, postmortem = await in_postmortem(responder)
    peer = await reviewer()
    pid = postmortem.id
    own = await error_of(review.submit(actor=responder.principal, postmortem_id=pid, reviewer_ids=[responder.user_id]))
    assert (own.code, own.field) == (ErrorCode.VALIDATION, "reviewerIds")
    both = await error_of(
        service.update_postmortem(
            actor=responder.principal,
            postmortem_id=pid,
            author_ids=[responder.user_id, peer.user_id],
            reviewer_ids=[peer.user_id],
        )
    )
    assert (both.code, both.field) == (ErrorCode.VALIDATION, "reviewerIds")
    await review.submit(actor=responder.principal, postmortem_id=pid, reviewer_ids=[peer.user_id])
    not_reviewer = await error_of(review.approve(actor=responder.principal, postmortem_id=pid))
    assert not_reviewer.code is ErrorCode.FORBIDDEN
    outsider = await make_actor(Role.RESPONDER)
    assert (await error_of(review.approve(actor=outsider.principal, postmortem_id=pid))).code is ErrorCode.FORBIDDEN
    unapproved = await error_of(review.publish(actor=responder.principal, postmortem_id=pid))
    assert unapproved.code is ErrorCode.POLICY and "reviewer who is not an author" in unapproved.message
    await review.approve(actor=peer.principal, postmortem_id=pid)
    # No action items and no reason: refused, naming the field to fill.
    bare = await error_of(review.publish(actor=responder.principal, postmortem_id=pid))
    assert (bare.code, bare.field) == (ErrorCode.POLICY, "noActionItemsReason")
    await action_items.create_action_item(
        actor=responder.principal,
        incident_id=postmortem.incident_id,
        postmortem_id=pid,
        title="Alert on queue depth",
        kind=ActionItemKind.DETECT,
    )
    assert (await review.publish(actor=peer.principal, postmortem_id=pid)).status is PostmortemStatus.PUBLISHED


async def test_viewers_read_only(responder: Actor, viewer: Actor, broker: object) -> None:
    _, postmortem = await in_postmortem(responder)
    for attempt in (
        service.update_postmortem(actor=viewer.principal, postmortem_id=postmortem.id, title="Mine"),
        review.submit(actor=viewer.principal, postmortem_id=postmortem.id),
        # Refused before the reviewers are looked up (an unknown one is not a NOT_FOUND here).
        review.submit(actor=viewer.principal, postmortem_id=postmortem.id, reviewer_ids=[viewer.user_id + 1000]),
        service.create_template(
            actor=responder.principal, name="T", sections=[TemplateSection("a", "A", SectionKind.TEXT)]
        ),
    ):
        assert (await error_of(attempt)).code is ErrorCode.FORBIDDEN
    as_viewer = await error_of(
        service.update_postmortem(actor=responder.principal, postmortem_id=postmortem.id, reviewer_ids=[viewer.user_id])
    )
    assert (as_viewer.code, as_viewer.field) == (ErrorCode.VALIDATION, "reviewerIds")


async def test_edits_are_revisions_and_versions_guard_them(responder: Actor, broker: object) -> None:
    _, postmortem = await in_postmortem(responder)
    colleague = await make_actor(Role.RESPONDER)
    pid = postmortem.id
    edited = await service.update_postmortem(
        actor=responder.principal,
        postmortem_id=pid,
        expected_version=1,
        sections=[
            SectionEdit("summary", "Checkout failed for **12%** of orders."),
            SectionEdit("detection", "An alert fired."),
        ],
        whys=[Why("Why did checkout fail?", "The payments client timed out."), Why("Why did it time out?", "")],
        contributing_factors=[Factor(FactorCategory.TECHNOLOGY, "No timeout budget on the client")],
    )
    assert edited.version == 2 and edited.content_version == 2
    assert next(s for s in edited.sections if s["key"] == "summary")["body"] == "Checkout failed for **12%** of orders."
    assert edited.whys[1] == {"question": "Why did it time out?", "answer": ""}
    stale = await error_of(
        service.update_postmortem(actor=colleague.principal, postmortem_id=pid, expected_version=1, title="Other")
    )
    assert (stale.code, stale.field) == (ErrorCode.VERSION_CONFLICT, "expectedVersion")
    same = await service.update_postmortem(
        actor=colleague.principal,
        postmortem_id=pid,
        sections=[SectionEdit("summary", "Checkout failed for **12%** of orders.")],
    )
    assert same.version == 2  # nothing changed, nothing recorded
    await service.update_postmortem(
        actor=colleague.principal,
        postmortem_id=pid,
        expected_version=2,
        sections=[SectionEdit("summary", "Checkout failed.")],
    )
    revisions = await PostmortemRevision.filter(postmortem_id=pid).order_by("id")
    assert [(r.version, r.section, r.actor_id) for r in revisions] == [
        (2, "summary", responder.user_id),
        (2, "detection", responder.user_id),
        (2, "whys", responder.user_id),
        (2, "contributingFactors", responder.user_id),
        (3, "summary", colleague.user_id),
    ]
    assert (revisions[-1].before, revisions[-1].after) == (
        {"value": "Checkout failed for **12%** of orders."},
        {"value": "Checkout failed."},
    )
    assert revisions[3].after == {
        "value": [{"category": "TECHNOLOGY", "description": "No timeout budget on the client"}]
    }
    unknown = await error_of(
        service.update_postmortem(actor=responder.principal, postmortem_id=pid, sections=[SectionEdit("nope", "x")])
    )
    assert (unknown.code, unknown.field) == (ErrorCode.VALIDATION, "sections")
    blank_why = await error_of(
        service.update_postmortem(actor=responder.principal, postmortem_id=pid, whys=[Why(" ", "a")])
    )
    assert (blank_why.code, blank_why.field) == (ErrorCode.VALIDATION, "whys")
    too_long = await error_of(
        service.update_postmortem(
            actor=responder.principal, postmortem_id=pid, sections=[SectionEdit("summary", "x" * 20_001)]
        )
    )
    assert too_long.field == "sections"
    assert (await Postmortem.get(id=pid)).version == 3


async def test_publishing_freezes_content_until_reopened(responder: Actor, broker: object) -> None:
    _, postmortem = await in_postmortem(responder)
    peer = await reviewer()
    await service.update_postmortem(
        actor=responder.principal,
        postmortem_id=postmortem.id,
        no_action_items_reason="Vendor outage; nothing of ours to change",
    )
    await approved(responder, postmortem, peer)
    await review.publish(actor=responder.principal, postmortem_id=postmortem.id)
    frozen = await error_of(
        service.update_postmortem(actor=responder.principal, postmortem_id=postmortem.id, title="Changed")
    )
    assert frozen.code is ErrorCode.CONFLICT and "reopen" in frozen.message
    event = await TimelineEvent.filter(incident_id=postmortem.incident_id, kind="DECLARED").first()
    from app.postmortems import curation

    assert (
        await error_of(
            curation.highlight_event(actor=responder.principal, postmortem_id=postmortem.id, event_id=event.id)
        )
    ).code is ErrorCode.CONFLICT  # type: ignore[union-attr]
    await review.reopen(actor=responder.principal, postmortem_id=postmortem.id)
    changed = await service.update_postmortem(actor=responder.principal, postmortem_id=postmortem.id, title="Changed")
    assert changed.title == "Changed"
    # Reopening invalidated the approval: it takes a new review to publish again.
    await review.submit(actor=responder.principal, postmortem_id=postmortem.id)
    assert (
        await error_of(review.publish(actor=responder.principal, postmortem_id=postmortem.id))
    ).code is ErrorCode.POLICY


async def test_publishing_waits_for_the_incident_to_be_resolved(responder: Actor, broker: object) -> None:
    incident = await incidents.declare_incident(actor=responder.principal, title="Ongoing", severity=Severity.SEV3)
    postmortem = await service.create_postmortem(actor=responder.principal, incident_id=incident.id)
    peer = await reviewer()
    await service.update_postmortem(
        actor=responder.principal, postmortem_id=postmortem.id, no_action_items_reason="None needed"
    )
    await approved(responder, postmortem, peer)
    refused = await error_of(review.publish(actor=responder.principal, postmortem_id=postmortem.id))
    assert refused.code is ErrorCode.POLICY and "still open" in refused.message


async def test_templates(admin: Actor, responder: Actor, broker: object) -> None:
    bad = [
        [],
        [TemplateSection("Summary", "S", SectionKind.TEXT)],
        [TemplateSection("a", "A", SectionKind.TEXT), TemplateSection("a", "B", SectionKind.TEXT)],
        [TemplateSection("w1", "A", SectionKind.FIVE_WHYS), TemplateSection("w2", "B", SectionKind.FIVE_WHYS)],
        [TemplateSection("title", "Title", SectionKind.TEXT)],
    ]
    for sections in bad:
        error = await error_of(service.create_template(actor=admin.principal, name="Bad", sections=sections))
        assert (error.code, error.field) == (ErrorCode.VALIDATION, "sections")
    custom = await service.create_template(
        actor=admin.principal,
        name="Security",
        sections=[TemplateSection("exposure", "Data exposure", SectionKind.TEXT, "What data, whose")],
        is_default=True,
    )
    duplicate = await error_of(
        service.create_template(
            actor=admin.principal, name="Security", sections=[TemplateSection("a", "A", SectionKind.TEXT)]
        )
    )
    assert duplicate.code is ErrorCode.CONFLICT
    incident = await resolved_incident(responder, Severity.SEV3)
    postmortem = await service.create_postmortem(actor=responder.principal, incident_id=incident.id)
    assert postmortem.template_id == custom.id and postmortem.sections[0]["guidance"] == "What data, whose"
    no_whys = await error_of(
        service.update_postmortem(actor=responder.principal, postmortem_id=postmortem.id, whys=[Why("Why?", "")])
    )
    assert (no_whys.code, no_whys.field) == (ErrorCode.VALIDATION, "whys")


async def test_people_on_a_private_incident_must_be_able_to_see_it(responder: Actor, broker: object) -> None:
    from app.incidents import access

    _, postmortem = await in_postmortem(responder, private=True)
    peer = await reviewer()
    for attempt, field in (
        (
            service.update_postmortem(
                actor=responder.principal, postmortem_id=postmortem.id, reviewer_ids=[peer.user_id]
            ),
            "reviewerIds",
        ),
        (
            service.update_postmortem(
                actor=responder.principal, postmortem_id=postmortem.id, author_ids=[responder.user_id, peer.user_id]
            ),
            "authorIds",
        ),
        (
            review.submit(actor=responder.principal, postmortem_id=postmortem.id, reviewer_ids=[peer.user_id]),
            "reviewerIds",
        ),
    ):
        error = await error_of(attempt)
        assert (error.code, error.field) == (ErrorCode.VALIDATION, field) and "member" in error.message
    await access.add_member(actor=responder.principal, incident_id=postmortem.incident_id, user_id=peer.user_id)
    submitted = await review.submit(actor=responder.principal, postmortem_id=postmortem.id, reviewer_ids=[peer.user_id])
    assert submitted.status is PostmortemStatus.IN_REVIEW
    assert (await review.approve(actor=peer.principal, postmortem_id=postmortem.id)).version == submitted.version + 1
