"""The Markdown export, as the `markdown` field and as `GET /postmortems/{id}.md`: a complete
document (facts, key times, sections, 5 whys, factors, timeline, action items), with the API's
auth rules; and the computed durations against known timestamps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx

from app import clock
from app.identity.models import Role
from app.ids import to_global_id
from app.incidents import access
from app.incidents.enums import Severity
from app.incidents.models import Incident
from app.postmortems import curation, review, service
from app.postmortems.action_items import service as action_items
from app.postmortems.content import Factor, Why
from app.postmortems.enums import ActionItemKind, ActionItemPriority, FactorCategory, LinkProvider
from app.postmortems.models import Postmortem, PostmortemTimelineEntry
from app.postmortems.service import SectionEdit
from tests.conftest import Actor, Backend, GraphQLClient, make_actor
from tests.contract import document
from tests.postmortems.helpers import approved, in_postmortem

T0 = datetime(2026, 3, 1, 14, 2, tzinfo=UTC)
LAST_WEEK = clock.now().date() - timedelta(days=7)


async def written_postmortem(responder: Actor, **incident: object) -> tuple[Incident, Postmortem]:
    """A postmortem with every part filled in, on an incident with known timestamps."""
    incident_row, postmortem = await in_postmortem(responder, Severity.SEV2, **incident)
    await Incident.filter(id=incident_row.id).update(
        declared_at=T0,
        acknowledged_at=T0 + timedelta(minutes=4),
        identified_at=T0 + timedelta(minutes=20),
        mitigated_at=T0 + timedelta(hours=1, minutes=3),
        resolved_at=T0 + timedelta(hours=2, minutes=10),
    )
    await PostmortemTimelineEntry.filter(postmortem_id=postmortem.id).delete()
    owner = await make_actor(Role.RESPONDER, "owner@example.com")
    await access.add_member(
        actor=responder.principal, incident_id=incident_row.id, user_id=owner.user_id
    )  # may own its items
    p = responder.principal
    await service.update_postmortem(
        actor=p,
        postmortem_id=postmortem.id,
        sections=[
            SectionEdit("summary", "Checkout failed for **12%** of orders for two hours."),
            SectionEdit("root_cause", "The client had no timeout budget."),
        ],
        whys=[
            Why("Why did orders fail?", "The payments client timed out."),
            Why("Why did it time out?", "Retries | stacked up.\nEach waited 30 s."),
        ],
        contributing_factors=[
            Factor(FactorCategory.TECHNOLOGY, "No timeout budget"),
            Factor(FactorCategory.PEOPLE_AND_COMMUNICATION, "Status page updated late"),
        ],
    )
    await curation.add_entry(
        actor=p, postmortem_id=postmortem.id, occurred_at=T0 - timedelta(minutes=30), body="payments v2.31 deployed"
    )
    entry = await PostmortemTimelineEntry.get(postmortem_id=postmortem.id)
    await curation.update_entry(actor=p, entry_id=entry.id, annotation="The deploy passed every check")
    item = await action_items.create_action_item(
        actor=p,
        incident_id=incident_row.id,
        postmortem_id=postmortem.id,
        title="Add a timeout budget | retries",
        kind=ActionItemKind.PREVENT,
        priority=ActionItemPriority.P1,
        owner_id=owner.user_id,
        due_date=LAST_WEEK,
    )
    await action_items.link_action_item(
        actor=p,
        action_item_id=item.id,
        provider=LinkProvider.JIRA,
        key="PAY-12",
        url="https://acme.atlassian.net/browse/PAY-12",
    )
    return await Incident.get(id=incident_row.id), await Postmortem.get(id=postmortem.id)


def check_document(text: str, reference: str) -> None:
    assert text.startswith(f"# Postmortem: {reference} Checkout errors\n")
    for expected in (
        f"| Incident | {reference}: Checkout errors |",
        "| Severity | SEV2 |",
        "| Postmortem status | PUBLISHED (",
        "| Authors | Responder User |",
        "| Acknowledged | 2026-03-01 14:06 UTC | 4 min |",
        "| Resolved | 2026-03-01 16:12 UTC | 2 h 10 min |",
        "- **Duration:** 2 h 10 min",
        "- **Time to mitigate:** 1 h 3 min",
        "## Summary\n\nCheckout failed for **12%** of orders for two hours.",
        "## Customer impact\n\n_Not written yet._",
        "## Root cause analysis\n\nThe client had no timeout budget.\n\n1. **Why did orders fail?**\n   The payments client timed out.\n2. **Why did it time out?**\n   Retries | stacked up.\n   Each waited 30 s.",
        "- **Technology:** No timeout budget",
        "- **People and communication:** Status page updated late",
        "## Timeline\n\n- **2026-03-01 13:32 UTC** payments v2.31 deployed\n  > The deploy passed every check",
        f"| P1 | Add a timeout budget \\| retries | PREVENT | Responder User | {LAST_WEEK.isoformat()} (overdue) | OPEN | [PAY-12](<https://acme.atlassian.net/browse/PAY-12>) |",
    ):
        assert expected in text, expected
    assert (
        text.index("## Summary")
        < text.index("## Root cause analysis")
        < text.index("## Lessons learned")
        < text.index("## Timeline")
        < text.index("## Action items")
    )


async def publish(responder: Actor, postmortem: Postmortem) -> None:
    peer = await make_actor(Role.RESPONDER, "reviewer@example.com")
    await approved(responder, postmortem, peer)
    await review.publish(actor=responder.principal, postmortem_id=postmortem.id)


async def test_markdown_field_and_endpoint(gql: GraphQLClient, responder: Actor, viewer: Actor) -> None:
    incident, postmortem = await written_postmortem(responder)
    await publish(responder, postmortem)
    gid = to_global_id("Postmortem", postmortem.id)
    field = (await gql.execute(document("PostmortemMarkdown"), {"id": gid}, actor=viewer))["postmortem"]["markdown"]
    check_document(field, incident.reference)
    response = await gql.http.get(f"/postmortems/{gid}.md", headers=viewer.headers)
    assert response.status_code == 200 and response.text == field
    assert response.headers["content-type"] == "text/markdown; charset=utf-8"
    assert response.headers["content-disposition"] == f'inline; filename="{incident.reference}-postmortem.md"'


async def test_durations_from_known_timestamps(gql: GraphQLClient, responder: Actor) -> None:
    _, postmortem = await written_postmortem(responder)
    data = await gql.execute(document("Postmortem"), {"id": to_global_id("Postmortem", postmortem.id)}, actor=responder)
    found = data["postmortem"]
    assert found["keyTimes"] == {
        "detectedAt": "2026-03-01T14:02:00Z",
        "acknowledgedAt": "2026-03-01T14:06:00Z",
        "identifiedAt": "2026-03-01T14:22:00Z",
        "mitigatedAt": "2026-03-01T15:05:00Z",
        "resolvedAt": "2026-03-01T16:12:00Z",
    }
    assert found["timeToAcknowledge"] == {"seconds": 240, "text": "4 min"}
    assert found["timeToMitigate"] == {"seconds": 3780, "text": "1 h 3 min"}
    assert found["timeToResolve"] == found["duration"] == {"seconds": 7800, "text": "2 h 10 min"}


async def test_endpoint_auth_rules(gql: GraphQLClient, responder: Actor, viewer: Actor, admin: Actor) -> None:
    _, postmortem = await written_postmortem(responder, private=True)
    gid = to_global_id("Postmortem", postmortem.id)
    http: httpx.AsyncClient = gql.http
    missing = await http.get(f"/postmortems/{gid}.md")
    assert missing.status_code == 401 and missing.headers["www-authenticate"] == "Bearer"
    assert missing.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    for header in ("Bearer fbk_unknown", "Basic abc"):
        assert (await http.get(f"/postmortems/{gid}.md", headers={"Authorization": header})).status_code == 401
    hidden = await http.get(f"/postmortems/{gid}.md", headers=viewer.headers)  # private: as if it did not exist
    assert hidden.status_code == 404 and hidden.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    for unknown in (
        to_global_id("Postmortem", postmortem.id + 50),
        to_global_id("Incident", postmortem.incident_id),
        "garbage",
    ):
        assert (await http.get(f"/postmortems/{unknown}.md", headers=admin.headers)).status_code == 404
    assert (await http.get(f"/postmortems/{gid}.md", headers=responder.headers)).status_code == 200
    assert (await http.get(f"/postmortems/{gid}.md", headers=admin.headers)).status_code == 200
    assert (await http.get(f"/postmortems/{gid}", headers=admin.headers)).status_code == 404


async def test_a_fresh_postmortem_exports_too(gql: GraphQLClient, responder: Actor) -> None:
    _, postmortem = await in_postmortem(responder, Severity.SEV3)
    text = (
        await gql.execute(
            document("PostmortemMarkdown"), {"id": to_global_id("Postmortem", postmortem.id)}, actor=responder
        )
    )["postmortem"]["markdown"]
    assert (
        "| Postmortem status | DRAFT |" in text
        and "_No 5-whys chain yet._" in text
        and "_No action items yet._" in text
    )
    timeline = text.split("## Timeline")[1].split("## Action items")[0]
    assert "Status changed from RESOLVED to POSTMORTEM _(Responder User)_" in timeline  # key events are on it


async def test_failed_authentication_is_audited(gql: GraphQLClient, responder: Actor) -> None:
    from app.audit.models import AuditEntry

    _, postmortem = await in_postmortem(responder, Severity.SEV3)
    gid = to_global_id("Postmortem", postmortem.id)
    assert (
        await gql.http.get(f"/postmortems/{gid}.md", headers={"Authorization": "Bearer fbk_unknown"})
    ).status_code == 401
    entry = await AuditEntry.filter(operation="authenticate").order_by("-id").first()
    assert entry is not None and entry.details["via"] == "GET /postmortems/{id}.md"


async def test_the_endpoint_shares_the_api_request_limits(clean_db: Backend, broker: object, responder: Actor) -> None:
    from app.api.app import create_app
    from app.config import load_settings

    _, postmortem = await in_postmortem(responder, Severity.SEV3)
    settings = load_settings(database_url=clean_db.url, rate_limit_per_token="2/minute")
    app = create_app(settings, manage_database=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as http:
        url = f"/postmortems/{to_global_id('Postmortem', postmortem.id)}.md"
        assert [(await http.get(url, headers=responder.headers)).status_code for _ in range(3)] == [200, 200, 429]
        assert (
            await http.post("/graphql", json={"query": "{ viewer { id } }"}, headers=responder.headers)
        ).status_code == 429
