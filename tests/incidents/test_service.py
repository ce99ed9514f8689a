"""Incident commands on SQLite and PostgreSQL: numbering, lifecycle, roles, notes, merges."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app import clock
from app.catalog import service as catalog
from app.errors import DomainError, ErrorCode
from app.identity.models import Role
from app.incidents import service
from app.incidents.enums import IncidentRole, Severity, TimelineKind
from app.incidents.enums import IncidentStatus as S
from app.incidents.models import Incident, RoleAssignment, TimelineEvent
from tests.conftest import Actor, make_actor


async def declare(actor: Actor, **kwargs: object) -> Incident:
    fields: dict[str, object] = {"title": "Checkout down", "severity": Severity.SEV2, **kwargs}
    return await service.declare_incident(actor=actor.principal, **fields)  # type: ignore[arg-type]


async def kinds(incident_id: int) -> list[str]:
    return [e.kind for e in await TimelineEvent.filter(incident_id=incident_id).order_by("sequence")]


async def test_first_incident_is_inc_1_and_numbers_follow(responder: Actor, broker: object) -> None:
    first = await declare(responder)
    second = await declare(responder)
    assert (first.reference, second.reference) == ("INC-1", "INC-2")
    assert first.status is S.TRIAGE and first.version == 1
    assert await kinds(first.id) == ["DECLARED"]


async def test_declare_links_services_and_records_them(responder: Actor, admin: Actor, broker: object) -> None:
    svc = await catalog.create_service(name="checkout")
    incident = await declare(responder, service_ids=[svc.id, svc.id])
    event = await TimelineEvent.get(incident_id=incident.id, sequence=1)
    assert len(event.data["serviceIds"]) == 1
    with pytest.raises(DomainError) as raised:
        await declare(responder, service_ids=[svc.id + 1000])
    assert raised.value.code is ErrorCode.NOT_FOUND and raised.value.field == "serviceIds"
    assert await Incident.all().count() == 1  # nothing half-written


async def test_declare_in_a_later_open_status_stamps_milestones(responder: Actor, broker: object) -> None:
    incident = await declare(responder, status=S.IDENTIFIED)
    assert incident.acknowledged_at is not None and incident.identified_at is not None
    assert incident.mitigated_at is None
    with pytest.raises(DomainError) as raised:
        await declare(responder, status=S.RESOLVED)
    assert raised.value.field == "status"


@pytest.mark.parametrize("title", ["", "   ", "x" * 201, "bad\x00title", "line\nbreak"])
async def test_declare_rejects_bad_titles(responder: Actor, title: str) -> None:
    with pytest.raises(DomainError) as raised:
        await declare(responder, title=title)
    assert raised.value.code is ErrorCode.VALIDATION and raised.value.field == "title"


async def test_viewer_cannot_declare(viewer: Actor) -> None:
    with pytest.raises(DomainError) as raised:
        await declare(viewer)
    assert raised.value.code is ErrorCode.FORBIDDEN


async def test_status_walk_sets_timestamps_and_events(responder: Actor, broker: object) -> None:
    incident = await declare(responder, severity=Severity.SEV3)  # SEV1/SEV2 close only with a published postmortem
    for status in (S.INVESTIGATING, S.MONITORING, S.RESOLVED, S.POSTMORTEM, S.CLOSED):
        incident = await service.update_status(
            actor=responder.principal, incident_id=incident.id, status=status, message=f"to {status.value}"
        )
    stored = await Incident.get(id=incident.id)
    assert stored.status is S.CLOSED and stored.version == 6
    assert (
        stored.acknowledged_at <= stored.identified_at <= stored.mitigated_at <= stored.resolved_at <= stored.closed_at
    )
    events = await TimelineEvent.filter(incident_id=incident.id).order_by("sequence")
    assert [e.sequence for e in events] == [1, 2, 3, 4, 5, 6, 7]
    assert events[5].kind == "POSTMORTEM_CREATED"  # entering POSTMORTEM starts the postmortem
    assert events[2].data == {"from": "INVESTIGATING", "to": "MONITORING"}
    assert events[2].message == "to MONITORING"


async def test_invalid_transition_names_current_and_allowed(responder: Actor, broker: object) -> None:
    incident = await declare(responder)
    with pytest.raises(DomainError) as raised:
        await service.update_status(actor=responder.principal, incident_id=incident.id, status=S.CLOSED)
    assert raised.value.code is ErrorCode.INVALID_TRANSITION
    assert "TRIAGE" in raised.value.message and "INVESTIGATING" in raised.value.message
    stored = await Incident.get(id=incident.id)
    assert stored.status is S.TRIAGE and stored.version == 1 and stored.last_sequence == 1


async def test_reopen_after_resolve(responder: Actor, broker: object) -> None:
    incident = await declare(responder)
    await service.update_status(actor=responder.principal, incident_id=incident.id, status=S.RESOLVED)
    reopened = await service.update_status(actor=responder.principal, incident_id=incident.id, status=S.INVESTIGATING)
    assert reopened.resolved_at is None and reopened.status is S.INVESTIGATING


async def test_version_conflict_writes_nothing(responder: Actor, broker: object) -> None:
    incident = await declare(responder)
    await service.change_severity(
        actor=responder.principal, incident_id=incident.id, severity=Severity.SEV1, expected_version=1
    )
    for attempt in (
        service.update_status(
            actor=responder.principal, incident_id=incident.id, status=S.INVESTIGATING, expected_version=1
        ),
        service.change_severity(
            actor=responder.principal, incident_id=incident.id, severity=Severity.SEV3, expected_version=1
        ),
        service.update_incident(actor=responder.principal, incident_id=incident.id, title="New", expected_version=1),
    ):
        with pytest.raises(DomainError) as raised:
            await attempt
        assert raised.value.code is ErrorCode.VERSION_CONFLICT and raised.value.field == "expectedVersion"
    stored = await Incident.get(id=incident.id)
    assert (stored.version, stored.severity, stored.title, stored.last_sequence) == (
        2,
        Severity.SEV1,
        "Checkout down",
        2,
    )


async def test_same_severity_is_rejected(responder: Actor, broker: object) -> None:
    incident = await declare(responder)
    with pytest.raises(DomainError) as raised:
        await service.change_severity(actor=responder.principal, incident_id=incident.id, severity=Severity.SEV2)
    assert raised.value.field == "severity"


async def test_update_incident_records_each_change(responder: Actor, broker: object) -> None:
    a = await catalog.create_service(name="a")
    b = await catalog.create_service(name="b")
    incident = await declare(responder, service_ids=[a.id])
    updated = await service.update_incident(
        actor=responder.principal, incident_id=incident.id, title="Renamed", summary="More", service_ids=[b.id]
    )
    assert updated.version == 2
    event = await TimelineEvent.get(incident_id=incident.id, sequence=2)
    assert event.kind == TimelineKind.FIELD_CHANGED
    assert set(event.data["changes"]) == {"title", "summary", "serviceIds"}
    assert event.data["changes"]["title"] == {"from": "Checkout down", "to": "Renamed"}
    unchanged = await service.update_incident(actor=responder.principal, incident_id=incident.id, title="Renamed")
    assert unchanged.version == 2 and unchanged.last_sequence == 2


async def test_role_assignment_and_handoff(responder: Actor, admin: Actor, viewer: Actor, broker: object) -> None:
    incident = await declare(responder)
    await service.assign_role(
        actor=responder.principal,
        incident_id=incident.id,
        role=IncidentRole.INCIDENT_COMMANDER,
        user_id=responder.user_id,
    )
    await service.assign_role(
        actor=responder.principal, incident_id=incident.id, role=IncidentRole.INCIDENT_COMMANDER, user_id=admin.user_id
    )
    holders = await RoleAssignment.filter(incident_id=incident.id)
    assert [(h.role, h.user_id) for h in holders] == [(IncidentRole.INCIDENT_COMMANDER, admin.user_id)]
    handoff = await TimelineEvent.get(incident_id=incident.id, sequence=3)
    assert handoff.data["handoff"] is True and handoff.data["previousUserId"] == responder.global_id
    assert handoff.data["userId"] == admin.global_id
    with pytest.raises(DomainError) as raised:
        await service.assign_role(
            actor=responder.principal, incident_id=incident.id, role=IncidentRole.SCRIBE, user_id=viewer.user_id
        )
    assert raised.value.code is ErrorCode.VALIDATION
    await service.unassign_role(
        actor=responder.principal, incident_id=incident.id, role=IncidentRole.INCIDENT_COMMANDER
    )
    assert not await RoleAssignment.filter(incident_id=incident.id).exists()
    with pytest.raises(DomainError) as raised:
        await service.unassign_role(
            actor=responder.principal, incident_id=incident.id, role=IncidentRole.INCIDENT_COMMANDER
        )
    assert raised.value.code is ErrorCode.NOT_FOUND
    assert await kinds(incident.id) == ["DECLARED", "ROLE_ASSIGNED", "ROLE_ASSIGNED", "ROLE_UNASSIGNED"]


async def test_notes_can_be_backdated_but_not_future(responder: Actor, broker: object) -> None:
    incident = await declare(responder)
    earlier = clock.now() - timedelta(minutes=30)
    note = await service.add_note(
        actor=responder.principal, incident_id=incident.id, body="Saw it first", occurred_at=earlier
    )
    assert note.sequence == 2 and note.occurred_at == earlier and note.recorded_at > earlier
    stored = await Incident.get(id=incident.id)
    assert stored.version == 1  # a note does not change the incident's own fields
    for bad, field in ((clock.now() + timedelta(hours=1), "occurredAt"), (earlier.replace(tzinfo=None), "occurredAt")):
        with pytest.raises(DomainError) as raised:
            await service.add_note(actor=responder.principal, incident_id=incident.id, body="x", occurred_at=bad)
        assert raised.value.field == field
    with pytest.raises(DomainError):
        await service.add_note(actor=responder.principal, incident_id=incident.id, body="   ")
    with pytest.raises(DomainError) as raised:
        await service.add_note(actor=responder.principal, incident_id=incident.id + 99, body="x")
    assert raised.value.code is ErrorCode.NOT_FOUND


async def test_merge_records_on_both_timelines(responder: Actor, broker: object) -> None:
    source = await declare(responder, title="Dup")
    target = await declare(responder, title="Main")
    merged = await service.merge_incident(actor=responder.principal, incident_id=source.id, into_incident_id=target.id)
    assert merged.status is S.MERGED and merged.merged_into_id == target.id and merged.closed_at is not None
    assert await kinds(source.id) == ["DECLARED", "MERGED"]
    assert await kinds(target.id) == ["DECLARED", "INCIDENT_MERGED_IN"]
    with pytest.raises(DomainError) as raised:
        await service.merge_incident(actor=responder.principal, incident_id=target.id, into_incident_id=source.id)
    assert raised.value.code is ErrorCode.INVALID_TRANSITION
    with pytest.raises(DomainError) as raised:
        await service.merge_incident(actor=responder.principal, incident_id=target.id, into_incident_id=target.id)
    assert raised.value.code is ErrorCode.VALIDATION
    with pytest.raises(DomainError):
        await service.update_status(actor=responder.principal, incident_id=target.id, status=S.MERGED)


async def test_events_are_published_only_after_commit(responder: Actor, broker: object) -> None:
    from app.events import FEED_TOPIC

    async with broker.subscribe(FEED_TOPIC) as feed:  # type: ignore[attr-defined]
        incident = await declare(responder)
        with pytest.raises(DomainError):
            await service.update_status(actor=responder.principal, incident_id=incident.id, status=S.CLOSED)
        await service.update_status(actor=responder.principal, incident_id=incident.id, status=S.RESOLVED)
        import asyncio

        import orjson

        received = [orjson.loads(await asyncio.wait_for(feed.__anext__(), 2)) for _ in range(2)]
        assert [(m["kind"], m["sequence"]) for m in received] == [("DECLARED", 1), ("RESOLVED", 2)]
        assert feed.pending() == 0


async def test_a_second_responder_can_act(clean_db: object, broker: object) -> None:
    other = await make_actor(Role.RESPONDER)
    incident = await declare(other)
    assert incident.created_by_id == other.user_id
