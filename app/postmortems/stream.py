"""Live postmortem changes over the broker, so co-authors see each other's edits."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

import orjson

from app.broker import GAP, Broker
from app.postmortems.common import postmortem_topic
from app.postmortems.models import Postmortem


@dataclass(frozen=True)
class Update:
    postmortem: Postmortem
    sections: list[str] = field(default_factory=list)  # empty: unknown (messages were lost)
    actor_id: int | None = None


async def updates(
    broker: Broker, postmortem_id: int, *, still_visible: Callable[[], Awaitable[bool]]
) -> AsyncIterator[Update]:
    """The postmortem after each change to it (its content, people, status or action items),
    read from the database; ends when it is gone or `still_visible` says no."""
    async with broker.subscribe(postmortem_topic(postmortem_id)) as listener:
        seen = await _version(postmortem_id)  # the newest version announced or read
        async for message in listener:
            payload = {} if message is GAP else orjson.loads(message)
            if payload.get("type") == "postmortem":
                if payload["version"] <= seen:
                    continue  # from before we subscribed, or already read after a gap
                seen = payload["version"]
            postmortem = await Postmortem.get_or_none(id=postmortem_id)
            if postmortem is None or not await still_visible():
                return
            if message is GAP:
                if postmortem.version <= seen:
                    continue
                seen = postmortem.version
            yield Update(postmortem, list(payload.get("sections", [])), payload.get("actorId"))


async def _version(postmortem_id: int) -> int:
    values = await Postmortem.filter(id=postmortem_id).values_list("version", flat=True)
    return values[0] if values else 0
