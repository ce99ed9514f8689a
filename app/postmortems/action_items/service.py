"""Action item commands: create, update, complete, link to an issue tracker. Creating one and
changing its status are recorded on the incident's timeline."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from app import clock
from app.commands import Changes, check_version, locked_row, provided
from app.errors import NotFound, ValidationFailed
from app.events import Outbox, unit_of_work
from app.identity.models import User
from app.identity.policy import Action, Principal, require
from app.ids import to_global_id
from app.incidents import store, timeline
from app.incidents.enums import TimelineKind
from app.incidents.models import Incident
from app.postmortems.common import ActionItemChanged, check_can_see, visible_incident, visible_postmortem_incident
from app.postmortems.enums import ActionItemKind, ActionItemPriority, ActionItemStatus, LinkProvider
from app.postmortems.lifecycle import CLOSED_ACTION_ITEM_STATUSES, action_item_refusal
from app.postmortems.links import check_link
from app.postmortems.models import ActionItem, Postmortem
from app.postmortems.queries import visible_incidents
from app.text import TEXT_MAX, multi_line, single_line
from app.unset import UNSET, OrUnset


async def _owner(owner_id: int | None, incident_id: int) -> int | None:
    if owner_id is None:
        return None
    user = await User.get_or_none(id=owner_id)
    if user is None or not user.active:
        raise NotFound("User not found", field="ownerId")
    await check_can_see(incident_id, [user.id], field="ownerId")
    return user.id


async def _postmortem_of(incident_id: int, postmortem_id: int | None) -> int | None:
    if postmortem_id is None:
        return None
    found = await Postmortem.filter(id=postmortem_id).values_list("incident_id", flat=True)
    if not found:
        raise NotFound("Postmortem not found", field="postmortemId")
    if found[0] != incident_id:
        raise ValidationFailed("The postmortem belongs to another incident", field="postmortemId")
    return postmortem_id


def _announce(outbox: Outbox, item: ActionItem, *, actor_id: int | None, postmortem_ids: set[int | None]) -> None:
    """Co-authors of the postmortems the item is (or was) on see the change."""
    for postmortem_id in sorted(pid for pid in postmortem_ids if pid is not None):
        outbox.add(ActionItemChanged(postmortem_id, item.id, actor_id))


async def create_action_item(
    *,
    actor: Principal,
    incident_id: int | None,
    title: str,
    kind: ActionItemKind = ActionItemKind.PREVENT,
    description: str = "",
    owner_id: int | None = None,
    due_date: date | None = None,
    priority: ActionItemPriority = ActionItemPriority.P3,
    postmortem_id: int | None = None,
) -> ActionItem:
    """Track a follow-up of an incident, and of its postmortem if given (the postmortem alone
    names the incident)."""
    require(actor, Action.RESPOND)
    title = single_line(title, field="title")
    description = multi_line(description, field="description", max_length=TEXT_MAX)
    if incident_id is None:
        if postmortem_id is None:
            raise ValidationFailed(
                "Give the incident (or the postmortem) the action item follows up", field="incidentId"
            )
        incident_id = await visible_postmortem_incident(actor, postmortem_id)
    await visible_incident(actor, incident_id)
    owner = await _owner(owner_id, incident_id)
    postmortem = await _postmortem_of(incident_id, postmortem_id)
    async with unit_of_work() as outbox:
        incident = await store.locked(outbox, incident_id, actor)
        now = clock.now()
        item = await ActionItem.create(
            incident_id=incident.id,
            postmortem_id=postmortem,
            title=title,
            description=description,
            owner_id=owner,
            due_date=due_date,
            priority=priority,
            status=ActionItemStatus.OPEN,
            kind=kind,
            created_by_id=actor.user_id,
            created_at=now,
            updated_at=now,
            using_db=outbox.connection,
        )
        await _record_created(outbox, incident, item, actor)
        _announce(outbox, item, actor_id=actor.user_id, postmortem_ids={postmortem})
    return item


async def _record_created(outbox: Outbox, incident: Incident, item: ActionItem, actor: Principal) -> None:
    """The incident's timeline records the new item."""
    await timeline.append(
        outbox,
        incident,
        TimelineKind.ACTION_ITEM_CREATED,
        actor_id=actor.user_id,
        message=f"Action item: {item.title}",
        data={
            "actionItemId": to_global_id("ActionItem", item.id),
            "priority": ActionItemPriority(item.priority).value,
            "kind": ActionItemKind(item.kind).value,
            "ownerId": to_global_id("User", item.owner_id) if item.owner_id else None,
            "dueDate": item.due_date.isoformat() if item.due_date else None,
        },
        incident_changed=False,
    )
    await store.save(outbox, incident, [])


async def _visible_item(actor: Principal, action_item_id: int) -> ActionItem:
    """The action item, if the actor may see its incident: otherwise it does not exist for them."""
    item = await ActionItem.filter(visible_incidents(actor), id=action_item_id).first()
    if item is None:
        raise NotFound("Action item not found", field="actionItemId")
    return item


