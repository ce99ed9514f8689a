"""GraphQL types of postmortems: content, people, curated timeline, review and export."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry.types import Info

from app.api.graphql.context import Context
from app.api.graphql.errors import UserError
from app.api.graphql.identity import User
from app.api.graphql.incidents.types import Incident, TimelineEvent, load_user
from app.api.graphql.relay import Node, PageInfo, page_info
from app.api.graphql.scalars import JSON, DateTime
from app.errors import NotFound
from app.identity.policy import Action, require
from app.ids import to_global_id
from app.incidents import timeline as incident_timeline
from app.incidents.enums import IncidentStatus as IncidentStatusEnum
from app.incidents.lifecycle import is_open
from app.incidents.models import Incident as IncidentModel
from app.postmortems import document, lifecycle, metrics
from app.postmortems import queries as postmortem_queries
from app.postmortems.enums import FactorCategory, FindingCategory, SectionKind
from app.postmortems.enums import PostmortemStatus as PostmortemStatusEnum
from app.postmortems.models import Postmortem as PostmortemModel
from app.postmortems.models import PostmortemReviewer as PostmortemReviewerModel
from app.postmortems.models import PostmortemTemplate as PostmortemTemplateModel

if TYPE_CHECKING:
    from app.api.graphql.postmortems.action_items import ActionItem

PostmortemStatus = strawberry.enum(
    PostmortemStatusEnum,
    name="PostmortemStatus",
    description="DRAFT → IN_REVIEW → PUBLISHED; IN_REVIEW may return to DRAFT, PUBLISHED reopens to DRAFT.",
)
PostmortemSectionKind = strawberry.enum(
    SectionKind,
    name="PostmortemSectionKind",
    description="TEXT sections hold Markdown; FIVE_WHYS and CONTRIBUTING_FACTORS also show `whys` and `contributingFactors`.",
)
ContributingFactorCategory = strawberry.enum(FactorCategory, name="ContributingFactorCategory")
LanguageFindingCategory = strawberry.enum(FindingCategory, name="LanguageFindingCategory")


@strawberry.type(description="A part of a postmortem, from its template.")
class PostmortemSection:
    key: str
    title: str
    kind: PostmortemSectionKind
    guidance: str = strawberry.field(description="What the template asks this section to cover.")
    body: str = strawberry.field(description="Markdown.")


@strawberry.type(description="One step of the 5-whys chain.")
class Why:
    question: str
    answer: str


@strawberry.type
class ContributingFactor:
    category: ContributingFactorCategory
    description: str


@strawberry.type(description="A length of time.")
class Duration:
    seconds: int
    text: str = strawberry.field(description="For people: `12 min`, `1 h 5 min`, `2 d 3 h`.")


async def visible_incident(info: Info[Context, None], incident_id: int) -> IncidentModel:
    """The incident of a postmortem or action item the reader got to (so may see)."""
    row = await info.context.loaders.incident.load(incident_id)
    if row is None:
        raise NotFound("Incident not found")
    return row


def duration(value: timedelta | None) -> Duration | None:
    return None if value is None else Duration(seconds=int(value.total_seconds()), text=metrics.humanize(value))


@strawberry.type(description="The incident's milestones, stamped by its lifecycle (detection is the declaration).")
class PostmortemKeyTimes:
    detected_at: DateTime
    acknowledged_at: DateTime | None
    identified_at: DateTime | None
    mitigated_at: DateTime | None
    resolved_at: DateTime | None


@strawberry.type
class PostmortemReviewer:
    requested_at: DateTime
    approved_at: DateTime | None = strawberry.field(description="When this reviewer last approved.")
    approved: bool = strawberry.field(description="The approval is of the current content and counts for publishing.")
    comment: str
    user_pk: strawberry.Private[int]

    @strawberry.field
    async def user(self, info: Info[Context, None]) -> User | None:
        return await load_user(info, self.user_pk)


@strawberry.type(description="An entry of the postmortem's curated timeline.")
class PostmortemTimelineEntry:
    id: strawberry.ID
    occurred_at: DateTime
    text: str = strawberry.field(
        description="What the highlighted event says (status and severity changes spelled out), or the entry's own text."
    )
    annotation: str | None
    event: TimelineEvent | None = strawberry.field(
        description="The incident event highlighted; null for an entry only in the postmortem."
    )
    added_by_pk: strawberry.Private[int | None]

    @strawberry.field
    async def added_by(self, info: Info[Context, None]) -> User | None:
        return None if self.added_by_pk is None else await load_user(info, self.added_by_pk)


def timeline_entry(curated: postmortem_queries.CuratedEntry) -> PostmortemTimelineEntry:
    entry, event = curated.entry, curated.event
    return PostmortemTimelineEntry(
        id=strawberry.ID(to_global_id("PostmortemTimelineEntry", entry.id)),
        occurred_at=entry.occurred_at,
        text=document.event_text(event) if event else entry.body,
        annotation=entry.annotation or None,
        event=TimelineEvent.from_model(event) if event else None,
        added_by_pk=entry.created_by_id,
    )


@strawberry.type(
    description="Blameful or hindsight phrasing in the text, with a suggested reframing. Informs, never blocks."
)
class LanguageFinding:
    section: str = strawberry.field(
        description="Where: a section key, `title`, `whys[0].answer`, `contributingFactors[1].description`, `timeline[<entry id>].body` …"
    )
    offset: int = strawberry.field(description="Characters (Unicode code points) from the start of that text.")
    length: int
    phrase: str
    category: LanguageFindingCategory
    rule: str = strawberry.field(description="The id of the pattern that matched (see the patterns file).")
    suggestion: str


@strawberry.type(description="One edit of one section.")
class PostmortemRevision:
    id: strawberry.ID
    version: int = strawberry.field(description="The postmortem's version after the edit.")
    section: str = strawberry.field(
        description="A section key, or title, whys, contributingFactors, noActionItemsReason, timeline, authors, reviewers."
    )
    created_at: DateTime
    before: JSON | None = strawberry.field(
        description="The section's content before the edit (null: the entry was added)."
    )
    after: JSON | None = strawberry.field(description="Its content after (null: the entry was removed).")
    actor_pk: strawberry.Private[int | None]

    @strawberry.field
    async def actor(self, info: Info[Context, None]) -> User | None:
        return None if self.actor_pk is None else await load_user(info, self.actor_pk)


@strawberry.type
class PostmortemRevisionEdge:
    cursor: str
    node: PostmortemRevision


@strawberry.type
class PostmortemRevisionConnection:
    edges: list[PostmortemRevisionEdge]
    page_info: PageInfo
    total_count: int

    @strawberry.field(description="The revisions of this page, without cursors.")
    def nodes(self) -> list[PostmortemRevision]:
        return [edge.node for edge in self.edges]


@strawberry.type
class PostmortemTemplateSection:
    key: str
    title: str
    kind: PostmortemSectionKind
    guidance: str


@strawberry.type
class PostmortemTemplate(Node):
    name: str
    description: str
    is_default: bool = strawberry.field(description="New postmortems use it when no template is named.")
    builtin: bool
    sections: list[PostmortemTemplateSection]
    created_at: DateTime

    @classmethod
    def from_model(cls, template: PostmortemTemplateModel) -> PostmortemTemplate:
        return cls(
            id=strawberry.ID(to_global_id("PostmortemTemplate", template.id)),
            name=template.name,
            description=template.description,
            is_default=template.is_default,
            builtin=template.builtin,
            sections=[
                PostmortemTemplateSection(
                    key=s["key"], title=s["title"], kind=SectionKind(s["kind"]), guidance=s.get("guidance", "")
                )
                for s in template.sections
            ],
            created_at=template.created_at,
        )


@strawberry.type
class Postmortem(Node):
    title: str
    status: PostmortemStatus
    version: int = strawberry.field(description="Changes with every change; pass it as expectedVersion.")
    sections: list[PostmortemSection]
    whys: list[Why] = strawberry.field(description="The root cause analysis as an ordered 5-whys chain.")
    contributing_factors: list[ContributingFactor]
    no_action_items_reason: str | None = strawberry.field(
        description="Why there are no action items (publishing needs one or the other)."
    )
    created_at: DateTime
    updated_at: DateTime
    submitted_at: DateTime | None
    published_at: DateTime | None
    model: strawberry.Private[PostmortemModel]

    @strawberry.field
    async def incident(self, info: Info[Context, None]) -> Incident:
        return Incident.from_model(await visible_incident(info, self.model.incident_id))

    @strawberry.field
    async def template(self, info: Info[Context, None]) -> PostmortemTemplate | None:
        if self.model.template_id is None:
            return None
        row = await info.context.loaders.postmortems.template.load(self.model.template_id)
        return PostmortemTemplate.from_model(row) if row else None

    @strawberry.field
    async def authors(self, info: Info[Context, None]) -> list[User]:
        ids = await info.context.loaders.postmortems.authors.load(self.model.id)
        users = await info.context.loaders.user.load_many(ids)
        return [User.from_model(u) for u in users if u is not None]

    @strawberry.field(description="Requested reviewers and their approvals.")
    async def reviewers(self, info: Info[Context, None]) -> list[PostmortemReviewer]:
        authors = set(await info.context.loaders.postmortems.authors.load(self.model.id))
        rows = await info.context.loaders.postmortems.reviewers.load(self.model.id)
        return [_reviewer(r, self.model.content_version, authors) for r in rows]

    @strawberry.field
    async def published_by(self, info: Info[Context, None]) -> User | None:
        return None if self.model.published_by_id is None else await load_user(info, self.model.published_by_id)

    @strawberry.field(description="Highlighted incident events and postmortem-only entries, in occurredAt order.")
    async def timeline(self, info: Info[Context, None]) -> list[PostmortemTimelineEntry]:
        entries = await info.context.loaders.postmortems.timeline.load(self.model.id)
        principal = require(info.context.principal, Action.READ)
        told = await incident_timeline.told_to(principal, [c.event for c in entries if c.event is not None])
        return [
            timeline_entry(postmortem_queries.CuratedEntry(c.entry, told[c.event.id] if c.event else None))
            for c in entries
        ]

    @strawberry.field(description="The action items of this postmortem, by due date.")
    async def action_items(
        self, info: Info[Context, None]
    ) -> list[Annotated[ActionItem, strawberry.lazy("app.api.graphql.postmortems.action_items")]]:
        from app.api.graphql.postmortems.action_items import ActionItem

        return [
            ActionItem.from_model(i)
            for i in await info.context.loaders.postmortems.postmortem_action_items.load(self.model.id)
        ]

    async def _times(self, info: Info[Context, None]) -> metrics.KeyTimes:
        return metrics.key_times(await visible_incident(info, self.model.incident_id))

    @strawberry.field(description="Computed from the incident's lifecycle.")
    async def key_times(self, info: Info[Context, None]) -> PostmortemKeyTimes:
        times = await self._times(info)
        return PostmortemKeyTimes(
            detected_at=times.detected_at,
            acknowledged_at=times.acknowledged_at,
            identified_at=times.identified_at,
            mitigated_at=times.mitigated_at,
            resolved_at=times.resolved_at,
        )

    @strawberry.field(description="From detection to resolution; null while unresolved.")
    async def duration(self, info: Info[Context, None]) -> Duration | None:
        times = await self._times(info)
        return duration(times.duration)

    @strawberry.field
    async def time_to_acknowledge(self, info: Info[Context, None]) -> Duration | None:
        times = await self._times(info)
        return duration(times.time_to_acknowledge)

    @strawberry.field
    async def time_to_mitigate(self, info: Info[Context, None]) -> Duration | None:
        times = await self._times(info)
        return duration(times.time_to_mitigate)

    @strawberry.field
    async def time_to_resolve(self, info: Info[Context, None]) -> Duration | None:
        times = await self._times(info)
        return duration(times.time_to_resolve)

    @strawberry.field(description="Statuses this postmortem may move to next.")
    def allowed_transitions(self) -> list[PostmortemStatus]:
        return lifecycle.allowed_targets(PostmortemStatusEnum(self.model.status))

    @strawberry.field(description="What stops publishing now (empty: it can be published).")
    async def publish_blockers(self, info: Info[Context, None]) -> list[str]:
        loaders = info.context.loaders
        authors = await loaders.postmortems.authors.load(self.model.id)
        reviewers = await loaders.postmortems.reviewers.load(self.model.id)
        items = await loaders.postmortems.postmortem_action_items.load(self.model.id)
        incident = await loaders.incident.load(self.model.incident_id)
        approvals = [lifecycle.Approval(r.user_id, r.approved_content_version) for r in reviewers]
        blockers = lifecycle.publish_blockers(
            status=PostmortemStatusEnum(self.model.status),
            approvers=lifecycle.counting_approvals(
                approvals, author_ids=authors, content_version=self.model.content_version
            ),
            action_items=len(items),
            no_action_items_reason=self.model.no_action_items_reason,
            incident_open=incident is not None and is_open(IncidentStatusEnum(incident.status)),
        )
        return [b.message[0].upper() + b.message[1:] for b in blockers]

    @strawberry.field(description="Blameless language review of the text.")
    async def language_findings(self) -> list[LanguageFinding]:
        return [
            LanguageFinding(
                section=f.section,
                offset=f.offset,
                length=f.length,
                phrase=f.phrase,
                category=f.category,
                rule=f.rule,
                suggestion=f.suggestion,
            )
            for f in await document.findings(self.model)
        ]

    @strawberry.field(description="Every edit, newest first: who, when, which section.")
    async def revisions(self, first: int | None = None, after: str | None = None) -> PostmortemRevisionConnection:
        page, total = await postmortem_queries.revisions_page(self.model.id, first=first, after=after)
        edges = [
            PostmortemRevisionEdge(cursor=c, node=_revision(r)) for c, r in zip(page.cursors, page.items, strict=True)
        ]
        return PostmortemRevisionConnection(edges=edges, page_info=page_info(page), total_count=total)  # type: ignore[arg-type]

    @strawberry.field(description="The whole postmortem as a Markdown document, with its timeline and action items.")
    async def markdown(self, info: Info[Context, None]) -> str:
        return await document.render_markdown(self.model, require(info.context.principal, Action.READ))

    @classmethod
    def from_model(cls, postmortem: PostmortemModel) -> Postmortem:
        return cls(
            id=strawberry.ID(to_global_id("Postmortem", postmortem.id)),
            title=postmortem.title,
            status=postmortem.status,
            version=postmortem.version,
            sections=[
                PostmortemSection(
                    key=s["key"],
                    title=s["title"],
                    kind=SectionKind(s["kind"]),
                    guidance=s.get("guidance", ""),
                    body=s.get("body", ""),
                )
                for s in postmortem.sections
            ],
            whys=[Why(question=w["question"], answer=w["answer"]) for w in postmortem.whys],
            contributing_factors=[
                ContributingFactor(category=FactorCategory(f["category"]), description=f["description"])
                for f in postmortem.contributing_factors
            ],
            no_action_items_reason=postmortem.no_action_items_reason or None,
            created_at=postmortem.created_at,
            updated_at=postmortem.updated_at,
            submitted_at=postmortem.submitted_at,
            published_at=postmortem.published_at,
            model=postmortem,
        )


def _reviewer(row: PostmortemReviewerModel, content_version: int, authors: set[int]) -> PostmortemReviewer:
    counts = row.approved_content_version == content_version and row.user_id not in authors
    return PostmortemReviewer(
        requested_at=row.requested_at,
        approved_at=row.approved_at,
        approved=counts,
        comment=row.comment,
        user_pk=row.user_id,
    )


def _revision(row: Any) -> PostmortemRevision:
    unwrap = lambda value: value.get("value") if isinstance(value, dict) else value  # noqa: E731
    return PostmortemRevision(
        id=strawberry.ID(to_global_id("PostmortemRevision", row.id)),
        version=row.version,
        section=row.section,
        created_at=row.created_at,
        before=unwrap(row.before),
        after=unwrap(row.after),
        actor_pk=row.actor_id,
    )


@strawberry.type
class PostmortemPayload:
    postmortem: Postmortem | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class PostmortemTemplatePayload:
    postmortem_template: PostmortemTemplate | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)
