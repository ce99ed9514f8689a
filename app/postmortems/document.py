"""A postmortem with everything around it, read for the Markdown export and the blameless
language review. The caller has checked that the reader may see the postmortem; highlighted
events never name another incident the reader may not see."""

from __future__ import annotations

from collections.abc import Sequence

from app.identity.models import User
from app.identity.policy import Principal
from app.ids import to_global_id
from app.incidents import queries as incident_queries
from app.incidents import timeline
from app.incidents.models import Incident, TimelineEvent
from app.postmortems import language, markdown, metrics, queries
from app.postmortems.action_items import queries as action_item_queries
from app.postmortems.enums import PostmortemStatus
from app.postmortems.language import Finding
from app.postmortems.models import ActionItem, Postmortem, PostmortemReviewer


async def build(postmortem: Postmortem, reader: Principal) -> markdown.Document:
    incident = await Incident.get(id=postmortem.incident_id)
    services = (await incident_queries.services_by_incident([incident.id])).get(incident.id, [])
    authors = (await queries.authors_by_postmortem([postmortem.id])).get(postmortem.id, [])
    reviewers = (await queries.reviewers_by_postmortem([postmortem.id])).get(postmortem.id, [])
    entries = (await queries.timeline_by_postmortem([postmortem.id])).get(postmortem.id, [])
    told = await timeline.told_to(reader, [c.event for c in entries if c.event is not None])
    entries = [queries.CuratedEntry(c.entry, told[c.event.id] if c.event else None) for c in entries]
    items = (await action_item_queries.by_postmortem([postmortem.id])).get(postmortem.id, [])
    names = await _names(postmortem, authors, reviewers, entries, items)
    return markdown.Document(
        title=postmortem.title,
        status=PostmortemStatus(postmortem.status).value,
        reference=incident.reference,
        incident_title=incident.title,
        severity=incident.severity.value,
        incident_status=incident.status.value,
        key_times=metrics.key_times(incident),
        sections=postmortem.sections,
        whys=postmortem.whys,
        factors=postmortem.contributing_factors,
        no_action_items_reason=postmortem.no_action_items_reason,
        services=[s.name for s in services],
        authors=[names[a] for a in authors if a in names],
        reviewers=[
            markdown.Reviewer(
                names.get(r.user_id, "?"),
                r.approved_at,
                r.approved_content_version == postmortem.content_version and r.user_id not in authors,
            )
            for r in reviewers
        ],
        timeline=[_timeline_line(c, names) for c in entries],
        action_items=_action_item_lines(items, names),
        published_at=postmortem.published_at,
        published_by=names.get(postmortem.published_by_id) if postmortem.published_by_id else None,
        updated_at=postmortem.updated_at,
    )


async def _names(
    postmortem: Postmortem,
    authors: Sequence[int],
    reviewers: Sequence[PostmortemReviewer],
    entries: Sequence[queries.CuratedEntry],
    items: Sequence[ActionItem],
) -> dict[int, str]:
    """The names of everyone the document mentions, by user id."""
    user_ids = {*authors, *(r.user_id for r in reviewers), *(i.owner_id for i in items if i.owner_id)}
    user_ids |= {c.entry.created_by_id for c in entries if c.event is None and c.entry.created_by_id}
    user_ids |= {c.event.actor_id for c in entries if c.event is not None and c.event.actor_id}
    if postmortem.published_by_id:
        user_ids.add(postmortem.published_by_id)
    return {u.id: u.name for u in await User.filter(id__in=list(user_ids))} if user_ids else {}


def _timeline_line(curated: queries.CuratedEntry, names: dict[int, str]) -> markdown.TimelineLine:
    entry, event = curated.entry, curated.event
    return markdown.TimelineLine(
        occurred_at=entry.occurred_at,
        text=event_text(event) if event else entry.body,
        annotation=entry.annotation,
        actor=names.get(event.actor_id) if event and event.actor_id else None,
        kind=event.kind if event else None,
    )


def _action_item_lines(items: Sequence[ActionItem], names: dict[int, str]) -> list[markdown.ActionItemLine]:
    today = action_item_queries.today()
    return [
        markdown.ActionItemLine(
            title=i.title,
            priority=i.priority.value,
            status=i.status.value,
            kind=i.kind.value,
            owner=names.get(i.owner_id) if i.owner_id else None,
            due_date=i.due_date,
            overdue=action_item_queries.is_overdue(i, today),
            link_key=i.link_key,
            link_url=i.link_url,
        )
        for i in items
    ]


def event_text(event: TimelineEvent) -> str:
    """How a highlighted incident event reads on the postmortem's timeline."""
    data, message = event.data, event.message.strip()
    if event.kind == "DECLARED":
        return f"Incident declared as {data.get('severity')}: {message}"
    if event.kind in ("STATUS_CHANGED", "SEVERITY_CHANGED"):
        what = "Status" if event.kind == "STATUS_CHANGED" else "Severity"
        change = f"{what} changed from {data.get('from')} to {data.get('to')}"
        return f"{change}: {message}" if message else change
    return message or event.kind.replace("_", " ").capitalize()


async def render_markdown(postmortem: Postmortem, reader: Principal) -> str:
    return markdown.render(await build(postmortem, reader))


def texts(postmortem: Postmortem, entries: list[queries.CuratedEntry]) -> list[tuple[str, str]]:
    """Everything people wrote in the postmortem, each with the section it is in."""
    found: list[tuple[str, str]] = [("title", postmortem.title)]
    found += [(s["key"], s.get("body", "")) for s in postmortem.sections]
    for index, why in enumerate(postmortem.whys):
        found += [(f"whys[{index}].question", why["question"]), (f"whys[{index}].answer", why["answer"])]
    found += [
        (f"contributingFactors[{i}].description", f["description"])
        for i, f in enumerate(postmortem.contributing_factors)
    ]
    for curated in entries:
        gid = to_global_id("PostmortemTimelineEntry", curated.entry.id)
        if curated.event is None:
            found.append((f"timeline[{gid}].body", curated.entry.body))
        found.append((f"timeline[{gid}].annotation", curated.entry.annotation))
    found.append(("noActionItemsReason", postmortem.no_action_items_reason))
    return found


async def findings(postmortem: Postmortem) -> list[Finding]:
    """The blameless language review of the postmortem's text."""
    entries = (await queries.timeline_by_postmortem([postmortem.id])).get(postmortem.id, [])
    return language.analyze(texts(postmortem, entries), people=await queries.people_names(postmortem))
