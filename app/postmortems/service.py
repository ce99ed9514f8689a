"""Postmortem commands: templates, starting a postmortem, and editing its content and people.
Each owns its transaction; the review flow is in `review.py`, the curated timeline in
`curation.py`, action items in `action_items.py`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from app import clock
from app.errors import Conflict, InvalidTransition, NotFound, ValidationFailed
from app.events import Outbox, unit_of_work
from app.identity.policy import Action, Principal, require
from app.ids import to_global_id
from app.incidents import store, timeline
from app.incidents.enums import TimelineKind
from app.incidents.lifecycle import IncidentStatus
from app.incidents.models import Incident, TimelineEvent
from app.postmortems import content
from app.postmortems.common import (
    UNSET,
    Changes,
    active_people,
    check_can_see,
    check_editable,
    check_version,
    commit_changes,
    locked,
    user_gids,
    visible_incident,
    visible_postmortem_incident,
)
from app.postmortems.content import Factor, TemplateSection, Why
from app.postmortems.enums import PostmortemStatus, SectionKind
from app.postmortems.models import (
    Postmortem,
    PostmortemAuthor,
    PostmortemReviewer,
    PostmortemTemplate,
    PostmortemTimelineEntry,
)
from app.text import multi_line, single_line

REASON_MAX = 2_000
# Incident events a new postmortem's curated timeline starts with (authors prune or add).
KEY_EVENT_KINDS = (
    TimelineKind.DECLARED,
    TimelineKind.STATUS_CHANGED,
    TimelineKind.SEVERITY_CHANGED,
    TimelineKind.MERGED,
    TimelineKind.INCIDENT_MERGED_IN,
)


async def create_template(
    *,
    actor: Principal,
    name: str,
    sections: Sequence[TemplateSection],
    description: str = "",
    is_default: bool = False,
) -> PostmortemTemplate:
    """Admin: add a template; `is_default` makes new postmortems use it when none is named."""
    require(actor, Action.ADMIN)
    name = single_line(name, field="name", max_length=100)
    description = multi_line(description, field="description", max_length=content.GUIDANCE_MAX)
    stored = content.check_template_sections(sections)
    async with unit_of_work() as outbox:
        await default_template(outbox)  # the built-in one keeps its name
        if await PostmortemTemplate.filter(name=name).using_db(outbox.connection).exists():
            raise Conflict(f"A template named {name!r} already exists", field="name")
        if is_default:
            await PostmortemTemplate.filter(is_default=True).using_db(outbox.connection).update(is_default=False)
        return await PostmortemTemplate.create(
            name=name,
            description=description,
            sections=stored,
            is_default=is_default,
            created_by_id=actor.user_id,
            created_at=clock.now(),
            using_db=outbox.connection,
        )


async def update_template(
    *,
    actor: Principal,
    template_id: int,
    name: str | None = UNSET,
    description: str | None = UNSET,
    sections: Sequence[TemplateSection] | None = UNSET,
    is_default: bool | None = UNSET,
) -> PostmortemTemplate:
    """Admin: change a template. Postmortems already started keep the sections they copied."""
    require(actor, Action.ADMIN)
    async with unit_of_work() as outbox:
        template = (
            await PostmortemTemplate.filter(id=template_id).using_db(outbox.connection).select_for_update().first()
        )
        if template is None:
            raise NotFound("Template not found", field="templateId")
        if name not in (UNSET, None):
            name = single_line(name, field="name", max_length=100)
            if name != template.name:
                if await PostmortemTemplate.filter(name=name).using_db(outbox.connection).exists():
                    raise Conflict(f"A template named {name!r} already exists", field="name")
                template.name = name
        if description not in (UNSET, None):
            template.description = multi_line(description, field="description", max_length=content.GUIDANCE_MAX)
        if sections not in (UNSET, None):
            template.sections = content.check_template_sections(sections)
        if is_default is True and not template.is_default:
            await PostmortemTemplate.filter(is_default=True).using_db(outbox.connection).update(is_default=False)
            template.is_default = True
        elif is_default is False and template.is_default:
            raise ValidationFailed("Make another template the default instead", field="isDefault")
        await template.save(using_db=outbox.connection)
    return template


async def default_template(outbox: Outbox) -> PostmortemTemplate:
    """The template marked default; the built-in one, created on first use, when none is."""
    conn = outbox.connection
    template = await PostmortemTemplate.filter(is_default=True).using_db(conn).order_by("id").first()
    template = template or await PostmortemTemplate.filter(builtin=True).using_db(conn).first()
    if template is not None:
        return template
    try:
        async with in_transaction() as savepoint:
            return await PostmortemTemplate.create(
                name=content.DEFAULT_TEMPLATE_NAME,
                description=content.DEFAULT_TEMPLATE_DESCRIPTION,
                sections=list(content.DEFAULT_SECTIONS),
                is_default=True,
                builtin=True,
                created_at=clock.now(),
                using_db=savepoint,
            )
    except IntegrityError:
        raise Conflict(f"The template name {content.DEFAULT_TEMPLATE_NAME!r} is taken by another template") from None


async def create_postmortem(*, actor: Principal, incident_id: int, template_id: int | None = None) -> Postmortem:
    """Start the incident's postmortem (one per incident), from a template or the default one."""
    require(actor, Action.RESPOND)
    await visible_incident(actor, incident_id)
    async with unit_of_work() as outbox:
        incident = await store.locked(outbox, incident_id, actor)
        if incident.status in (IncidentStatus.DECLINED, IncidentStatus.MERGED):
            raise InvalidTransition(
                f"{incident.reference} is {incident.status.value}: it gets no postmortem", field="incidentId"
            )
        if await Postmortem.filter(incident_id=incident.id).using_db(outbox.connection).exists():
            raise Conflict(f"{incident.reference} already has a postmortem", field="incidentId")
        if template_id is None:
            template = await default_template(outbox)
        else:
            template = await PostmortemTemplate.filter(id=template_id).using_db(outbox.connection).first()
            if template is None:
                raise NotFound("Template not found", field="templateId")
        postmortem = await open_postmortem(outbox, incident, actor_id=actor.user_id, template=template)
        await store.save(outbox, incident, [])
    return postmortem


