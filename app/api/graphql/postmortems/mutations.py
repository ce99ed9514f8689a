"""Postmortem mutations: start, edit, curate the timeline, review, and manage templates."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from app.api.graphql.context import Context
from app.api.graphql.errors import payload
from app.api.graphql.postmortems.types import (
    ContributingFactorCategory,
    Postmortem,
    PostmortemPayload,
    PostmortemSectionKind,
    PostmortemStatus,
    PostmortemTemplate,
    PostmortemTemplatePayload,
)
from app.api.graphql.relay import pk_of, pks_of
from app.api.graphql.scalars import DateTime
from app.identity.policy import Principal
from app.postmortems import curation, review, service
from app.postmortems.content import Factor, TemplateSection, Why
from app.postmortems.enums import SectionKind
from app.postmortems.models import Postmortem as PostmortemModel
from app.postmortems.service import SectionEdit
from app.unset import UNSET


@strawberry.input
class CreatePostmortemInput:
    incident_id: strawberry.ID
    template_id: strawberry.ID | None = strawberry.field(default=None, description="Omitted: the default template.")


@strawberry.input
class PostmortemSectionInput:
    key: str
    body: str = strawberry.field(description="Markdown.")


@strawberry.input
class WhyInput:
    question: str
    answer: str = ""


@strawberry.input
class ContributingFactorInput:
    category: ContributingFactorCategory
    description: str


@strawberry.input(
    description="Omitted fields stay. Lists replace the whole list; `sections` changes only the sections given."
)
class UpdatePostmortemInput:
    postmortem_id: strawberry.ID
    expected_version: int | None = None
    title: str | None = strawberry.UNSET
    sections: list[PostmortemSectionInput] | None = strawberry.UNSET
    whys: list[WhyInput] | None = strawberry.UNSET
    contributing_factors: list[ContributingFactorInput] | None = strawberry.UNSET
    no_action_items_reason: str | None = strawberry.UNSET
    author_ids: list[strawberry.ID] | None = strawberry.UNSET
    reviewer_ids: list[strawberry.ID] | None = strawberry.UNSET


@strawberry.input
class UpdatePostmortemStatusInput:
    postmortem_id: strawberry.ID
    status: PostmortemStatus
    message: str = strawberry.field(default="", description="The reason, when returning to draft or reopening.")
    expected_version: int | None = None


@strawberry.input
class SubmitPostmortemForReviewInput:
    postmortem_id: strawberry.ID
    reviewer_ids: list[strawberry.ID] = strawberry.field(default_factory=list, description="Added to the reviewers.")
    expected_version: int | None = None


@strawberry.input
class ApprovePostmortemInput:
    postmortem_id: strawberry.ID
    comment: str = ""
    expected_version: int | None = None


@strawberry.input
class ReturnPostmortemToDraftInput:
    postmortem_id: strawberry.ID
    reason: str = ""
    expected_version: int | None = None


@strawberry.input
class PublishPostmortemInput:
    postmortem_id: strawberry.ID
    expected_version: int | None = None


@strawberry.input
class ReopenPostmortemInput:
    postmortem_id: strawberry.ID
    reason: str = ""
    expected_version: int | None = None


@strawberry.input
class HighlightTimelineEventInput:
    postmortem_id: strawberry.ID
    event_id: strawberry.ID
    annotation: str | None = None
    expected_version: int | None = None


@strawberry.input
class AddPostmortemTimelineEntryInput:
    postmortem_id: strawberry.ID
    occurred_at: DateTime
    body: str
    expected_version: int | None = None


@strawberry.input(description="Omitted fields stay. A highlighted event keeps its text and time.")
class UpdatePostmortemTimelineEntryInput:
    entry_id: strawberry.ID
    body: str | None = strawberry.UNSET
    annotation: str | None = strawberry.UNSET
    occurred_at: DateTime | None = strawberry.UNSET
    expected_version: int | None = None


@strawberry.input
class RemovePostmortemTimelineEntryInput:
    entry_id: strawberry.ID
    expected_version: int | None = None


@strawberry.input
class PostmortemTemplateSectionInput:
    key: str = strawberry.field(description="A lowercase slug, unique in the template.")
    title: str
    kind: PostmortemSectionKind = SectionKind.TEXT
    guidance: str = ""


@strawberry.input
class CreatePostmortemTemplateInput:
    name: str
    sections: list[PostmortemTemplateSectionInput]
    description: str = ""
    is_default: bool = False


@strawberry.input
class UpdatePostmortemTemplateInput:
    template_id: strawberry.ID
    name: str | None = strawberry.UNSET
    description: str | None = strawberry.UNSET
    sections: list[PostmortemTemplateSectionInput] | None = strawberry.UNSET
    is_default: bool | None = strawberry.UNSET


def _pid(global_id: strawberry.ID) -> int:
    return pk_of(global_id, "Postmortem", field="postmortemId")


def _entry(global_id: strawberry.ID) -> int:
    return pk_of(global_id, "PostmortemTimelineEntry", field="entryId")


def _given(value: object) -> object:
    return UNSET if value is strawberry.UNSET else value


def _template_sections(sections: list[PostmortemTemplateSectionInput]) -> list[TemplateSection]:
    return [TemplateSection(s.key, s.title, SectionKind(s.kind), s.guidance) for s in sections]


def _done(postmortem: PostmortemModel) -> PostmortemPayload:
    return PostmortemPayload(postmortem=Postmortem.from_model(postmortem))


def _actor(info: Info[Context, None]) -> Principal:
    return info.context.principal  # type: ignore[return-value]  # the services reject None


@strawberry.type
class PostmortemMutation:
    @strawberry.mutation(description="Start an incident's postmortem (one per incident).")
    @payload(PostmortemPayload)
    async def create_postmortem(self, info: Info[Context, None], input: CreatePostmortemInput) -> PostmortemPayload:
        template_id = pk_of(input.template_id, "PostmortemTemplate", field="templateId") if input.template_id else None
        incident_id = pk_of(input.incident_id, "Incident", field="incidentId")
        return _done(
            await service.create_postmortem(actor=_actor(info), incident_id=incident_id, template_id=template_id)
        )

    @strawberry.mutation(description="Edit content and people; each changed section is kept as a revision.")
    @payload(PostmortemPayload)
    async def update_postmortem(self, info: Info[Context, None], input: UpdatePostmortemInput) -> PostmortemPayload:
        sections, whys, factors = _given(input.sections), _given(input.whys), _given(input.contributing_factors)
        authors, reviewers = _given(input.author_ids), _given(input.reviewer_ids)
        postmortem = await service.update_postmortem(
            actor=_actor(info),
            postmortem_id=_pid(input.postmortem_id),
            expected_version=input.expected_version,
            title=_given(input.title),  # type: ignore[arg-type]
            sections=[SectionEdit(s.key, s.body) for s in sections] if isinstance(sections, list) else sections,  # type: ignore[arg-type]
            whys=[Why(w.question, w.answer) for w in whys] if isinstance(whys, list) else whys,  # type: ignore[arg-type]
            contributing_factors=[Factor(f.category, f.description) for f in factors]
            if isinstance(factors, list)
            else factors,  # type: ignore[arg-type]
            no_action_items_reason=_given(input.no_action_items_reason),  # type: ignore[arg-type]
            author_ids=pks_of(authors, "User", field="authorIds") if isinstance(authors, list) else authors,  # type: ignore[arg-type]
            reviewer_ids=pks_of(reviewers, "User", field="reviewerIds") if isinstance(reviewers, list) else reviewers,  # type: ignore[arg-type]
        )
        return _done(postmortem)

    @strawberry.mutation(
        description="Move through DRAFT → IN_REVIEW → PUBLISHED (or back to DRAFT) by the matching step below, with its rules."
    )
    @payload(PostmortemPayload)
    async def update_postmortem_status(
        self, info: Info[Context, None], input: UpdatePostmortemStatusInput
    ) -> PostmortemPayload:
        return _done(
            await review.move(
                actor=_actor(info),
                postmortem_id=_pid(input.postmortem_id),
                status=input.status,
                message=input.message,
                expected_version=input.expected_version,
            )
        )

    @strawberry.mutation(description="DRAFT → IN_REVIEW; needs a reviewer who is not an author.")
    @payload(PostmortemPayload)
    async def submit_postmortem_for_review(
        self, info: Info[Context, None], input: SubmitPostmortemForReviewInput
    ) -> PostmortemPayload:
        return _done(
            await review.submit(
                actor=_actor(info),
                postmortem_id=_pid(input.postmortem_id),
                reviewer_ids=pks_of(input.reviewer_ids, "User", field="reviewerIds"),
                expected_version=input.expected_version,
            )
        )

    @strawberry.mutation(description="A requested reviewer approves the current content.")
    @payload(PostmortemPayload)
    async def approve_postmortem(self, info: Info[Context, None], input: ApprovePostmortemInput) -> PostmortemPayload:
        return _done(
            await review.approve(
                actor=_actor(info),
                postmortem_id=_pid(input.postmortem_id),
                comment=input.comment,
                expected_version=input.expected_version,
            )
        )

    @strawberry.mutation(description="IN_REVIEW → DRAFT: changes requested, or the review withdrawn.")
    @payload(PostmortemPayload)
    async def return_postmortem_to_draft(
        self, info: Info[Context, None], input: ReturnPostmortemToDraftInput
    ) -> PostmortemPayload:
        return _done(
            await review.return_to_draft(
                actor=_actor(info),
                postmortem_id=_pid(input.postmortem_id),
                reason=input.reason,
                expected_version=input.expected_version,
            )
        )

    @strawberry.mutation(description="IN_REVIEW → PUBLISHED (see publishBlockers); the content is frozen from then on.")
    @payload(PostmortemPayload)
    async def publish_postmortem(self, info: Info[Context, None], input: PublishPostmortemInput) -> PostmortemPayload:
        return _done(
            await review.publish(
                actor=_actor(info), postmortem_id=_pid(input.postmortem_id), expected_version=input.expected_version
            )
        )

    @strawberry.mutation(
        description="PUBLISHED → DRAFT so the content can change; it needs a new approval to publish again."
    )
    @payload(PostmortemPayload)
    async def reopen_postmortem(self, info: Info[Context, None], input: ReopenPostmortemInput) -> PostmortemPayload:
        return _done(
            await review.reopen(
                actor=_actor(info),
                postmortem_id=_pid(input.postmortem_id),
                reason=input.reason,
                expected_version=input.expected_version,
            )
        )

    @strawberry.mutation(
        description="Put an incident timeline event on the postmortem's timeline; again: change its annotation."
    )
    @payload(PostmortemPayload)
    async def highlight_timeline_event(
        self, info: Info[Context, None], input: HighlightTimelineEventInput
    ) -> PostmortemPayload:
        return _done(
            await curation.highlight_event(
                actor=_actor(info),
                postmortem_id=_pid(input.postmortem_id),
                event_id=pk_of(input.event_id, "TimelineEvent", field="eventId"),
                annotation=input.annotation,
                expected_version=input.expected_version,
            )
        )

    @strawberry.mutation(description="Add an entry that exists only on the postmortem's timeline.")
    @payload(PostmortemPayload)
    async def add_postmortem_timeline_entry(
        self, info: Info[Context, None], input: AddPostmortemTimelineEntryInput
    ) -> PostmortemPayload:
        return _done(
            await curation.add_entry(
                actor=_actor(info),
                postmortem_id=_pid(input.postmortem_id),
                occurred_at=input.occurred_at,
                body=input.body,
                expected_version=input.expected_version,
            )
        )

    @strawberry.mutation
    @payload(PostmortemPayload)
    async def update_postmortem_timeline_entry(
        self, info: Info[Context, None], input: UpdatePostmortemTimelineEntryInput
    ) -> PostmortemPayload:
        return _done(
            await curation.update_entry(
                actor=_actor(info),
                entry_id=_entry(input.entry_id),
                body=_given(input.body),  # type: ignore[arg-type]
                annotation=_given(input.annotation),  # type: ignore[arg-type]
                occurred_at=_given(input.occurred_at),  # type: ignore[arg-type]
                expected_version=input.expected_version,
            )
        )

    @strawberry.mutation(description="Take an entry off the postmortem's timeline.")
    @payload(PostmortemPayload)
    async def remove_postmortem_timeline_entry(
        self, info: Info[Context, None], input: RemovePostmortemTimelineEntryInput
    ) -> PostmortemPayload:
        return _done(
            await curation.remove_entry(
                actor=_actor(info), entry_id=_entry(input.entry_id), expected_version=input.expected_version
            )
        )

    @strawberry.mutation(description="Admin: add a postmortem template.")
    @payload(PostmortemTemplatePayload)
    async def create_postmortem_template(
        self, info: Info[Context, None], input: CreatePostmortemTemplateInput
    ) -> PostmortemTemplatePayload:
        template = await service.create_template(
            actor=_actor(info),
            name=input.name,
            description=input.description,
            sections=_template_sections(input.sections),
            is_default=input.is_default,
        )
        return PostmortemTemplatePayload(postmortem_template=PostmortemTemplate.from_model(template))

    @strawberry.mutation(description="Admin: change a template (postmortems already started keep their sections).")
    @payload(PostmortemTemplatePayload)
    async def update_postmortem_template(
        self, info: Info[Context, None], input: UpdatePostmortemTemplateInput
    ) -> PostmortemTemplatePayload:
        sections = _given(input.sections)
        template = await service.update_template(
            actor=_actor(info),
            template_id=pk_of(input.template_id, "PostmortemTemplate", field="templateId"),
            name=_given(input.name),  # type: ignore[arg-type]
            description=_given(input.description),  # type: ignore[arg-type]
            sections=_template_sections(sections) if isinstance(sections, list) else sections,  # type: ignore[arg-type]
            is_default=_given(input.is_default),  # type: ignore[arg-type]
        )
        return PostmortemTemplatePayload(postmortem_template=PostmortemTemplate.from_model(template))
