"""Action items on SQLite and PostgreSQL: commands, status rules, links, filters (overdue by
date), order by due date, pages, and the incident timeline."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from app import clock
from app.errors import DomainError, ErrorCode
from app.identity.models import Role
from app.incidents import service as incidents
from app.incidents.enums import Severity
from app.incidents.models import TimelineEvent
from app.postmortems import service
from app.postmortems.action_items import queries
from app.postmortems.action_items import service as action_items
from app.postmortems.action_items.queries import ActionItemFilter
from app.postmortems.enums import ActionItemKind, ActionItemPriority, ActionItemStatus, LinkProvider
from app.postmortems.models import ActionItem
from tests.conftest import Actor, make_actor

TODAY = clock.now().date()  # due dates compare with the UTC date


async def error_of(coroutine: object) -> DomainError:
    with pytest.raises(DomainError) as raised:
        await coroutine  # type: ignore[misc]
    return raised.value


async def new_item(actor: Actor, incident_id: int, title: str, due: date | None = None, **kwargs: object) -> ActionItem:
    return await action_items.create_action_item(
        actor=actor.principal,
        incident_id=incident_id,
        title=title,
        kind=kwargs.pop("kind", ActionItemKind.PREVENT),
        due_date=due,
        **kwargs,  # type: ignore[arg-type]
    )


async def test_create_update_complete(responder: Actor, broker: object) -> None:
    incident = await incidents.declare_incident(
        actor=responder.principal, title="Queue backlog", severity=Severity.SEV2
    )
    owner = await make_actor(Role.RESPONDER)
    item = await new_item(
        responder,
        incident.id,
        "Alert on queue depth",
        TODAY + timedelta(days=7),
        owner_id=owner.user_id,
        priority=ActionItemPriority.P1,
        kind=ActionItemKind.DETECT,
        description="Page at 10k",
    )
    assert (item.status, item.priority, item.kind, item.version, item.completed_at) == (
        ActionItemStatus.OPEN,
        ActionItemPriority.P1,
        ActionItemKind.DETECT,
        1,
        None,
    )
    event = await TimelineEvent.filter(incident_id=incident.id, kind="ACTION_ITEM_CREATED").first()
    assert event is not None and event.message == "Action item: Alert on queue depth" and event.data["priority"] == "P1"

    started = await action_items.update_action_item(
        actor=owner.principal, action_item_id=item.id, status=ActionItemStatus.IN_PROGRESS, expected_version=1
    )
    assert started.status is ActionItemStatus.IN_PROGRESS and started.version == 2
    stale = await error_of(
        action_items.update_action_item(actor=owner.principal, action_item_id=item.id, title="x", expected_version=1)
    )
    assert (stale.code, stale.field) == (ErrorCode.VERSION_CONFLICT, "expectedVersion")
    cleared = await action_items.update_action_item(
        actor=owner.principal,
        action_item_id=item.id,
        owner_id=None,
        due_date=None,
        title="Alert on queue depth and age",
    )
    assert (cleared.owner_id, cleared.due_date, cleared.title, cleared.version) == (
        None,
        None,
        "Alert on queue depth and age",
        3,
    )
    done = await action_items.complete_action_item(actor=owner.principal, action_item_id=item.id)
    assert done.status is ActionItemStatus.DONE and done.completed_at is not None
    again = await action_items.complete_action_item(actor=owner.principal, action_item_id=item.id)
    assert again.version == done.version  # completing twice changes nothing
    refused = await error_of(
        action_items.update_action_item(actor=owner.principal, action_item_id=item.id, status=ActionItemStatus.WONT_DO)
    )
    assert (refused.code, refused.field) == (ErrorCode.VALIDATION, "status") and "DONE" in refused.message
    reopened = await action_items.update_action_item(
        actor=owner.principal, action_item_id=item.id, status=ActionItemStatus.OPEN
    )
    assert reopened.completed_at is None
    changes = await TimelineEvent.filter(incident_id=incident.id, kind="ACTION_ITEM_STATUS_CHANGED").order_by(
        "sequence"
    )
    assert [(e.data["from"], e.data["to"]) for e in changes] == [
        ("OPEN", "IN_PROGRESS"),
        ("IN_PROGRESS", "DONE"),
        ("DONE", "OPEN"),
    ]


async def test_create_errors(responder: Actor, viewer: Actor, broker: object) -> None:
    incident = await incidents.declare_incident(actor=responder.principal, title="A", severity=Severity.SEV3)
    other = await incidents.declare_incident(actor=responder.principal, title="B", severity=Severity.SEV3)
    postmortem = await service.create_postmortem(actor=responder.principal, incident_id=other.id)
    for attempt, expected in (
        (new_item(responder, incident.id, " "), (ErrorCode.VALIDATION, "title")),
        (new_item(responder, incident.id + 99, "t"), (ErrorCode.NOT_FOUND, "incidentId")),
        (new_item(responder, incident.id, "t", owner_id=viewer.user_id + 99), (ErrorCode.NOT_FOUND, "ownerId")),
        (new_item(responder, incident.id, "t", postmortem_id=postmortem.id), (ErrorCode.VALIDATION, "postmortemId")),
        (new_item(viewer, incident.id, "t"), (ErrorCode.FORBIDDEN, None)),
    ):
        error = await error_of(attempt)
        assert (error.code, error.field) == expected
    assert await ActionItem.all().count() == 0


@pytest.mark.parametrize(
    ("provider", "key", "url", "stored_key"),
    [
        (LinkProvider.JIRA, "OPS-123", "https://acme.atlassian.net/browse/OPS-123", "OPS-123"),
        (LinkProvider.JIRA, " ops_2-7 ", "http://jira.internal:8080/browse/OPS_2-7", "OPS_2-7"),
        (LinkProvider.LINEAR, "eng-42", "https://linear.app/acme/issue/ENG-42", "ENG-42"),
        (LinkProvider.GITHUB, "acme/checkout#981", "https://github.com/acme/checkout/issues/981", "acme/checkout#981"),
        (LinkProvider.OTHER, "Ticket 7 (ServiceNow)", "https://acme.service-now.com/x?id=7", "Ticket 7 (ServiceNow)"),
    ],
)
async def test_link_accepts_each_providers_form(
    responder: Actor, broker: object, provider: LinkProvider, key: str, url: str, stored_key: str
) -> None:
    incident = await incidents.declare_incident(actor=responder.principal, title="A", severity=Severity.SEV3)
    item = await new_item(responder, incident.id, "Fix it")
    linked = await action_items.link_action_item(
        actor=responder.principal, action_item_id=item.id, provider=provider, key=key, url=url
    )
    assert (linked.link_provider, linked.link_key, linked.link_url) == (provider, stored_key, url)
    unlinked = await action_items.unlink_action_item(actor=responder.principal, action_item_id=item.id)
    assert (unlinked.link_provider, unlinked.link_key, unlinked.link_url) == (None, None, None)


@pytest.mark.parametrize(
    ("provider", "key", "url", "field"),
    [
        (LinkProvider.JIRA, "123", "https://jira.example.com/browse/OPS-1", "key"),
        (LinkProvider.JIRA, "OPS-0", "https://jira.example.com/browse/OPS-0", "key"),
        (LinkProvider.JIRA, "OPS 12", "https://jira.example.com/browse/OPS-12", "key"),
        (LinkProvider.JIRA, "1OPS-12", "https://jira.example.com/browse/OPS-12", "key"),
        (LinkProvider.LINEAR, "ENG_42", "https://linear.app/acme/issue/ENG-42", "key"),
        (LinkProvider.GITHUB, "checkout#981", "https://github.com/acme/checkout/issues/981", "key"),
        (LinkProvider.GITHUB, "acme/checkout", "https://github.com/acme/checkout", "key"),
        (LinkProvider.OTHER, "", "https://example.com", "key"),
        (LinkProvider.JIRA, "OPS-1", "ftp://jira.example.com/OPS-1", "url"),
        (LinkProvider.JIRA, "OPS-1", "javascript:alert(1)", "url"),
        (LinkProvider.JIRA, "OPS-1", "https:///no-host", "url"),
        (LinkProvider.JIRA, "OPS-1", "https://jira.example.com/a b", "url"),
        (LinkProvider.JIRA, "OPS-1", "jira.example.com/browse/OPS-1", "url"),
        (LinkProvider.JIRA, "OPS-1", "https://jira.example.com:99999/", "url"),
        (LinkProvider.JIRA, "OPS-1", "https://example.com/" + "x" * 2000, "url"),
    ],
)
async def test_link_validation_names_the_field(
    responder: Actor, broker: object, provider: LinkProvider, key: str, url: str, field: str
) -> None:
    incident = await incidents.declare_incident(actor=responder.principal, title="A", severity=Severity.SEV3)
    item = await new_item(responder, incident.id, "Fix it")
    error = await error_of(
        action_items.link_action_item(
            actor=responder.principal, action_item_id=item.id, provider=provider, key=key, url=url
        )
    )
    assert (error.code, error.field) == (ErrorCode.VALIDATION, field)
    assert (await ActionItem.get(id=item.id)).link_key is None


async def test_filters_overdue_by_date_and_due_date_order(responder: Actor, broker: object) -> None:
    first = await incidents.declare_incident(actor=responder.principal, title="A", severity=Severity.SEV3)
    second = await incidents.declare_incident(actor=responder.principal, title="B", severity=Severity.SEV3)
    owner = await make_actor(Role.RESPONDER)
    p = responder.principal
    late = await new_item(responder, first.id, "late", TODAY - timedelta(days=3), owner_id=owner.user_id)
    late_done = await new_item(responder, first.id, "late but done", TODAY - timedelta(days=5))
    late_done = await action_items.complete_action_item(actor=p, action_item_id=late_done.id)
    due_today = await new_item(responder, second.id, "due today", TODAY, owner_id=owner.user_id)
    undated = await new_item(responder, second.id, "undated")
    soon = await new_item(responder, first.id, "soon", TODAY + timedelta(days=2))
    yesterday = await new_item(responder, second.id, "yesterday, in progress", TODAY - timedelta(days=1))
    await action_items.update_action_item(actor=p, action_item_id=yesterday.id, status=ActionItemStatus.IN_PROGRESS)

    async def titles(flt: ActionItemFilter | None = None) -> list[str]:
        page = await queries.list_action_items(p, first=None, after=None, flt=flt)
        return [i.title for i in page.items]

    assert await titles() == ["late but done", "late", "yesterday, in progress", "due today", "soon", "undated"]
    assert await titles(ActionItemFilter(overdue=True)) == ["late", "yesterday, in progress"]
    assert await titles(ActionItemFilter(overdue=False)) == ["late but done", "due today", "soon", "undated"]
    assert await titles(ActionItemFilter(owner_id=owner.user_id)) == ["late", "due today"]
    assert await titles(ActionItemFilter(statuses=[ActionItemStatus.DONE, ActionItemStatus.IN_PROGRESS])) == [
        "late but done",
        "yesterday, in progress",
    ]
    assert await titles(ActionItemFilter(incident_id=second.id)) == ["yesterday, in progress", "due today", "undated"]
    assert await titles(ActionItemFilter(due_before=TODAY)) == ["late but done", "late", "yesterday, in progress"]
    assert await titles(ActionItemFilter(overdue=True, incident_id=first.id)) == ["late"]
    assert await queries.count_action_items(p, ActionItemFilter(overdue=True)) == 2
    assert (
        queries.is_overdue(late)
        and not queries.is_overdue(due_today)
        and not queries.is_overdue(undated)
        and not queries.is_overdue(soon)
    )
    # Overdue is relative to the day asked about.
    assert queries.is_overdue(soon, TODAY + timedelta(days=3)) and not queries.is_overdue(late_done, TODAY)

    seen: list[str] = []
    after = None
    while True:  # pages of two follow the same order, through the undated tail
        page = await queries.list_action_items(p, first=2, after=after, flt=None)
        seen += [i.title for i in page.items]
        if not page.has_next:
            break
        after = page.cursors[-1]
    assert seen == await titles()
    with pytest.raises(DomainError) as raised:
        await queries.list_action_items(p, first=2, after="garbage", flt=None)
    assert raised.value.field == "after"


async def test_private_incidents_hide_their_action_items(
    responder: Actor, viewer: Actor, admin: Actor, broker: object
) -> None:
    secret = await incidents.declare_incident(
        actor=responder.principal, title="Secret", severity=Severity.SEV3, private=True
    )
    public = await incidents.declare_incident(actor=admin.principal, title="Public", severity=Severity.SEV3)
    refused = await error_of(new_item(responder, secret.id, "hidden", owner_id=viewer.user_id))
    assert (refused.code, refused.field) == (ErrorCode.VALIDATION, "ownerId")  # naming someone grants no access
    hidden = await new_item(responder, secret.id, "hidden", owner_id=responder.user_id)
    await new_item(admin, public.id, "shown", owner_id=viewer.user_id)
    outsider = await make_actor(Role.RESPONDER)
    for reader in (viewer, outsider):
        page = await queries.list_action_items(reader.principal, first=None, after=None, flt=None)
        assert [i.title for i in page.items] == ["shown"]
        owned = await queries.by_owner(reader.principal, [viewer.user_id])
        assert [i.title for i in owned[viewer.user_id]] == ["shown"]
    assert await queries.count_action_items(admin.principal, None) == 2
    error = await error_of(action_items.complete_action_item(actor=outsider.principal, action_item_id=hidden.id))
    assert (error.code, error.field) == (ErrorCode.NOT_FOUND, "actionItemId")
