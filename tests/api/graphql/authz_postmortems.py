"""Matrix rules: postmortems, their review and curated timeline, templates and action items."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from app import clock
from app.ids import parse_pk
from app.incidents.enums import IncidentStatus
from app.incidents.models import TimelineEvent
from app.postmortems import review, service
from app.postmortems.action_items import service as action_items
from app.postmortems.content import TemplateSection
from app.postmortems.enums import LinkProvider, SectionKind
from tests.api.graphql.authz_rules import Access, Caller, Outcome, Private, Rule, Variables, ids, mutation
from tests.api.graphql.authz_world import World, gid

PM = "postmortem { id title }"
ITEM = "actionItem { id title }"
Build = Callable[[World, Caller, bool], Awaitable[dict[str, Any]]]


def _public_and_private(build: Build) -> tuple[Variables, Variables]:
    async def public(world: World, caller: Caller) -> dict[str, Any]:
        return {"input": await build(world, caller, False)}

    async def private(world: World, caller: Caller) -> dict[str, Any]:
        return {"input": await build(world, caller, True)}

    return public, private


def _command(name: str, input_type: str, build: Build, selection: str = PM) -> Rule:
    public, private = _public_and_private(build)
    return Rule(
        name,
        Access.RESPOND,
        mutation(name, input_type, selection),
        public,
        private=(Private(Outcome.NOT_FOUND, private),),
    )


async def _create(world: World, _c: Caller, private: bool) -> dict[str, Any]:
    incident = await world.incident(private=private, status=IncidentStatus.RESOLVED)
    return {"incidentId": gid("Incident", incident.id)}


async def _edit(world: World, _c: Caller, private: bool) -> dict[str, Any]:
    return {"postmortemId": gid("Postmortem", (await world.postmortem(private=private)).id), "title": "What happened"}


async def _to_review(world: World, _c: Caller, private: bool) -> dict[str, Any]:
    postmortem = await world.postmortem(private=private, stage="review")
    return {"postmortemId": gid("Postmortem", postmortem.id), "status": "DRAFT"}


async def _submit(world: World, _c: Caller, private: bool) -> dict[str, Any]:
    postmortem = await world.postmortem(private=private)
    return {"postmortemId": gid("Postmortem", postmortem.id), "reviewerIds": [world.member.global_id]}


async def _approve(world: World, caller: Caller, private: bool) -> dict[str, Any]:
    # A responder or admin caller is the requested reviewer; others (refused anyway) and the
    # private incident's postmortem get the member as reviewer. No reviewer is the author.
    reviewer = world.user_of(caller) if caller in (Caller.RESPONDER, Caller.ADMIN) and not private else world.member
    author = world.member if reviewer is world.admin else world.admin
    postmortem = await world.postmortem(private=private, stage="review", reviewer=reviewer, author=author)
    return {"postmortemId": gid("Postmortem", postmortem.id)}


async def _in_review(world: World, _c: Caller, private: bool) -> dict[str, Any]:
    return {"postmortemId": gid("Postmortem", (await world.postmortem(private=private, stage="review")).id)}


async def _publishable(world: World, _c: Caller, private: bool) -> dict[str, Any]:
    postmortem = await world.postmortem(private=private, stage="review")
    await review.approve(actor=world.member.principal, postmortem_id=postmortem.id)
    return {"postmortemId": gid("Postmortem", postmortem.id)}


async def _published(world: World, _c: Caller, private: bool) -> dict[str, Any]:
    return {"postmortemId": gid("Postmortem", (await world.postmortem(private=private, stage="published")).id)}


async def _highlight(world: World, _c: Caller, private: bool) -> dict[str, Any]:
    postmortem = await world.postmortem(private=private)
    event = await TimelineEvent.filter(incident_id=postmortem.incident_id).order_by("sequence").first()
    assert event is not None
    return {
        "postmortemId": gid("Postmortem", postmortem.id),
        "eventId": gid("TimelineEvent", event.id),
        "annotation": "Paged",
    }


async def _add_entry(world: World, _c: Caller, private: bool) -> dict[str, Any]:
    postmortem = await world.postmortem(private=private)
    at = (clock.now() - timedelta(minutes=1)).isoformat()
    return {"postmortemId": gid("Postmortem", postmortem.id), "occurredAt": at, "body": "Customer reports"}


async def _update_entry(world: World, _c: Caller, private: bool) -> dict[str, Any]:
    return {
        "entryId": gid("PostmortemTimelineEntry", await world.entry(private=private)),
        "body": "Customer reports began",
    }


async def _remove_entry(world: World, _c: Caller, private: bool) -> dict[str, Any]:
    return {"entryId": gid("PostmortemTimelineEntry", await world.entry(private=private))}


async def _new_item(world: World, _c: Caller, private: bool) -> dict[str, Any]:
    incident = await world.incident(private=private)
    return {"incidentId": gid("Incident", incident.id), "title": "Add a canary"}


async def _item(world: World, _c: Caller, private: bool) -> dict[str, Any]:
    return {"actionItemId": gid("ActionItem", await world.action_item(private=private))}


async def _edit_item(world: World, c: Caller, private: bool) -> dict[str, Any]:
    return {**await _item(world, c, private), "priority": "P1"}


async def _link_item(world: World, c: Caller, private: bool) -> dict[str, Any]:
    link = {"provider": "GITHUB", "key": "acme/shop#12", "url": "https://github.com/acme/shop/issues/12"}
    return {**await _item(world, c, private), **link}


async def _linked_item(world: World, c: Caller, private: bool) -> dict[str, Any]:
    variables = await _link_item(world, c, private)
    pk = parse_pk(variables["actionItemId"], "ActionItem")
    assert pk is not None
    actor = world.member.principal if private else world.boss
    await action_items.link_action_item(
        actor=actor, action_item_id=pk, provider=LinkProvider.GITHUB, key=variables["key"], url=variables["url"]
    )
    return {"actionItemId": variables["actionItemId"]}


async def _template(world: World, _caller: Caller) -> dict[str, Any]:
    return {"input": {"name": f"Short {uuid.uuid4().hex[:6]}", "sections": [{"key": "summary", "title": "Summary"}]}}


async def _edit_template(world: World, _caller: Caller) -> dict[str, Any]:
    section = TemplateSection(key="summary", title="Summary", kind=SectionKind.TEXT)
    template = await service.create_template(actor=world.boss, name=f"T {uuid.uuid4().hex[:6]}", sections=[section])
    return {"input": {"templateId": gid("PostmortemTemplate", template.id), "description": "For small incidents"}}


async def _private_items(world: World, _caller: Caller) -> dict[str, Any]:
    return {"filter": {"incidentId": world.ids["private"]}}


async def _all_items(_world: World, _caller: Caller) -> dict[str, Any]:
    return {"filter": None}


ITEMS = "query($filter: ActionItemFilter) { actionItems(first: 100, filter: $filter) { totalCount edges { node { id title } } } }"

QUERIES = (
    Rule(
        "postmortem",
        Access.READ,
        "query($id: ID!) { postmortem(id: $id) { id title markdown } }",
        ids(id="postmortem"),
        private=(Private(Outcome.NOT_FOUND, ids(id="private_postmortem")),),
        note="with its Markdown export",
    ),
    Rule(
        "postmortems",
        Access.READ,
        "{ postmortems(first: 100) { totalCount edges { node { id title } } } }",
        private=(Private(Outcome.OMITTED, ids()),),
    ),
    Rule("postmortemTemplates", Access.READ, "{ postmortemTemplates { id name } }"),
    Rule(
        "actionItems",
        Access.READ,
        ITEMS,
        _all_items,
        private=(
            Private(Outcome.OMITTED, _private_items, only_private=True),
            Private(Outcome.OMITTED, _all_items, member_sees=False),
        ),
    ),
)

MUTATIONS = (
    _command("createPostmortem", "CreatePostmortemInput", _create),
    _command("updatePostmortem", "UpdatePostmortemInput", _edit),
    _command("updatePostmortemStatus", "UpdatePostmortemStatusInput", _to_review),
    _command("submitPostmortemForReview", "SubmitPostmortemForReviewInput", _submit),
    _command("approvePostmortem", "ApprovePostmortemInput", _approve),
    _command("returnPostmortemToDraft", "ReturnPostmortemToDraftInput", _in_review),
    _command("publishPostmortem", "PublishPostmortemInput", _publishable),
    _command("reopenPostmortem", "ReopenPostmortemInput", _published),
    _command("highlightTimelineEvent", "HighlightTimelineEventInput", _highlight),
    _command("addPostmortemTimelineEntry", "AddPostmortemTimelineEntryInput", _add_entry),
    _command("updatePostmortemTimelineEntry", "UpdatePostmortemTimelineEntryInput", _update_entry),
    _command("removePostmortemTimelineEntry", "RemovePostmortemTimelineEntryInput", _remove_entry),
    Rule(
        "createPostmortemTemplate",
        Access.ADMIN,
        mutation("createPostmortemTemplate", "CreatePostmortemTemplateInput", "postmortemTemplate { id }"),
        _template,
    ),
    Rule(
        "updatePostmortemTemplate",
        Access.ADMIN,
        mutation("updatePostmortemTemplate", "UpdatePostmortemTemplateInput", "postmortemTemplate { id }"),
        _edit_template,
    ),
    _command("createActionItem", "CreateActionItemInput", _new_item, ITEM),
    _command("updateActionItem", "UpdateActionItemInput", _edit_item, ITEM),
    _command("completeActionItem", "CompleteActionItemInput", _item, ITEM),
    _command("linkActionItem", "LinkActionItemInput", _link_item, ITEM),
    _command("unlinkActionItem", "UnlinkActionItemInput", _linked_item, ITEM),
)

SUBSCRIPTIONS = (
    Rule(
        "postmortemUpdated",
        Access.READ,
        "subscription($id: ID!) { postmortemUpdated(postmortemId: $id) { postmortem { id title } } }",
        ids(id="postmortem"),
        private=(Private(Outcome.NOT_FOUND, ids(id="private_postmortem")),),
    ),
)
