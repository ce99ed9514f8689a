"""Postmortems through GraphQL over HTTP with the contract operations: the whole flow, errors,
permissions and privacy."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from app import clock
from app.identity.models import Role
from app.ids import to_global_id
from app.incidents.models import TimelineEvent
from tests.conftest import Actor, GraphQLClient, make_actor
from tests.contract import document


async def run(gql: GraphQLClient, operation: str, actor: Actor, /, **input: Any) -> dict[str, Any]:
    data = await gql.execute(document(operation), {"input": input}, actor=actor)
    return next(iter(data.values()))


def ok(result: dict[str, Any]) -> dict[str, Any]:
    assert result["errors"] == [], result["errors"]
    return next(value for key, value in result.items() if key != "errors")


def codes(result: dict[str, Any]) -> list[tuple[str, str | None]]:
    return [(e["code"], e["field"]) for e in result["errors"]]


async def incident_in_postmortem(gql: GraphQLClient, actor: Actor, **fields: Any) -> dict[str, Any]:
    incident = ok(
        await run(gql, "DeclareIncident", actor, **{"title": "Checkout errors", "severity": "SEV2", **fields})
    )
    for status in ("INVESTIGATING", "MONITORING", "RESOLVED", "POSTMORTEM"):
        ok(await run(gql, "UpdateIncidentStatus", actor, incidentId=incident["id"], status=status))
    return incident


async def postmortem_of(gql: GraphQLClient, actor: Actor, incident_id: str) -> dict[str, Any] | None:
    data = await gql.execute(document("IncidentPostmortem"), {"incidentId": incident_id}, actor=actor)
    return data["incident"]["postmortem"] if data["incident"] else None


async def test_the_whole_flow(gql: GraphQLClient, responder: Actor, admin: Actor, viewer: Actor) -> None:
    incident = await incident_in_postmortem(gql, responder)
    postmortem = await postmortem_of(gql, viewer, incident["id"])
    assert postmortem is not None and postmortem["status"] == "DRAFT" and postmortem["version"] == 1
    assert postmortem["incident"]["reference"] == "INC-1" and postmortem["template"]["name"] == "Standard postmortem"
    assert [a["name"] for a in postmortem["authors"]] == ["Responder User"]
    assert postmortem["allowedTransitions"] == ["IN_REVIEW"]
    assert postmortem["keyTimes"]["detectedAt"] and postmortem["keyTimes"]["resolvedAt"]
    assert postmortem["duration"]["seconds"] >= 0 and postmortem["timeToAcknowledge"] is not None
    assert [e["event"]["kind"] for e in postmortem["timeline"]] == [
        "DECLARED",
        "STATUS_CHANGED",
        "STATUS_CHANGED",
        "STATUS_CHANGED",
        "STATUS_CHANGED",
    ]
    pid = postmortem["id"]

    edited = ok(
        await run(
            gql,
            "UpdatePostmortem",
            responder,
            postmortemId=pid,
            expectedVersion=1,
            sections=[{"key": "summary", "body": "Checkout failed for 12% of orders."}],
            whys=[{"question": "Why did orders fail?", "answer": "The payments client timed out."}],
            contributingFactors=[{"category": "TECHNOLOGY", "description": "No timeout budget"}],
        )
    )
    assert edited["version"] == 2 and edited["whys"] == [
        {"question": "Why did orders fail?", "answer": "The payments client timed out."}
    ]
    assert next(s for s in edited["sections"] if s["key"] == "summary")["body"] == "Checkout failed for 12% of orders."
    stale = await run(gql, "UpdatePostmortem", responder, postmortemId=pid, expectedVersion=1, title="x")
    assert codes(stale) == [("VERSION_CONFLICT", "expectedVersion")]

    note = await TimelineEvent.filter(kind="STATUS_CHANGED").order_by("sequence").first()
    highlighted = ok(
        await run(
            gql,
            "HighlightTimelineEvent",
            responder,
            postmortemId=pid,
            eventId=to_global_id("TimelineEvent", note.id),
            annotation="Paged here",
        )
    )  # type: ignore[union-attr]
    assert any(e["annotation"] == "Paged here" for e in highlighted["timeline"])
    before = (clock.now() - timedelta(hours=1)).isoformat()
    added = ok(
        await run(
            gql,
            "AddPostmortemTimelineEntry",
            responder,
            postmortemId=pid,
            occurredAt=before,
            body="Deploy of payments v2.31",
        )
    )
    assert (
        added["version"] == 4
        and added["timeline"][0]["text"] == "Deploy of payments v2.31"
        and added["timeline"][0]["event"] is None
    )
    for when in ("2999-01-01T00:00:00Z", "2020-01-01T00:00:00Z"):
        refused = await run(gql, "AddPostmortemTimelineEntry", responder, postmortemId=pid, occurredAt=when, body="x")
        assert codes(refused) == [("VALIDATION", "occurredAt")]

    peer = await make_actor(Role.RESPONDER, "peer@example.com")
    item = ok(
        await run(
            gql,
            "CreateActionItem",
            responder,
            incidentId=incident["id"],
            postmortemId=pid,
            title="Add a timeout budget",
            kind="PREVENT",
            priority="P2",
            ownerId=peer.global_id,
            dueDate="2030-01-31",
        )
    )
    assert (item["status"], item["priority"], item["owner"]["name"], item["postmortem"]["id"]) == (
        "OPEN",
        "P2",
        "Responder User",
        pid,
    )
    submitted = ok(
        await run(gql, "SubmitPostmortemForReview", responder, postmortemId=pid, reviewerIds=[peer.global_id])
    )
    assert submitted["status"] == "IN_REVIEW" and submitted["publishBlockers"] == [
        "It needs an approval of its current content by a reviewer who is not an author"
    ]
    refused = await run(gql, "PublishPostmortem", responder, postmortemId=pid)
    assert codes(refused) == [("POLICY", "postmortemId")]
    approved = ok(await run(gql, "ApprovePostmortem", peer, postmortemId=pid, comment="Clear and blameless"))
    assert approved["reviewers"][0]["approved"] is True and approved["publishBlockers"] == []
    published = ok(await run(gql, "PublishPostmortem", peer, postmortemId=pid, expectedVersion=approved["version"]))
    assert (
        published["status"] == "PUBLISHED"
        and published["publishedBy"]["name"] == "Responder User"
        and published["publishedAt"]
    )
    frozen = await run(gql, "UpdatePostmortem", responder, postmortemId=pid, title="Changed")
    assert codes(frozen) == [("CONFLICT", "postmortemId")]
    closed = ok(await run(gql, "UpdateIncidentStatus", responder, incidentId=incident["id"], status="CLOSED"))
    assert closed["status"] == "CLOSED"

    data = await gql.execute(document("Postmortem"), {"id": pid, "revisionsFirst": 2}, actor=viewer)
    revisions = data["postmortem"]["revisions"]
    assert revisions["totalCount"] == 5 and revisions["pageInfo"]["hasNextPage"] is True
    assert [(e["node"]["section"], e["node"]["version"]) for e in revisions["edges"]] == [
        ("timeline", 4),
        ("timeline", 3),
    ]
    assert (
        revisions["edges"][0]["node"]["after"]["body"] == "Deploy of payments v2.31"
        and revisions["edges"][0]["node"]["before"] is None
    )
    rest = await gql.execute(
        document("Postmortem"), {"id": pid, "revisionsAfter": revisions["pageInfo"]["endCursor"]}, actor=viewer
    )
    assert [e["node"]["section"] for e in rest["postmortem"]["revisions"]["edges"]] == [
        "contributingFactors",
        "whys",
        "summary",
    ]
    summary = rest["postmortem"]["revisions"]["edges"][-1]["node"]
    assert (summary["before"], summary["after"], summary["actor"]["name"]) == (
        "",
        "Checkout failed for 12% of orders.",
        "Responder User",
    )
    reopened = ok(await run(gql, "ReopenPostmortem", responder, postmortemId=pid, reason="New data"))
    assert reopened["status"] == "DRAFT" and reopened["allowedTransitions"] == ["IN_REVIEW"]


async def test_viewers_read_and_responders_edit(
    gql: GraphQLClient, responder: Actor, viewer: Actor, admin: Actor
) -> None:
    incident = await incident_in_postmortem(gql, responder)
    postmortem = await postmortem_of(gql, viewer, incident["id"])
    assert postmortem is not None
    pid = postmortem["id"]
    for operation, input in (
        ("UpdatePostmortem", {"postmortemId": pid, "title": "Mine"}),
        ("SubmitPostmortemForReview", {"postmortemId": pid}),
        ("CreateActionItem", {"incidentId": incident["id"], "title": "t", "kind": "DETECT"}),
        ("CreatePostmortem", {"incidentId": incident["id"]}),
    ):
        assert codes(await run(gql, operation, viewer, **input)) == [("FORBIDDEN", None)], operation
    sections = [{"key": "impact", "title": "Impact", "kind": "TEXT"}]
    assert codes(await run(gql, "CreatePostmortemTemplate", responder, name="Mine", sections=sections)) == [
        ("FORBIDDEN", None)
    ]
    template = ok(
        await run(gql, "CreatePostmortemTemplate", admin, name="Short", sections=sections, description="For SEV4")
    )
    assert (
        template["sections"] == [{"key": "impact", "title": "Impact", "kind": "TEXT", "guidance": ""}]
        and template["isDefault"] is False
    )
    updated = ok(
        await run(gql, "UpdatePostmortemTemplate", admin, templateId=template["id"], isDefault=True, name="Short form")
    )
    assert (updated["name"], updated["isDefault"]) == ("Short form", True)
    templates = (await gql.execute(document("PostmortemTemplates"), actor=viewer))["postmortemTemplates"]
    assert [(t["name"], t["isDefault"], t["builtin"]) for t in templates] == [
        ("Short form", True, False),
        ("Standard postmortem", False, True),
    ]
    bad = await run(gql, "CreatePostmortemTemplate", admin, name="Bad", sections=[{"key": "Bad Key", "title": "x"}])
    assert codes(bad) == [("VALIDATION", "sections")]


async def test_private_incidents_hide_their_postmortems(
    gql: GraphQLClient, responder: Actor, viewer: Actor, admin: Actor
) -> None:
    incident = await incident_in_postmortem(gql, responder, private=True)
    mine = await postmortem_of(gql, responder, incident["id"])
    assert mine is not None
    other = await make_actor(Role.RESPONDER, "other@example.com")
    assert await postmortem_of(gql, viewer, incident["id"]) is None
    for actor in (viewer, other):
        assert (await gql.execute(document("Postmortem"), {"id": mine["id"]}, actor=actor))["postmortem"] is None
        assert (await gql.execute(document("Node"), {"id": mine["id"]}, actor=actor))["node"] is None
        assert (await gql.execute(document("Postmortems"), actor=actor))["postmortems"]["totalCount"] == 0
    assert codes(await run(gql, "UpdatePostmortem", other, postmortemId=mine["id"], title="Peek")) == [
        ("NOT_FOUND", "postmortemId")
    ]
    assert codes(
        await run(gql, "CreateActionItem", other, incidentId=incident["id"], title="Peek", kind="PROCESS")
    ) == [("NOT_FOUND", "incidentId")]
    assert (await gql.execute(document("Postmortem"), {"id": mine["id"]}, actor=admin))["postmortem"]["id"] == mine[
        "id"
    ]
    node = await gql.execute(document("Node"), {"id": mine["id"]}, actor=responder)
    assert node["node"]["__typename"] == "Postmortem"


async def test_postmortems_page_and_filters(gql: GraphQLClient, responder: Actor, viewer: Actor) -> None:
    first = await incident_in_postmortem(gql, responder)
    second = await incident_in_postmortem(gql, responder)
    peer = await make_actor(Role.RESPONDER, "peer@example.com")
    pm = await postmortem_of(gql, responder, second["id"])
    ok(await run(gql, "SubmitPostmortemForReview", responder, postmortemId=pm["id"], reviewerIds=[peer.global_id]))  # type: ignore[index]
    page = (await gql.execute(document("Postmortems"), {"first": 1}, actor=viewer))["postmortems"]
    assert (
        page["totalCount"] == 2
        and page["edges"][0]["node"]["incident"]["id"] == second["id"]
        and page["pageInfo"]["hasNextPage"]
    )
    rest = (await gql.execute(document("Postmortems"), {"after": page["pageInfo"]["endCursor"]}, actor=viewer))[
        "postmortems"
    ]
    assert [e["node"]["incident"]["id"] for e in rest["edges"]] == [first["id"]]
    in_review = (await gql.execute(document("Postmortems"), {"filter": {"status": ["IN_REVIEW"]}}, actor=viewer))[
        "postmortems"
    ]
    assert [e["node"]["id"] for e in in_review["edges"]] == [pm["id"]]  # type: ignore[index]
    mine_to_review = (
        await gql.execute(document("Postmortems"), {"filter": {"reviewerId": peer.global_id}}, actor=viewer)
    )["postmortems"]
    assert mine_to_review["totalCount"] == 1
    by_author = (await gql.execute(document("Postmortems"), {"filter": {"authorId": peer.global_id}}, actor=viewer))[
        "postmortems"
    ]
    assert by_author["totalCount"] == 0


async def test_create_on_demand_and_errors(gql: GraphQLClient, responder: Actor) -> None:
    incident = ok(await run(gql, "DeclareIncident", responder, title="Slow", severity="SEV3"))
    created = ok(await run(gql, "CreatePostmortem", responder, incidentId=incident["id"]))
    assert created["status"] == "DRAFT" and created["incident"]["id"] == incident["id"]
    assert codes(await run(gql, "CreatePostmortem", responder, incidentId=incident["id"])) == [
        ("CONFLICT", "incidentId")
    ]
    assert codes(await run(gql, "CreatePostmortem", responder, incidentId="nope")) == [("NOT_FOUND", "incidentId")]
    assert codes(await run(gql, "CreatePostmortem", responder, incidentId=incident["id"], templateId="nope")) == [
        ("NOT_FOUND", "templateId")
    ]


async def test_language_findings_name_the_people_involved(gql: GraphQLClient, responder: Actor, viewer: Actor) -> None:
    incident = await incident_in_postmortem(gql, responder)
    pm = await postmortem_of(gql, responder, incident["id"])
    assert pm is not None
    commander = await make_actor(Role.RESPONDER, "kim@example.com")
    from app.identity.models import User

    await User.filter(id=commander.user_id).update(name="Kim Lee")
    ok(
        await run(
            gql,
            "AssignIncidentRole",
            responder,
            incidentId=incident["id"],
            role="INCIDENT_COMMANDER",
            userId=commander.global_id,
        )
    )
    summary = "Kim forgot to page the database team. The retry job failed to start."
    ok(
        await run(
            gql,
            "UpdatePostmortem",
            responder,
            postmortemId=pm["id"],
            sections=[{"key": "summary", "body": summary}],
            whys=[{"question": "Why?", "answer": "Human error."}],
        )
    )
    found = (await gql.execute(document("Postmortem"), {"id": pm["id"]}, actor=viewer))["postmortem"][
        "languageFindings"
    ]
    assert [(f["section"], f["offset"], f["phrase"], f["category"], f["rule"]) for f in found] == [
        ("summary", 0, "Kim forgot", "PERSON_AS_CAUSE", "person-caused"),
        ("whys[0].answer", 0, "Human error", "BLAME", "human-error"),
    ]
    assert all(f["suggestion"] for f in found)


async def test_people_review_and_timeline_edits(gql: GraphQLClient, responder: Actor, viewer: Actor) -> None:
    incident = await incident_in_postmortem(gql, responder)
    pm = await postmortem_of(gql, responder, incident["id"])
    assert pm is not None
    co_author = await make_actor(Role.RESPONDER, "co@example.com")
    peer = await make_actor(Role.RESPONDER, "peer@example.com")
    people = ok(
        await run(
            gql,
            "UpdatePostmortem",
            responder,
            postmortemId=pm["id"],
            authorIds=[responder.global_id, co_author.global_id],
            reviewerIds=[peer.global_id],
        )
    )
    assert [a["id"] for a in people["authors"]] == [responder.global_id, co_author.global_id]
    assert [(r["user"]["id"], r["approved"]) for r in people["reviewers"]] == [(peer.global_id, False)]
    assert codes(await run(gql, "UpdatePostmortem", responder, postmortemId=pm["id"], authorIds=[])) == [
        ("VALIDATION", "authorIds")
    ]
    assert codes(
        await run(gql, "UpdatePostmortem", responder, postmortemId=pm["id"], reviewerIds=[viewer.global_id])
    ) == [("VALIDATION", "reviewerIds")]
    assert codes(
        await run(gql, "UpdatePostmortem", responder, postmortemId=pm["id"], sections=[{"key": "nope", "body": "x"}])
    ) == [("VALIDATION", "sections")]

    submitted = ok(await run(gql, "SubmitPostmortemForReview", co_author, postmortemId=pm["id"]))
    assert submitted["status"] == "IN_REVIEW" and submitted["allowedTransitions"] == ["DRAFT", "PUBLISHED"]
    assert codes(await run(gql, "ApprovePostmortem", co_author, postmortemId=pm["id"])) == [
        ("FORBIDDEN", "postmortemId")
    ]
    returned = ok(
        await run(gql, "ReturnPostmortemToDraft", peer, postmortemId=pm["id"], reason="Say how we detected it")
    )
    assert returned["status"] == "DRAFT"
    data = await gql.execute(document("Incident"), {"id": incident["id"]}, actor=viewer)
    kinds = [e["node"]["kind"] for e in data["incident"]["timeline"]["edges"]]
    assert kinds[-3:] == ["POSTMORTEM_CREATED", "POSTMORTEM_SUBMITTED", "POSTMORTEM_RETURNED"]
    assert data["incident"]["timeline"]["edges"][-1]["node"]["message"] == "Say how we detected it"

    entries = returned["timeline"]
    changed = ok(
        await run(
            gql,
            "UpdatePostmortemTimelineEntry",
            responder,
            entryId=entries[0]["id"],
            annotation="The page went out here",
        )
    )
    assert changed["timeline"][0]["annotation"] == "The page went out here"
    refused = await run(gql, "UpdatePostmortemTimelineEntry", responder, entryId=entries[0]["id"], body="Rewritten")
    assert codes(refused) == [("VALIDATION", "body")]
    removed = ok(
        await run(
            gql,
            "RemovePostmortemTimelineEntry",
            responder,
            entryId=entries[0]["id"],
            expectedVersion=changed["version"],
        )
    )
    assert [e["id"] for e in removed["timeline"]] == [e["id"] for e in entries[1:]]
    assert codes(await run(gql, "RemovePostmortemTimelineEntry", responder, entryId="nope")) == [
        ("NOT_FOUND", "entryId")
    ]


async def test_update_postmortem_status_takes_the_matching_step(gql: GraphQLClient, responder: Actor) -> None:
    incident = await incident_in_postmortem(gql, responder)
    pm = await postmortem_of(gql, responder, incident["id"])
    assert pm is not None
    peer = await make_actor(Role.RESPONDER, "peer@example.com")
    skip = await run(gql, "UpdatePostmortemStatus", responder, postmortemId=pm["id"], status="PUBLISHED")
    assert (
        codes(skip) == [("INVALID_TRANSITION", "status")]
        and "allowed from DRAFT: IN_REVIEW" in skip["errors"][0]["message"]
    )
    assert codes(await run(gql, "UpdatePostmortemStatus", responder, postmortemId=pm["id"], status="IN_REVIEW")) == [
        ("VALIDATION", "reviewerIds")
    ]
    ok(
        await run(
            gql,
            "UpdatePostmortem",
            responder,
            postmortemId=pm["id"],
            reviewerIds=[peer.global_id],
            noActionItemsReason="A provider outage",
        )
    )
    in_review = ok(
        await run(
            gql, "UpdatePostmortemStatus", responder, postmortemId=pm["id"], status="IN_REVIEW", expectedVersion=2
        )
    )
    assert in_review["status"] == "IN_REVIEW"
    assert codes(await run(gql, "UpdatePostmortemStatus", responder, postmortemId=pm["id"], status="PUBLISHED")) == [
        ("POLICY", "postmortemId")
    ]
    ok(await run(gql, "ApprovePostmortem", peer, postmortemId=pm["id"]))
    published = ok(await run(gql, "UpdatePostmortemStatus", responder, postmortemId=pm["id"], status="PUBLISHED"))
    assert published["status"] == "PUBLISHED"
    reopened = ok(
        await run(
            gql, "UpdatePostmortemStatus", responder, postmortemId=pm["id"], status="DRAFT", message="New evidence"
        )
    )
    assert reopened["status"] == "DRAFT" and reopened["reviewers"][0]["approved"] is False
    data = await gql.execute(document("Incident"), {"id": incident["id"]}, actor=responder)
    last = data["incident"]["timeline"]["edges"][-1]["node"]
    assert (last["kind"], last["message"]) == ("POSTMORTEM_REOPENED", "New evidence")