async def _locked_item(outbox: Outbox, action_item_id: int, expected_version: int | None) -> ActionItem:
    item = await locked_row(outbox, ActionItem, action_item_id, what="Action item", field="actionItemId")
    check_version(item, expected_version, what="action item")
    return item


async def update_action_item(
    *,
    actor: Principal,
    action_item_id: int,
    expected_version: int | None = None,
    title: OrUnset[str | None] = UNSET,
    description: OrUnset[str | None] = UNSET,
    owner_id: OrUnset[int | None] = UNSET,
    due_date: OrUnset[date | None] = UNSET,
    priority: OrUnset[ActionItemPriority | None] = UNSET,
    kind: OrUnset[ActionItemKind | None] = UNSET,
    status: OrUnset[ActionItemStatus | None] = UNSET,
    postmortem_id: OrUnset[int | None] = UNSET,
) -> ActionItem:
    """Change what is given (null clears the owner, the due date and the postmortem)."""
    require(actor, Action.RESPOND)
    current = await _visible_item(actor, action_item_id)
    values: dict[str, object] = {}
    if provided(title):
        values["title"] = single_line(title, field="title")
    if provided(description):
        values["description"] = multi_line(description, field="description", max_length=TEXT_MAX)
    if owner_id is not UNSET:
        values["owner_id"] = await _owner(owner_id, current.incident_id)
    if due_date is not UNSET:
        values["due_date"] = due_date
    if provided(priority):
        values["priority"] = priority
    if provided(kind):
        values["kind"] = kind
    if postmortem_id is not UNSET:
        values["postmortem_id"] = await _postmortem_of(current.incident_id, postmortem_id)
    target = ActionItemStatus(status) if provided(status) else None
    return await _change(actor, current, expected_version, values, target)


async def complete_action_item(
    *, actor: Principal, action_item_id: int, expected_version: int | None = None
) -> ActionItem:
    """Mark an action item DONE."""
    require(actor, Action.RESPOND)
    current = await _visible_item(actor, action_item_id)
    return await _change(actor, current, expected_version, {}, ActionItemStatus.DONE)


async def link_action_item(
    *,
    actor: Principal,
    action_item_id: int,
    provider: LinkProvider,
    key: str,
    url: str,
    expected_version: int | None = None,
) -> ActionItem:
    """Link the item to its ticket in Jira, Linear, GitHub or elsewhere (replacing any link)."""
    require(actor, Action.RESPOND)
    link = check_link(provider, key, url)
    current = await _visible_item(actor, action_item_id)
    values = {"link_provider": link.provider, "link_key": link.key, "link_url": link.url}
    return await _change(actor, current, expected_version, values, None)


async def unlink_action_item(
    *, actor: Principal, action_item_id: int, expected_version: int | None = None
) -> ActionItem:
    """Remove the item's external link."""
    require(actor, Action.RESPOND)
    current = await _visible_item(actor, action_item_id)
    return await _change(
        actor, current, expected_version, {"link_provider": None, "link_key": None, "link_url": None}, None
    )


async def _change(
    actor: Principal,
    current: ActionItem,
    expected_version: int | None,
    values: Mapping[str, object],
    status: ActionItemStatus | None,
) -> ActionItem:
    async with unit_of_work() as outbox:
        incident = (
            await store.locked(outbox, current.incident_id, actor, field="actionItemId") if status is not None else None
        )
        item = await _locked_item(outbox, current.id, expected_version)
        previous_postmortem = item.postmortem_id
        previous_status = ActionItemStatus(item.status)
        changes = Changes()
        for name, value in values.items():
            changes.assign(item, name, value)
        if status is not None and status is not previous_status:
            _move(item, previous_status, status, changes)
        if not changes:
            return item
        item.version += 1
        item.updated_at = clock.now()
        await item.save(update_fields=[*changes.fields, "version", "updated_at"], using_db=outbox.connection)
        if incident is not None and "status" in changes:
            await _record_status(outbox, incident, item, previous_status, actor)
        _announce(outbox, item, actor_id=actor.user_id, postmortem_ids={previous_postmortem, item.postmortem_id})
    return item


def _move(item: ActionItem, previous: ActionItemStatus, status: ActionItemStatus, changes: Changes) -> None:
    refusal = action_item_refusal(previous, status)
    if refusal:
        raise ValidationFailed(refusal, field="status")
    changes.assign(item, "status", status)
    changes.assign(item, "completed_at", clock.now() if status in CLOSED_ACTION_ITEM_STATUSES else None)


async def _record_status(
    outbox: Outbox, incident: Incident, item: ActionItem, previous: ActionItemStatus, actor: Principal
) -> None:
    """The incident's timeline records the item's new status."""
    status = ActionItemStatus(item.status)
    await timeline.append(
        outbox,
        incident,
        TimelineKind.ACTION_ITEM_STATUS_CHANGED,
        actor_id=actor.user_id,
        message=f"Action item {status.value}: {item.title}",
        data={"actionItemId": to_global_id("ActionItem", item.id), "from": previous.value, "to": status.value},
        incident_changed=False,
    )
    await store.save(outbox, incident, [])
