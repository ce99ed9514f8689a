"""The lifecycle's extension points: guards refuse a status change before anything is written,
after-hooks run inside the change's transaction (their writes commit or roll back with it)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from app.errors import DomainError, ErrorCode
from app.incidents import hooks, service, timeline
from app.incidents.enums import IncidentStatus as S
from app.incidents.enums import Severity, TimelineKind
from app.incidents.models import Incident, TimelineEvent
from tests.conftest import Actor

seen: list[tuple[str, S, S, str]] = []


async def refuse_identified(change: hooks.StatusChange) -> None:
    seen.append(("guard", change.previous, change.target, change.incident.status.value))
    if change.target is S.IDENTIFIED:
        raise DomainError("Not on Fridays", code=ErrorCode.POLICY, field="status")


async def note_after(change: hooks.StatusChange) -> None:
    seen.append(("after", change.previous, change.target, change.incident.status.value))
    await timeline.append(
        change.outbox,
        change.incident,
        TimelineKind.NOTE,
        actor_id=change.actor.user_id,
        message=f"after {change.target.value}",
        incident_changed=False,
    )
    if change.target is S.MONITORING:
        raise RuntimeError("the hook failed")


@pytest.fixture
def registered() -> Iterator[None]:
    seen.clear()
    hooks.register_guard(refuse_identified)
    hooks.register_after_transition(note_after)
    hooks.register_after_transition(note_after)  # registering twice runs it once
    yield
    hooks.unregister(refuse_identified)
    hooks.unregister(note_after)


async def test_guards_and_after_hooks(responder: Actor, broker: object, registered: None) -> None:
    incident = await service.declare_incident(actor=responder.principal, title="Hooks", severity=Severity.SEV3)
    moved = await service.update_status(actor=responder.principal, incident_id=incident.id, status=S.INVESTIGATING)
    # The guard saw the incident before the change, the after-hook after it.
    assert seen == [
        ("guard", S.TRIAGE, S.INVESTIGATING, "TRIAGE"),
        ("after", S.TRIAGE, S.INVESTIGATING, "INVESTIGATING"),
    ]
    events = await TimelineEvent.filter(incident_id=incident.id).order_by("sequence")
    assert [(e.sequence, e.kind, e.message) for e in events] == [
        (1, "DECLARED", "Hooks"),
        (2, "STATUS_CHANGED", ""),
        (3, "NOTE", "after INVESTIGATING"),
    ]
    assert moved.last_sequence == 3 and (await Incident.get(id=incident.id)).last_sequence == 3

    with pytest.raises(DomainError) as raised:
        await service.update_status(actor=responder.principal, incident_id=incident.id, status=S.IDENTIFIED)
    assert (raised.value.code, raised.value.field) == (ErrorCode.POLICY, "status")
    with pytest.raises(RuntimeError):
        await service.update_status(actor=responder.principal, incident_id=incident.id, status=S.MONITORING)
    stored = await Incident.get(id=incident.id)
    assert (stored.status, stored.version, stored.last_sequence) == (S.INVESTIGATING, 2, 3)  # both rolled back
    assert await TimelineEvent.filter(incident_id=incident.id).count() == 3


async def test_the_table_is_checked_before_any_guard(responder: Actor, broker: object, registered: None) -> None:
    incident = await service.declare_incident(actor=responder.principal, title="Hooks", severity=Severity.SEV3)
    with pytest.raises(DomainError) as raised:
        await service.update_status(actor=responder.principal, incident_id=incident.id, status=S.CLOSED)
    assert raised.value.code is ErrorCode.INVALID_TRANSITION and seen == []


async def test_merges_run_the_hooks(responder: Actor, broker: object, registered: None) -> None:
    source = await service.declare_incident(actor=responder.principal, title="A", severity=Severity.SEV3)
    target = await service.declare_incident(actor=responder.principal, title="B", severity=Severity.SEV3)
    await service.merge_incident(actor=responder.principal, incident_id=source.id, into_incident_id=target.id)
    assert [s[:3] for s in seen] == [("guard", S.TRIAGE, S.MERGED), ("after", S.TRIAGE, S.MERGED)]
