"""`postmortemUpdated`: a co-author receives each edit once it is committed (through the
schema's subscribe and the in-process broker), and nothing of postmortems they may not see."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from app.api.graphql.context import Context
from app.api.graphql.schema import build_schema
from app.errors import DomainError
from app.identity.models import Role
from app.ids import to_global_id
from app.postmortems import review, service
from app.postmortems.action_items import service as action_items
from app.postmortems.enums import ActionItemKind
from app.postmortems.service import SectionEdit
from tests.conftest import Actor, make_actor
from tests.contract import document
from tests.postmortems.helpers import in_postmortem

SCHEMA = build_schema()


async def subscribe(actor: Actor, postmortem_id: int) -> AsyncIterator[Any]:
    context = Context(principal=actor.principal, request_id="test")
    result = await SCHEMA.subscribe(
        document("PostmortemUpdated"),
        variable_values={"postmortemId": to_global_id("Postmortem", postmortem_id)},
        context_value=context,
    )
    assert hasattr(result, "__anext__"), result
    return result  # type: ignore[return-value]


async def next_update(stream: AsyncIterator[Any]) -> dict[str, Any]:
    result = await asyncio.wait_for(stream.__anext__(), 5)
    assert not result.errors, result.errors
    return result.data["postmortemUpdated"]  # type: ignore[no-any-return]


async def started(stream: AsyncIterator[Any]) -> asyncio.Task[dict[str, Any]]:
    """Ask for the next update and give the generator time to subscribe to the broker."""
    task = asyncio.ensure_future(next_update(stream))
    await asyncio.sleep(0.05)
    return task


async def test_a_co_author_sees_each_edit(responder: Actor, broker: object) -> None:
    _, postmortem = await in_postmortem(responder)
    co_author = await make_actor(Role.RESPONDER)
    stream = await subscribe(co_author, postmortem.id)
    try:
        pending = await started(stream)
        await service.update_postmortem(
            actor=responder.principal,
            postmortem_id=postmortem.id,
            sections=[SectionEdit("detection", "A synthetic check paged at 14:06.")],
        )
        update = await pending
        assert update["changedSections"] == ["detection"] and update["actor"]["id"] == responder.global_id
        assert update["postmortem"]["version"] == 2
        assert (
            next(s for s in update["postmortem"]["sections"] if s["key"] == "detection")["body"]
            == "A synthetic check paged at 14:06."
        )

        pending = await started(stream)
        await action_items.create_action_item(
            actor=responder.principal,
            incident_id=postmortem.incident_id,
            postmortem_id=postmortem.id,
            title="Page on checkout 5xx",
            kind=ActionItemKind.DETECT,
        )
        update = await pending
        assert update["changedSections"] == ["actionItems"] and [
            i["title"] for i in update["postmortem"]["actionItems"]
        ] == ["Page on checkout 5xx"]

        pending = await started(stream)
        await review.submit(actor=responder.principal, postmortem_id=postmortem.id, reviewer_ids=[co_author.user_id])
        update = await pending
        assert update["changedSections"] == ["status"] and update["postmortem"]["status"] == "IN_REVIEW"
    finally:
        await stream.aclose()  # type: ignore[attr-defined]


async def test_a_refused_edit_sends_nothing(responder: Actor, broker: object) -> None:
    _, postmortem = await in_postmortem(responder)
    stream = await subscribe(responder, postmortem.id)
    try:
        pending = await started(stream)
        with pytest.raises(DomainError):
            await service.update_postmortem(
                actor=responder.principal, postmortem_id=postmortem.id, expected_version=7, title="Stale"
            )
        await asyncio.sleep(0.1)
        assert not pending.done()
        await service.update_postmortem(actor=responder.principal, postmortem_id=postmortem.id, title="Fresh")
        assert (await pending)["postmortem"]["title"] == "Fresh"
    finally:
        await stream.aclose()  # type: ignore[attr-defined]


async def test_invisible_postmortems_cannot_be_followed(responder: Actor, viewer: Actor, broker: object) -> None:
    _, postmortem = await in_postmortem(responder, private=True)
    context = Context(principal=viewer.principal, request_id="test")
    result = await SCHEMA.subscribe(
        document("PostmortemUpdated"),
        variable_values={"postmortemId": to_global_id("Postmortem", postmortem.id)},
        context_value=context,
    )
    first = await asyncio.wait_for(result.__anext__(), 5)  # type: ignore[union-attr]
    assert first.errors and first.errors[0].message == "Postmortem not found"


@pytest.fixture
async def redis_broker() -> AsyncIterator[Any]:
    """The Redis broker, on channels of this test only, installed as the app's broker."""
    import uuid

    from app.broker import create_broker, get_broker, set_broker
    from tests.services import require_redis

    previous = get_broker()
    instance = create_broker(require_redis(), prefix=f"firebreak-test-{uuid.uuid4().hex[:8]}:")
    await instance.connect()
    set_broker(instance)
    yield instance
    set_broker(previous)
    await instance.close()


async def test_edits_reach_a_co_author_through_redis(responder: Actor, redis_broker: object) -> None:
    _, postmortem = await in_postmortem(responder)
    co_author = await make_actor(Role.RESPONDER)
    stream = await subscribe(co_author, postmortem.id)
    try:
        pending = asyncio.ensure_future(next_update(stream))
        await asyncio.sleep(0.3)  # the Redis subscription is in place
        await service.update_postmortem(
            actor=co_author.principal, postmortem_id=postmortem.id, whys=[]
        )  # no change: no message
        await service.update_postmortem(actor=responder.principal, postmortem_id=postmortem.id, title="Search outage")
        update = await pending
        assert update["postmortem"]["title"] == "Search outage" and update["changedSections"] == ["title"]
    finally:
        await stream.aclose()  # type: ignore[attr-defined]
