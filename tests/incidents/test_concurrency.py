"""Numbers and sequences stay gap-free and unique under concurrent writers."""

from __future__ import annotations

import asyncio

from app.errors import DomainError, ErrorCode
from app.incidents import service
from app.incidents.enums import IncidentStatus, Severity
from app.incidents.models import Incident, TimelineEvent
from tests.conftest import Actor


async def test_concurrent_declares_get_distinct_gap_free_numbers(responder: Actor, broker: object) -> None:
    async def one(i: int) -> int:
        incident = await service.declare_incident(
            actor=responder.principal, title=f"Incident {i}", severity=Severity.SEV3
        )
        return incident.number

    numbers = await asyncio.gather(*(one(i) for i in range(40)))
    assert sorted(numbers) == list(range(1, 41))
    assert sorted(await Incident.all().values_list("number", flat=True)) == list(range(1, 41))


async def test_hammering_one_timeline_keeps_sequences_contiguous(responder: Actor, broker: object) -> None:
    incident = await service.declare_incident(actor=responder.principal, title="Busy", severity=Severity.SEV1)

    async def writer(w: int) -> list[int]:
        sequences = []
        for i in range(10):
            event = await service.add_note(actor=responder.principal, incident_id=incident.id, body=f"w{w} n{i}")
            sequences.append(event.sequence)
        return sequences

    results = await asyncio.gather(*(writer(w) for w in range(12)))
    returned = sorted(s for seqs in results for s in seqs)
    assert returned == list(range(2, 122))
    stored = await TimelineEvent.filter(incident_id=incident.id).order_by("sequence").values_list("sequence", flat=True)
    assert list(stored) == list(range(1, 122))
    assert (await Incident.get(id=incident.id)).last_sequence == 121


async def test_concurrent_edits_with_the_same_expected_version_one_wins(responder: Actor, broker: object) -> None:
    incident = await service.declare_incident(actor=responder.principal, title="Race", severity=Severity.SEV2)
    targets = [
        IncidentStatus.INVESTIGATING,
        IncidentStatus.IDENTIFIED,
        IncidentStatus.MONITORING,
        IncidentStatus.RESOLVED,
    ] * 3

    async def attempt(status: IncidentStatus) -> ErrorCode | None:
        try:
            await service.update_status(
                actor=responder.principal, incident_id=incident.id, status=status, expected_version=1
            )
        except DomainError as error:
            return error.code
        return None

    outcomes = await asyncio.gather(*(attempt(s) for s in targets))
    assert outcomes.count(None) == 1
    assert all(code in (ErrorCode.VERSION_CONFLICT, ErrorCode.INVALID_TRANSITION) for code in outcomes if code)
    stored = await Incident.get(id=incident.id)
    assert stored.version == 2 and stored.last_sequence == 2
