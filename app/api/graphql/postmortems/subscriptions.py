"""Postmortem subscriptions: co-authors see each other's edits live."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry
from strawberry.types import Info

from app.api.graphql.context import Context
from app.api.graphql.identity import User
from app.api.graphql.incidents.types import load_user
from app.api.graphql.postmortems.types import Postmortem
from app.api.graphql.relay import pk_of
from app.broker import get_broker
from app.errors import NotFound
from app.identity.policy import Action, require
from app.postmortems import queries, stream


@strawberry.type(description="A postmortem after a change to it.")
class PostmortemUpdate:
    postmortem: Postmortem
    changed_sections: list[str] = strawberry.field(
        description="What changed: section keys, title, whys, contributingFactors, timeline, authors, reviewers, status, actionItems… Empty when unknown (updates were missed and the state was re-read)."
    )
    actor_pk: strawberry.Private[int | None]

    @strawberry.field(description="Who made the change.")
    async def actor(self, info: Info[Context, None]) -> User | None:
        return None if self.actor_pk is None else await load_user(info, self.actor_pk)


@strawberry.type
class PostmortemSubscription:
    @strawberry.subscription(description="The postmortem after each change: content, people, status or action items.")
    async def postmortem_updated(
        self, info: Info[Context, None], postmortem_id: strawberry.ID
    ) -> AsyncGenerator[PostmortemUpdate, None]:
        principal = require(info.context.principal, Action.READ)
        pk = pk_of(postmortem_id, "Postmortem", field="postmortemId")
        if not await queries.get_visible(principal, [pk]):
            raise NotFound("Postmortem not found", field="postmortemId")
        broker = get_broker()
        if broker is None:
            raise RuntimeError("the broker is not running")

        async def still_visible() -> bool:
            return bool(await queries.get_visible(principal, [pk]))

        async for update in stream.updates(broker, pk, still_visible=still_visible):
            info.context.fresh_loaders()  # the event's fields are read now, not from an earlier event's cache
            yield PostmortemUpdate(
                postmortem=Postmortem.from_model(update.postmortem),
                changed_sections=update.sections,
                actor_pk=update.actor_id,
            )
