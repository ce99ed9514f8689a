"""Action items through GraphQL with the contract operations: the issue's shape, mutations and
their errors, the filtered page, Incident.actionItems, User.actionItems and node."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from app import clock
from app.identity.models import Role
from tests.conftest import Actor, GraphQLClient, make_actor
from tests.contract import document

TODAY = clock.now().date()


async def run(gql: GraphQLClient, operation: str, actor: Actor, /, **input: Any) -> dict[str, Any]:
    data = await gql.execute(document(operation), {"input": input}, actor=actor)
    return next(iter(data.values()))


def ok(result: dict[str, Any]) -> dict[str, Any]:
    assert result["errors"] == [], result["errors"]
    return next(value for key, value in result.items() if key != "errors")


def codes(result: dict[str, Any]) -> list[tuple[str, str | None]]:
    return [(e["code"], e["field"]) for e in result["errors"]]


async def test_action_item_lifecycle(gql: GraphQLClient, responder: Actor, viewer: Actor) -> None:
    incident = ok(await run(gql, "DeclareIncident", responder, title="Checkout errors", severity="SEV2"))
    postmortem = ok(await run(gql, "CreatePostmortem", responder, incidentId=incident["id"]))
    due = (TODAY + timedelta(days=14)).isoformat()
    item = ok(
        await run(
            gql,
            "CreateActionItem",
            responder,
            incidentId=incident["id"],
            postmortemId=postmortem["id"],
            title="Add a timeout budget",
            description="Per **call**",
            ownerId=responder.global_id,
            dueDate=due,
            priority="P2",
            kind="PREVENT",
        )
    )
    assert {
        k: item[k]
        for k in (
            "title",
            "description",
            "priority",
            "status",
            "kind",
            "dueDate",
            "overdue",
            "version",
            "completedAt",
            "externalLink",
        )
    } == {
        "title": "Add a timeout budget",
        "description": "Per **call**",
        "priority": "P2",
        "status": "OPEN",
        "kind": "PREVENT",
        "dueDate": due,
        "overdue": False,
        "version": 1,
        "completedAt": None,
        "externalLink": None,
    }
    assert (item["incident"]["id"], item["postmortem"]["id"], item["owner"]["id"]) == (
        incident["id"],
        postmortem["id"],
        responder.global_id,
    )

    linked = ok(
        await run(
            gql,
            "LinkActionItem",
            responder,
            actionItemId=item["id"],
            provider="LINEAR",
            key="pay-81",
            url="https://linear.app/acme/issue/PAY-81",
        )
    )
    assert (
        linked["externalLink"] == {"provider": "LINEAR", "key": "PAY-81", "url": "https://linear.app/acme/issue/PAY-81"}
        and linked["version"] == 2
    )
    assert codes(
        await run(
            gql,
            "LinkActionItem",
            responder,
            actionItemId=item["id"],
            provider="JIRA",
            key="not a key",
            url="https://jira.example.com",
        )
    ) == [("VALIDATION", "key")]
    assert codes(
        await run(
            gql,
            "LinkActionItem",
            responder,
            actionItemId=item["id"],
            provider="GITHUB",
            key="acme/api#1",
            url="ssh://github.com/acme/api",
        )
    ) == [("VALIDATION", "url")]
    updated = ok(
        await run(
            gql,
            "UpdateActionItem",
            responder,
            actionItemId=item["id"],
            expectedVersion=2,
            status="IN_PROGRESS",
            dueDate=None,
            priority="P1",
        )
    )
    assert (updated["status"], updated["dueDate"], updated["priority"], updated["description"]) == (
        "IN_PROGRESS",
        None,
        "P1",
        "Per **call**",
    )
    assert codes(
        await run(gql, "UpdateActionItem", responder, actionItemId=item["id"], expectedVersion=2, title="x")
    ) == [("VERSION_CONFLICT", "expectedVersion")]
    done = ok(await run(gql, "CompleteActionItem", responder, actionItemId=item["id"]))
    assert done["status"] == "DONE" and done["completedAt"]
    assert codes(await run(gql, "UpdateActionItem", responder, actionItemId=item["id"], status="WONT_DO")) == [
        ("VALIDATION", "status")
    ]
    unlinked = ok(await run(gql, "UnlinkActionItem", responder, actionItemId=item["id"]))
    assert unlinked["externalLink"] is None
    for operation, input in (
        ("CompleteActionItem", {"actionItemId": item["id"]}),
        ("LinkActionItem", {"actionItemId": item["id"], "provider": "OTHER", "key": "x", "url": "https://x.example"}),
    ):
        assert codes(await run(gql, operation, viewer, **input)) == [("FORBIDDEN", None)]
    assert codes(await run(gql, "CompleteActionItem", responder, actionItemId="bogus")) == [
        ("NOT_FOUND", "actionItemId")
    ]
    node = await gql.execute(document("Node"), {"id": item["id"]}, actor=viewer)
    assert node["node"]["__typename"] == "ActionItem"


async def test_filtered_page_and_relations(gql: GraphQLClient, responder: Actor, viewer: Actor) -> None:
    first = ok(await run(gql, "DeclareIncident", responder, title="A", severity="SEV3"))
    second = ok(await run(gql, "DeclareIncident", responder, title="B", severity="SEV3"))
    owner = await make_actor(Role.RESPONDER, "owner@example.com")
    specs = [
        (first, "late", -2, owner),
        (first, "soon", 3, owner),
        (second, "undated", None, None),
        (second, "late too", -1, None),
    ]
    ids = {}
    for incident, title, days, who in specs:
        fields: dict[str, Any] = {"incidentId": incident["id"], "title": title, "kind": "PROCESS"}
        if days is not None:
            fields["dueDate"] = (TODAY + timedelta(days=days)).isoformat()
        if who is not None:
            fields["ownerId"] = who.global_id
        ids[title] = ok(await run(gql, "CreateActionItem", responder, **fields))["id"]

    async def titles(flt: dict[str, Any] | None = None, first: int | None = None) -> tuple[list[str], dict[str, Any]]:
        page = (await gql.execute(document("ActionItems"), {"filter": flt, "first": first}, actor=viewer))[
            "actionItems"
        ]
        return [e["node"]["title"] for e in page["edges"]], page

    assert (await titles())[0] == ["late", "late too", "soon", "undated"]
    overdue, page = await titles({"overdue": True})
    assert (
        overdue == ["late", "late too"] and page["totalCount"] == 2 and all(e["node"]["overdue"] for e in page["edges"])
    )
    assert (await titles({"owner": owner.global_id}))[0] == ["late", "soon"]
    assert (await titles({"incidentId": second["id"], "status": "OPEN"}))[0] == ["late too", "undated"]
    assert (await titles({"dueBefore": TODAY.isoformat()}))[0] == ["late", "late too"]
    one, page = await titles(first=1)
    assert one == ["late"] and page["pageInfo"]["hasNextPage"] and page["totalCount"] == 4
    data = await gql.execute(document("ActionItems"), {"after": page["pageInfo"]["endCursor"]}, actor=viewer)
    assert [e["node"]["title"] for e in data["actionItems"]["edges"]] == ["late too", "soon", "undated"]
    bad = await gql.post(document("ActionItems"), {"filter": {"owner": "nope"}}, actor=viewer)
    assert bad.json()["errors"][0]["extensions"] == {"code": "NOT_FOUND", "field": "filter.owner"}

    incident_items = (await gql.execute(document("IncidentPostmortem"), {"incidentId": first["id"]}, actor=viewer))[
        "incident"
    ]
    assert [i["title"] for i in incident_items["actionItems"]] == ["late", "soon"] and incident_items[
        "postmortem"
    ] is None
    ok(await run(gql, "CompleteActionItem", owner, actionItemId=ids["soon"]))
    mine = (await gql.execute(document("MyActionItems"), actor=owner))["viewer"]["actionItems"]
    assert [i["title"] for i in mine] == ["late"]
    everything = (await gql.execute(document("MyActionItems"), {"status": ["OPEN", "DONE"]}, actor=owner))["viewer"][
        "actionItems"
    ]
    assert [i["title"] for i in everything] == ["late", "soon"]
    users = await gql.execute("{ users { edges { node { email actionItems { title } } } } }", actor=viewer)
    by_email = {e["node"]["email"]: [i["title"] for i in e["node"]["actionItems"]] for e in users["users"]["edges"]}
    assert by_email["owner@example.com"] == ["late", "soon"] and by_email["viewer@example.com"] == []


async def test_a_page_of_action_items_costs_a_bounded_number_of_queries(
    gql: GraphQLClient, responder: Actor, viewer: Actor
) -> None:
    import logging

    incident = ok(await run(gql, "DeclareIncident", responder, title="A", severity="SEV3"))
    postmortem = ok(await run(gql, "CreatePostmortem", responder, incidentId=incident["id"]))

    async def count_queries(items: int) -> int:
        while len((await gql.execute(document("ActionItems"), actor=viewer))["actionItems"]["edges"]) < items:
            owner = await make_actor(Role.RESPONDER)
            ok(
                await run(
                    gql,
                    "CreateActionItem",
                    responder,
                    incidentId=incident["id"],
                    postmortemId=postmortem["id"],
                    title="t",
                    kind="DETECT",
                    ownerId=owner.global_id,
                )
            )
        seen: list[str] = []

        class Collect(logging.Handler):
            def emit(self, record: logging.LogRecord) -> None:
                seen.append(record.getMessage())

        handler = Collect(level=logging.DEBUG)
        logger = logging.getLogger("tortoise.db_client")
        logger.addHandler(handler)
        previous = logger.level
        logger.setLevel(logging.DEBUG)
        try:
            await gql.execute(document("ActionItems"), actor=viewer)
        finally:
            logger.removeHandler(handler)
            logger.setLevel(previous)
        return len(seen)

    small = await count_queries(2)
    assert 0 < small == await count_queries(8)


async def test_the_postmortem_alone_names_the_incident(gql: GraphQLClient, responder: Actor) -> None:
    incident = ok(await run(gql, "DeclareIncident", responder, title="A", severity="SEV3"))
    postmortem = ok(await run(gql, "CreatePostmortem", responder, incidentId=incident["id"]))
    item = ok(await run(gql, "CreateActionItem", responder, postmortemId=postmortem["id"], title="Write the runbook"))
    assert (item["incident"]["id"], item["postmortem"]["id"], item["kind"], item["priority"]) == (
        incident["id"],
        postmortem["id"],
        "PREVENT",
        "P3",
    )
    assert codes(await run(gql, "CreateActionItem", responder, title="Orphan")) == [("VALIDATION", "incidentId")]
    assert codes(await run(gql, "CreateActionItem", responder, postmortemId="nope", title="x")) == [
        ("NOT_FOUND", "postmortemId")
    ]
