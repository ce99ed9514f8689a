"""Action item commands: create, update, complete, link to an issue tracker. Creating one and
changing its status are recorded on the incident's timeline."""

from __future__ import annotations

from datetime import date
from typing import Any

from app import clock
from app.errors import NotFound, ValidationFailed, VersionConflict
from app.events import Outbox, unit_of_work
from app.identity.models import User
from app.identity.policy import Action, Principal, require
from app.ids import to_global_id
from app.incidents import store, timeline
from app.incidents.enums import TimelineKind
from app.postmortems.common import UNSET, check_can_see, postmortem_topic, visible_incident, visible_postmortem_incident
from app.postmortems.enums import ActionItemKind, ActionItemPriority, ActionItemStatus, LinkProvider
from app.postmortems.lifecycle import CLOSED_ACTION_ITEM_STATUSES, action_item_refusal
from app.postmortems.links import check_link
from app.postmortems.models import ActionItem, Postmortem
from app.postmortems.queries import visible_incidents
from app.text import TEXT_MAX, multi_line, single_line


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
    for postmortem_id in postmortem_ids - {None}:
        outbox.add(
            postmortem_topic(postmortem_id),  # type: ignore[arg-type]
            {
                "type": "actionItem",
                "postmortemId": postmortem_id,
                "actionItemId": item.id,
                "actorId": actor_id,
                "sections": ["actionItems"],
            },
        )


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
        await timeline.append(
            outbox,
            incident,
            TimelineKind.ACTION_ITEM_CREATED,
            actor_id=actor.user_id,
            message=f"Action item: {title}",
            data={
                "actionItemId": to_global_id("ActionItem", item.id),
                "priority": priority.value,
                "kind": kind.value,
                "ownerId": to_global_id("User", owner) if owner else None,
                "dueDate": due_date.isoformat() if due_date else None,
            },
            incident_changed=False,
        )
        await store.save(outbox, incident, [])
        _announce(outbox, item, actor_id=actor.user_id, postmortem_ids={postmortem})
    return item


async def _visible_item(actor: Principal, action_item_id: int) -> ActionItem:
    """The action item, if the actor may see its incident: otherwise it does not exist for them."""
    item = await ActionItem.filter(visible_incidents(actor), id=action_item_id).first()
    if item is None:
        raise NotFound("Action item not found", field="actionItemId")
    return item


async def _locked_item(outbox: Outbox, action_item_id: int, expected_version: int | None) -> ActionItem:
    item = await ActionItem.filter(id=action_item_id).using_db(outbox.connection).select_for_update().first()
    if item is None:
        raise NotFound("Action item not found", field="actionItemId")
    if expected_version is not None and expected_version != item.version:
        raise VersionConflict(
            f"The action item is at version {item.version}, not {expected_version}; reload and retry",
            field="expectedVersion",
        )
    return item


async def update_action_item(
    *,
    actor: Principal,
    action_item_id: int,
    expected_version: int | None = None,
    title: str | None = UNSET,
    description: str | None = UNSET,
    owner_id: int | None = UNSET,
    due_date: date | None = UNSET,
    priority: ActionItemPriority | None = UNSET,
    kind: ActionItemKind | None = UNSET,
    status: ActionItemStatus | None = UNSET,
    postmortem_id: int | None = UNSET,
) -> ActionItem:
    """Change what is given (null clears the owner, the due date and the postmortem)."""
    require(actor, Action.RESPOND)
    current = await _visible_item(actor, action_item_id)
    values: dict[str, Any] = {}
    if title not in (UNSET, None):
        values["title"] = single_line(title, field="title")
    if description not in (UNSET, None):
        values["description"] = multi_line(description, field="description", max_length=TEXT_MAX)
    if owner_id is not UNSET:
        values["owner_id"] = await _owner(owner_id, current.incident_id)
    if due_date is not UNSET:
        values["due_date"] = due_date
    if priority not in (UNSET, None):
        values["priority"] = priority
    if kind not in (UNSET, None):
        values["kind"] = kind
    if postmortem_id is not UNSET:
        values["postmortem_id"] = await _postmortem_of(current.incident_id, postmortem_id)
    target = None if status in (UNSET, None) else ActionItemStatus(status)
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
    values: dict[str, Any],
    status: ActionItemStatus | None,
) -> ActionItem:
    async with unit_of_work() as outbox:
        incident = (
            await store.locked(outbox, current.incident_id, actor, field="actionItemId") if status is not None else None
        )
        item = await _locked_item(outbox, current.id, expected_version)
        previous_postmortem = item.postmortem_id
        changed = [name for name, value in values.items() if getattr(item, name) != value]
        for name in changed:
            setattr(item, name, values[name])
        previous_status = ActionItemStatus(item.status)
        if status is not None and status is not previous_status:
            refusal = action_item_refusal(previous_status, status)
            if refusal:
                raise ValidationFailed(refusal, field="status")
            item.status = status
            item.completed_at = clock.now() if status in CLOSED_ACTION_ITEM_STATUSES else None
            changed += ["status", "completed_at"]
        if not changed:
            return item
        item.version += 1
        item.updated_at = clock.now()
        await item.save(update_fields=[*changed, "version", "updated_at"], using_db=outbox.connection)
        if incident is not None and "status" in changed:
            await timeline.append(
                outbox,
                incident,
                TimelineKind.ACTION_ITEM_STATUS_CHANGED,
                actor_id=actor.user_id,
                message=f"Action item {status.value if status else ''}: {item.title}",
                data={
                    "actionItemId": to_global_id("ActionItem", item.id),
                    "from": previous_status.value,
                    "to": item.status.value,
                },
                incident_changed=False,
            )
            await store.save(outbox, incident, [])
        _announce(outbox, item, actor_id=actor.user_id, postmortem_ids={previous_postmortem, item.postmortem_id})
    return item
