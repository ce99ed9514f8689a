"""Events leave only after commit: a rolled-back change publishes nothing."""

from __future__ import annotations

import asyncio

import pytest

from app.events import FEED_TOPIC
from app.incidents import service
from app.incidents.enums import Severity
from app.incidents.models import Incident, TimelineEvent
from tests.conftest import Actor


async def test_a_rolled_back_change_publishes_nothing(
    responder: Actor, broker: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    incident = await service.declare_incident(actor=responder.principal, title="Stable", severity=Severity.SEV3)
    original_save = Incident.save

    async def failing_save(self: Incident, *args: object, **kwargs: object) -> None:
        raise RuntimeError("the database went away mid-transaction")

    async with broker.subscribe(FEED_TOPIC) as feed, broker.subscribe(f"incident:{incident.id}") as topic:  # type: ignore[attr-defined]
        monkeypatch.setattr(Incident, "save", failing_save)
        with pytest.raises(RuntimeError):
            await service.change_severity(actor=responder.principal, incident_id=incident.id, severity=Severity.SEV1)
        monkeypatch.setattr(Incident, "save", original_save)
        await asyncio.sleep(0.05)
        assert feed.pending() == 0 and topic.pending() == 0
    stored = await Incident.get(id=incident.id)
    assert stored.severity is Severity.SEV3 and stored.last_sequence == 1
    assert await TimelineEvent.filter(incident_id=incident.id).count() == 1
