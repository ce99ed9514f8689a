"""What every postmortem command shares: visibility, row locks, versions, revisions and the
event co-authors receive."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from app import clock, commands
from app.commands import Changes, locked_row
from app.errors import Conflict, NotFound, ValidationFailed
from app.events import Outbox
from app.identity.models import Role, User
from app.identity.policy import Principal
from app.ids import to_global_id
from app.incidents import queries as incident_queries
from app.postmortems import lifecycle
from app.postmortems.enums import PostmortemStatus
from app.postmortems.models import Postmortem, PostmortemRevision


def postmortem_topic(postmortem_id: int) -> str:
    return f"postmortem:{postmortem_id}"


async def visible_incident(actor: Principal, incident_id: int, *, field: str = "incidentId") -> None:
    """NotFound unless the incident exists and the actor may see it."""
    if not await incident_queries.get_visible(actor, [incident_id]):
        raise NotFound("Incident not found", field=field)


async def visible_postmortem_incident(actor: Principal, postmortem_id: int, *, field: str = "postmortemId") -> int:
    """The incident id of a postmortem the actor may see; NotFound otherwise."""
    rows = await Postmortem.filter(id=postmortem_id).values_list("incident_id", flat=True)
    if not rows or not await incident_queries.get_visible(actor, [rows[0]]):
        raise NotFound("Postmortem not found", field=field)
    return rows[0]


async def locked(outbox: Outbox, postmortem_id: int, *, field: str = "postmortemId") -> Postmortem:
    return await locked_row(outbox, Postmortem, postmortem_id, what="Postmortem", field=field)


def check_version(postmortem: Postmortem, expected_version: int | None) -> None:
    commands.check_version(postmortem, expected_version, what="postmortem")


async def locked_editable(outbox: Outbox, postmortem_id: int, expected_version: int | None) -> Postmortem:
    """The postmortem, locked, at the version the caller expects, its content not frozen."""
    postmortem = await locked(outbox, postmortem_id)
    check_version(postmortem, expected_version)
    check_editable(postmortem)
    return postmortem


def check_editable(postmortem: Postmortem) -> None:
    status = PostmortemStatus(postmortem.status)
    if status not in lifecycle.EDITABLE:
        raise Conflict(
            f"The postmortem is {status.value}: its content is frozen; reopen it (reopenPostmortem) to change it",
            field="postmortemId",
        )


async def active_people(user_ids: Sequence[int], *, field: str) -> list[int]:
    """Deduplicated ids of active users who may act on incidents (not viewers)."""
    wanted = list(dict.fromkeys(user_ids))
    users = {u.id: u for u in await User.filter(id__in=wanted)} if wanted else {}
    for user_id in wanted:
        user = users.get(user_id)
        if user is None or not user.active:
            raise NotFound("User not found", field=field)
        if user.role is Role.VIEWER:
            raise ValidationFailed(f"{user.name} is a viewer; viewers cannot write or review postmortems", field=field)
    return wanted


async def check_can_see(incident_id: int, user_ids: Sequence[int], *, field: str) -> None:
    """People named on a (private) incident's postmortem or action items must be able to see it:
    naming someone grants no access (membership does)."""
    for user in await User.filter(id__in=list(user_ids)) if user_ids else []:
        if not await incident_queries.can_see(Principal(user_id=user.id, role=user.role), incident_id):
            raise ValidationFailed(
                f"{user.name} cannot see this private incident; make them a member first", field=field
            )


class Revisions(Changes):
    """The sections one command changed: their revisions, and what subscribers are told. A
    change of content (not of people) also moves the content version approvals are for."""

    def __init__(self) -> None:
        super().__init__()
        self.content = False

    def record(self, name: str, before: object, after: object, *, field: str | None = None) -> None:
        super().record(name, before, after, field=field)
        self.content = True

    def record_people(self, name: str, before: list[str], after: list[str]) -> None:
        super().record(name, before, after)


async def commit_changes(outbox: Outbox, postmortem: Postmortem, changes: Revisions, *, actor_id: int | None) -> None:
    """Bump the version (and the content version), store one revision per changed section,
    save, and tell subscribers after commit."""
    now = clock.now()
    postmortem.version += 1
    postmortem.updated_at = now
    fields = ["version", "updated_at", *changes.fields]
    if changes.content:
        postmortem.content_version += 1
        fields.append("content_version")
    await postmortem.save(update_fields=fields, using_db=outbox.connection)
    await PostmortemRevision.bulk_create(
        [
            PostmortemRevision(
                postmortem_id=postmortem.id,
                version=postmortem.version,
                section=change.name,
                actor_id=actor_id,
                created_at=now,
                before={"value": change.before},  # wrapped: a JSON field reads bare strings as JSON text
                after={"value": change.after},
            )
            for change in changes.items
        ],
        using_db=outbox.connection,
    )
    announce(outbox, postmortem, actor_id=actor_id, sections=changes.names)


@dataclass(frozen=True)
class PostmortemChanged:
    """A postmortem changed (its `sections`, or its status): co-authors' live views follow."""

    postmortem_id: int
    version: int
    status: PostmortemStatus
    actor_id: int | None
    sections: tuple[str, ...] = ()

    @property
    def topic(self) -> str:
        return postmortem_topic(self.postmortem_id)

    def payload(self) -> dict[str, object]:
        return {
            "type": "postmortem",
            "postmortemId": self.postmortem_id,
            "version": self.version,
            "status": self.status.value,
            "actorId": self.actor_id,
            "sections": list(self.sections),
        }


@dataclass(frozen=True)
class ActionItemChanged:
    """An action item on a postmortem changed: its co-authors see it."""

    postmortem_id: int
    action_item_id: int
    actor_id: int | None

    @property
    def topic(self) -> str:
        return postmortem_topic(self.postmortem_id)

    def payload(self) -> dict[str, object]:
        return {
            "type": "actionItem",
            "postmortemId": self.postmortem_id,
            "actionItemId": self.action_item_id,
            "actorId": self.actor_id,
            "sections": ["actionItems"],
        }


def announce(outbox: Outbox, postmortem: Postmortem, *, actor_id: int | None, sections: Sequence[str] = ()) -> None:
    status = PostmortemStatus(postmortem.status)
    outbox.add(PostmortemChanged(postmortem.id, postmortem.version, status, actor_id, tuple(sections)))


def user_gids(user_ids: Sequence[int]) -> list[str]:
    return [to_global_id("User", u) for u in user_ids]