async def open_postmortem(
    outbox: Outbox, incident: Incident, *, actor_id: int | None, template: PostmortemTemplate
) -> Postmortem:
    """Create the postmortem inside the caller's transaction (the incident row locked): its
    creator is its first author, its timeline starts with the incident's key events, and the
    incident's timeline records it. The caller saves the incident."""
    conn = outbox.connection
    now = clock.now()
    postmortem = await Postmortem.create(
        incident_id=incident.id,
        template_id=template.id,
        title=single_line(f"Postmortem: {incident.reference} {incident.title}"[:200], field="title"),
        status=PostmortemStatus.DRAFT,
        sections=content.sections_from_template(template.sections),
        created_by_id=actor_id,
        created_at=now,
        updated_at=now,
        using_db=conn,
    )
    if actor_id is not None:
        await PostmortemAuthor.create(postmortem_id=postmortem.id, user_id=actor_id, added_at=now, using_db=conn)
    events = (
        await TimelineEvent.filter(incident_id=incident.id, kind__in=[k.value for k in KEY_EVENT_KINDS])
        .using_db(conn)
        .order_by("sequence")
    )
    await PostmortemTimelineEntry.bulk_create(
        [
            PostmortemTimelineEntry(
                postmortem_id=postmortem.id,
                event_id=e.id,
                occurred_at=e.occurred_at,
                created_by_id=actor_id,
                created_at=now,
            )
            for e in events
        ],
        using_db=conn,
    )
    await timeline.append(
        outbox,
        incident,
        TimelineKind.POSTMORTEM_CREATED,
        actor_id=actor_id,
        message=f"Postmortem started from the template {template.name}",
        data={
            "postmortemId": to_global_id("Postmortem", postmortem.id),
            "templateId": to_global_id("PostmortemTemplate", template.id),
        },
        incident_changed=False,
    )
    return postmortem


@dataclass(frozen=True)
class SectionEdit:
    key: str
    body: str


async def update_postmortem(
    *,
    actor: Principal,
    postmortem_id: int,
    expected_version: int | None = None,
    title: str | None = UNSET,
    sections: Sequence[SectionEdit] | None = UNSET,
    whys: Sequence[Why] | None = UNSET,
    contributing_factors: Sequence[Factor] | None = UNSET,
    no_action_items_reason: str | None = UNSET,
    author_ids: Sequence[int] | None = UNSET,
    reviewer_ids: Sequence[int] | None = UNSET,
) -> Postmortem:
    """Edit content and people; only what is given changes, each changed section is a revision."""
    require(actor, Action.RESPOND)
    if title not in (UNSET, None):
        title = single_line(title, field="title")
    edits = _section_edits(sections) if sections not in (UNSET, None) else None
    whys_value = content.check_whys(whys) if whys not in (UNSET, None) else None
    factors_value = content.check_factors(contributing_factors) if contributing_factors not in (UNSET, None) else None
    reason = None
    if no_action_items_reason not in (UNSET, None):
        reason = multi_line(no_action_items_reason, field="noActionItemsReason", max_length=REASON_MAX).strip()
    authors = await active_people(author_ids, field="authorIds") if author_ids not in (UNSET, None) else None
    reviewers = await active_people(reviewer_ids, field="reviewerIds") if reviewer_ids not in (UNSET, None) else None
    if authors is not None and not authors:
        raise ValidationFailed("A postmortem needs at least one author", field="authorIds")
    incident_id = await visible_postmortem_incident(actor, postmortem_id)
    await check_can_see(incident_id, authors or [], field="authorIds")
    await check_can_see(incident_id, reviewers or [], field="reviewerIds")
    async with unit_of_work() as outbox:
        postmortem = await locked(outbox, postmortem_id)
        check_version(postmortem, expected_version)
        check_editable(postmortem)
        changes = Changes()
        if title not in (UNSET, None) and title != postmortem.title:
            changes.record("title", postmortem.title, title)
            postmortem.title = title
        if edits is not None:
            _apply_sections(postmortem, edits, changes)
        if whys_value is not None:
            _require_kind(postmortem, SectionKind.FIVE_WHYS, "whys")
            if whys_value != postmortem.whys:
                changes.record("whys", postmortem.whys, whys_value)
                postmortem.whys = whys_value
        if factors_value is not None:
            _require_kind(postmortem, SectionKind.CONTRIBUTING_FACTORS, "contributingFactors")
            if factors_value != postmortem.contributing_factors:
                changes.record("contributingFactors", postmortem.contributing_factors, factors_value)
                postmortem.contributing_factors = factors_value
        if reason is not None and reason != postmortem.no_action_items_reason:
            changes.record("noActionItemsReason", postmortem.no_action_items_reason, reason)
            postmortem.no_action_items_reason = reason
        if authors is not None or reviewers is not None:
            await _replace_people(outbox, postmortem, authors, reviewers, changes)
        if changes:
            await commit_changes(outbox, postmortem, changes, actor_id=actor.user_id)
    return postmortem


