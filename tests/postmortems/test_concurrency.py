"""Concurrent writers: one postmortem per incident, one winner per version, and the incident
timeline stays contiguous while postmortem and action item events interleave with notes."""

from __future__ import annotations

import asyncio

from app.errors import DomainError, ErrorCode
from app.incidents import service as incidents
from app.incidents.enums import IncidentStatus as S
from app.incidents.enums import Severity
from app.incidents.models import Incident, TimelineEvent
from app.postmortems import service
from app.postmortems.action_items import service as action_items
from app.postmortems.enums import ActionItemKind
from app.postmortems.models import Postmortem, PostmortemRevision
from app.postmortems.service import SectionEdit
from tests.conftest import Actor
from tests.postmortems.helpers import in_postmortem, resolved_incident


async def outcome(coroutine: object) -> ErrorCode | None:
    try:
        await coroutine  # type: ignore[misc]
    except DomainError as error:
        return error.code
    return None


async def test_one_postmortem_per_incident_under_races(responder: Actor, broker: object) -> None:
    incident = await resolved_incident(responder, Severity.SEV3)
    attempts = [service.create_postmortem(actor=responder.principal, incident_id=incident.id) for _ in range(6)]
    attempts.append(incidents.update_status(actor=responder.principal, incident_id=incident.id, status=S.POSTMORTEM))
    outcomes = await asyncio.gather(*(outcome(a) for a in attempts))
    assert await Postmortem.filter(incident_id=incident.id).count() == 1
    assert outcomes[-1] is None  # moving to POSTMORTEM never fails because a postmortem exists
    assert outcomes[:-1].count(None) <= 1 and all(code is ErrorCode.CONFLICT for code in outcomes[:-1] if code)
    assert await TimelineEvent.filter(incident_id=incident.id, kind="POSTMORTEM_CREATED").count() == 1


async def test_concurrent_edits_of_one_version_one_wins(responder: Actor, broker: object) -> None:
    _, postmortem = await in_postmortem(responder)
    keys = ["summary", "detection", "response", "recovery"] * 3
    outcomes = await asyncio.gather(
        *(
            outcome(
                service.update_postmortem(
                    actor=responder.principal,
                    postmortem_id=postmortem.id,
                    expected_version=1,
                    sections=[SectionEdit(k, f"text {i}")],
                )
            )
            for i, k in enumerate(keys)
        )
    )
    assert outcomes.count(None) == 1 and all(code is ErrorCode.VERSION_CONFLICT for code in outcomes if code)
    stored = await Postmortem.get(id=postmortem.id)
    assert stored.version == 2 and await PostmortemRevision.filter(postmortem_id=postmortem.id).count() == 1


async def test_timeline_stays_contiguous_with_interleaved_writers(responder: Actor, broker: object) -> None:
    incident, postmortem = await in_postmortem(responder)
    start = (await Incident.get(id=incident.id)).last_sequence

    async def notes() -> None:
        for i in range(8):
            await incidents.add_note(actor=responder.principal, incident_id=incident.id, body=f"note {i}")

    async def items() -> None:
        for i in range(8):
            await action_items.create_action_item(
                actor=responder.principal,
                incident_id=incident.id,
                postmortem_id=postmortem.id,
                title=f"item {i}",
                kind=ActionItemKind.PROCESS,
            )

    await asyncio.gather(notes(), items(), notes())
    sequences = (
        await TimelineEvent.filter(incident_id=incident.id).order_by("sequence").values_list("sequence", flat=True)
    )
    assert list(sequences) == list(range(1, start + 25))
    assert (await Incident.get(id=incident.id)).last_sequence == start + 24
