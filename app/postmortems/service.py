"""Postmortem commands: templates, starting a postmortem, and editing its content and people.
Each owns its transaction; the review flow is in `review.py`, the curated timeline in
`curation.py`, action items in `action_items.py`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from app import clock
from app.commands import locked_row, provided
from app.errors import Conflict, InvalidTransition, NotFound, ValidationFailed
from app.events import Outbox, unit_of_work
from app.identity.policy import Action, Principal, require
from app.ids import to_global_id
from app.incidents import store, timeline
from app.incidents.enums import IncidentStatus, TimelineKind
from app.incidents.models import Incident, TimelineEvent
from app.postmortems import content
from app.postmortems.common import (
    Revisions,
    active_people,
    check_can_see,
    commit_changes,
    locked_editable,
    visible_incident,
    visible_postmortem_incident,
)
from app.postmortems.content import Factor, TemplateSection, Why
from app.postmortems.enums import PostmortemStatus, SectionKind
from app.postmortems.models import (
    Postmortem,
    PostmortemAuthor,
    PostmortemTemplate,
    PostmortemTimelineEntry,
)
from app.postmortems.people import replace_people
from app.text import multi_line, single_line
from app.unset import UNSET, OrUnset

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
    name: OrUnset[str | None] = UNSET,
    description: OrUnset[str | None] = UNSET,
    sections: OrUnset[Sequence[TemplateSection] | None] = UNSET,
    is_default: OrUnset[bool | None] = UNSET,
) -> PostmortemTemplate:
    """Admin: change a template. Postmortems already started keep the sections they copied."""
    require(actor, Action.ADMIN)
    async with unit_of_work() as outbox:
        template = await locked_row(outbox, PostmortemTemplate, template_id, what="Template", field="templateId")
        if provided(name):
            name = single_line(name, field="name", max_length=100)
            if name != template.name:
                if await PostmortemTemplate.filter(name=name).using_db(outbox.connection).exists():
                    raise Conflict(f"A template named {name!r} already exists", field="name")
                template.name = name
        if provided(description):
            template.description = multi_line(description, field="description", max_length=content.GUIDANCE_MAX)
        if provided(sections):
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


@dataclass(frozen=True)
class _Edit:
    """What an update asks for, checked; None leaves a part as it is."""

    title: str | None = None
    sections: list[SectionEdit] | None = None
    whys: list[dict[str, str]] | None = None
    factors: list[dict[str, str]] | None = None
    reason: str | None = None
    authors: list[int] | None = None
    reviewers: list[int] | None = None


async def update_postmortem(
    *,
    actor: Principal,
    postmortem_id: int,
    expected_version: int | None = None,
    title: OrUnset[str | None] = UNSET,
    sections: OrUnset[Sequence[SectionEdit] | None] = UNSET,
    whys: OrUnset[Sequence[Why] | None] = UNSET,
    contributing_factors: OrUnset[Sequence[Factor] | None] = UNSET,
    no_action_items_reason: OrUnset[str | None] = UNSET,
    author_ids: OrUnset[Sequence[int] | None] = UNSET,
    reviewer_ids: OrUnset[Sequence[int] | None] = UNSET,
) -> Postmortem:
    """Edit content and people; only what is given changes, each changed section is a revision."""
    require(actor, Action.RESPOND)
    edit = _Edit(
        title=single_line(title, field="title") if provided(title) else None,
        sections=_section_edits(sections) if provided(sections) else None,
        whys=content.check_whys(whys) if provided(whys) else None,
        factors=content.check_factors(contributing_factors) if provided(contributing_factors) else None,
        reason=_reason(no_action_items_reason) if provided(no_action_items_reason) else None,
        authors=await active_people(author_ids, field="authorIds") if provided(author_ids) else None,
        reviewers=await active_people(reviewer_ids, field="reviewerIds") if provided(reviewer_ids) else None,
    )
    if edit.authors is not None and not edit.authors:
        raise ValidationFailed("A postmortem needs at least one author", field="authorIds")
    incident_id = await visible_postmortem_incident(actor, postmortem_id)
    await check_can_see(incident_id, edit.authors or [], field="authorIds")
    await check_can_see(incident_id, edit.reviewers or [], field="reviewerIds")
    async with unit_of_work() as outbox:
        postmortem = await locked_editable(outbox, postmortem_id, expected_version)
        changes = Revisions()
        _apply_content(postmortem, edit, changes)
        if edit.authors is not None or edit.reviewers is not None:
            await replace_people(outbox, postmortem, edit.authors, edit.reviewers, changes)
        if changes:
            await commit_changes(outbox, postmortem, changes, actor_id=actor.user_id)
    return postmortem


def _reason(reason: str) -> str:
    return multi_line(reason, field="noActionItemsReason", max_length=REASON_MAX).strip()


def _apply_content(postmortem: Postmortem, edit: _Edit, changes: Revisions) -> None:
    """Change the postmortem's content as `edit` asks, each changed part recorded."""
    if edit.title is not None:
        changes.assign(postmortem, "title", edit.title)
    if edit.sections is not None:
        _apply_sections(postmortem, edit.sections, changes)
    if edit.whys is not None:
        _require_kind(postmortem, SectionKind.FIVE_WHYS, "whys")
        changes.assign(postmortem, "whys", edit.whys)
    if edit.factors is not None:
        _require_kind(postmortem, SectionKind.CONTRIBUTING_FACTORS, "contributingFactors")
        changes.assign(postmortem, "contributing_factors", edit.factors, name="contributingFactors")
    if edit.reason is not None:
        changes.assign(postmortem, "no_action_items_reason", edit.reason, name="noActionItemsReason")


def _section_edits(sections: Sequence[SectionEdit]) -> list[SectionEdit]:
    keys = [s.key for s in sections]
    if len(set(keys)) != len(keys):
        raise ValidationFailed("A section is given twice", field="sections")
    return [SectionEdit(s.key, content.check_body(s.body, field="sections")) for s in sections]


def _apply_sections(postmortem: Postmortem, edits: Sequence[SectionEdit], changes: Revisions) -> None:
    by_key = {s["key"]: s for s in postmortem.sections}
    for edit in edits:
        section = by_key.get(edit.key)
        if section is None:
            raise ValidationFailed(f"This postmortem has no section {edit.key!r}", field="sections")
        if section["body"] != edit.body:
            changes.record(edit.key, section["body"], edit.body, field="sections")
            section["body"] = edit.body


def _require_kind(postmortem: Postmortem, kind: SectionKind, field: str) -> None:
    if not content.has_kind(postmortem.sections, kind):
        raise ValidationFailed(f"This postmortem's template has no {kind.value} section", field=field)


async def ensure_default_template() -> PostmortemTemplate:
    """The default template, creating the built-in one if there is none yet."""
    async with unit_of_work() as outbox:
        return await default_template(outbox)