def _section_edits(sections: Sequence[SectionEdit]) -> list[SectionEdit]:
    keys = [s.key for s in sections]
    if len(set(keys)) != len(keys):
        raise ValidationFailed("A section is given twice", field="sections")
    return [SectionEdit(s.key, content.check_body(s.body, field="sections")) for s in sections]


def _apply_sections(postmortem: Postmortem, edits: Sequence[SectionEdit], changes: Changes) -> None:
    by_key = {s["key"]: s for s in postmortem.sections}
    for edit in edits:
        section = by_key.get(edit.key)
        if section is None:
            raise ValidationFailed(f"This postmortem has no section {edit.key!r}", field="sections")
        if section["body"] != edit.body:
            changes.record(edit.key, section["body"], edit.body)
            section["body"] = edit.body


def _require_kind(postmortem: Postmortem, kind: SectionKind, field: str) -> None:
    if not content.has_kind(postmortem.sections, kind):
        raise ValidationFailed(f"This postmortem's template has no {kind.value} section", field=field)


async def _replace_people(
    outbox: Outbox,
    postmortem: Postmortem,
    authors: list[int] | None,
    reviewers: list[int] | None,
    changes: Changes,
) -> None:
    conn = outbox.connection
    current_authors = list(
        await PostmortemAuthor.filter(postmortem_id=postmortem.id)
        .using_db(conn)
        .order_by("id")
        .values_list("user_id", flat=True)
    )
    current_reviewers = list(
        await PostmortemReviewer.filter(postmortem_id=postmortem.id)
        .using_db(conn)
        .order_by("id")
        .values_list("user_id", flat=True)
    )
    new_authors = authors if authors is not None else current_authors
    new_reviewers = reviewers if reviewers is not None else current_reviewers
    both = set(new_authors) & set(new_reviewers)
    if both:
        raise ValidationFailed(
            "An author cannot review their own postmortem",
            field="reviewerIds" if reviewers is not None else "authorIds",
        )
    now = clock.now()
    if set(new_authors) != set(current_authors):
        await (
            PostmortemAuthor.filter(
                postmortem_id=postmortem.id, user_id__in=list(set(current_authors) - set(new_authors))
            )
            .using_db(conn)
            .delete()
        )
        await PostmortemAuthor.bulk_create(
            [
                PostmortemAuthor(postmortem_id=postmortem.id, user_id=u, added_at=now)
                for u in new_authors
                if u not in current_authors
            ],
            using_db=conn,
        )
        changes.record("authors", user_gids(current_authors), user_gids(new_authors), content=False)
    if set(new_reviewers) != set(current_reviewers):
        await add_reviewers(outbox, postmortem, [u for u in new_reviewers if u not in current_reviewers])
        await (
            PostmortemReviewer.filter(
                postmortem_id=postmortem.id, user_id__in=list(set(current_reviewers) - set(new_reviewers))
            )
            .using_db(conn)
            .delete()
        )
        changes.record("reviewers", user_gids(current_reviewers), user_gids(new_reviewers), content=False)


async def add_reviewers(outbox: Outbox, postmortem: Postmortem, user_ids: Sequence[int]) -> None:
    now = clock.now()
    await PostmortemReviewer.bulk_create(
        [PostmortemReviewer(postmortem_id=postmortem.id, user_id=u, requested_at=now) for u in user_ids],
        using_db=outbox.connection,
    )


async def ensure_default_template() -> PostmortemTemplate:
    """The default template, creating the built-in one if there is none yet."""
    async with unit_of_work() as outbox:
        return await default_template(outbox)
