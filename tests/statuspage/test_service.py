"""Status page commands on SQLite and PostgreSQL: status updates, components and their
history, maintenance over time, and the public snapshot they produce."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.errors import DomainError, ErrorCode
from app.identity.models import Role
from app.incidents import service as incidents
from app.incidents.enums import Severity, TimelineKind
from app.incidents.models import TimelineEvent
from app.statuspage import maintenance, queries, service
from app.statuspage.cache import public_cache
from app.statuspage.enums import (
    Audience,
    Impact,
    Indicator,
)
from app.statuspage.enums import (
    ComponentStatus as C,
)
from app.statuspage.enums import (
    MaintenanceStatus as M,
)
from app.statuspage.enums import (
    PublicStatus as P,
)
from app.statuspage.models import ComponentStatusChange, PublicIncident, StatusUpdate
from tests.conftest import Actor, make_actor
from tests.statuspage.conftest import Clock


async def declare(actor: Actor, **kwargs: object):  # type: ignore[no-untyped-def]
    return await incidents.declare_incident(
        actor=actor.principal, **{"title": "Internal: db-7 disk full", "severity": Severity.SEV2, **kwargs}
    )  # type: ignore[arg-type]


async def post(actor: Actor, incident_id: int, audience: Audience = Audience.PUBLIC, **kwargs: object) -> StatusUpdate:
    return await service.post_status_update(
        actor=actor.principal, incident_id=incident_id, audience=audience, **{"message": "Update", **kwargs}
    )  # type: ignore[arg-type]


async def test_public_update_publishes_the_incident(admin: Actor, broker: object) -> None:
    api = await service.create_component(actor=admin.principal, name="API")
    incident = await declare(admin)
    internal = await post(admin, incident.id, Audience.INTERNAL, message="db-7 ran out of disk")
    assert internal.public_status is None
    assert await PublicIncident.filter(incident_id=incident.id).count() == 0
    snapshot = await public_cache.snapshot()
    assert snapshot.incidents == () and snapshot.overall.indicator is Indicator.NONE

    update = await post(
        admin,
        incident.id,
        message="Some API requests fail",
        public_title="API errors",
        component_impacts=[(api.id, C.PARTIAL_OUTAGE)],
    )
    assert update.public_status is P.INVESTIGATING
    assert update.impacts == [{"componentId": api.id, "name": "API", "from": "OPERATIONAL", "to": "PARTIAL_OUTAGE"}]
    snapshot = await public_cache.snapshot()  # the command dropped the cache: no stale read
    [shown] = snapshot.incidents
    assert (shown.title, shown.status, shown.impact) == ("API errors", P.INVESTIGATING, Impact.MAJOR)
    assert [u.message for u in shown.updates] == ["Some API requests fail"]
    assert snapshot.components_by_id[api.id].status is C.PARTIAL_OUTAGE
    assert (snapshot.overall.indicator, snapshot.overall.description) == (Indicator.MAJOR, "Partial System Outage")
    events = await TimelineEvent.filter(incident_id=incident.id, kind=TimelineKind.STATUS_UPDATE).order_by("sequence")
    assert [e.data["audience"] for e in events] == ["INTERNAL", "PUBLIC"]
    assert [e.message for e in events] == ["db-7 ran out of disk", "Some API requests fail"]
    assert update.timeline_sequence == events[1].sequence


async def test_resolving_restores_the_components_it_broke(admin: Actor, broker: object) -> None:
    api = await service.create_component(actor=admin.principal, name="API")
    web = await service.create_component(actor=admin.principal, name="Web")
    other = await service.create_component(actor=admin.principal, name="Other")
    incident = await declare(admin)
    await service.set_component_status(actor=admin.principal, component_id=other.id, status=C.DEGRADED_PERFORMANCE)
    await post(admin, incident.id, component_impacts=[(api.id, C.MAJOR_OUTAGE), (web.id, C.DEGRADED_PERFORMANCE)])
    await post(admin, incident.id, public_status=P.MONITORING, component_impacts=[(api.id, C.DEGRADED_PERFORMANCE)])
    await post(
        admin, incident.id, public_status=P.RESOLVED, message="Fixed", component_impacts=[(web.id, C.PARTIAL_OUTAGE)]
    )
    snapshot = await public_cache.snapshot()
    statuses = {c.name: c.status for c in snapshot.components}
    # API set back by the resolution; Web as the resolving update said; Other was not this incident's
    assert statuses == {"API": C.OPERATIONAL, "Web": C.PARTIAL_OUTAGE, "Other": C.DEGRADED_PERFORMANCE}
    [shown] = snapshot.incidents
    assert shown.status is P.RESOLVED and shown.resolved_at is not None and shown.monitoring_at is not None
    assert shown.impact is Impact.CRITICAL  # the highest it reached
    assert snapshot.unresolved_incidents == []
    history = await ComponentStatusChange.filter(component_id=api.id).order_by("at", "id")
    assert [(c.from_status, c.to_status, c.incident_id) for c in history] == [
        (None, C.OPERATIONAL, None),
        (C.OPERATIONAL, C.MAJOR_OUTAGE, incident.id),
        (C.MAJOR_OUTAGE, C.DEGRADED_PERFORMANCE, incident.id),
        (C.DEGRADED_PERFORMANCE, C.OPERATIONAL, incident.id),
    ]
    # reopening clears resolved_at
    await post(admin, incident.id, public_status=P.INVESTIGATING, message="It is back")
    assert (await public_cache.snapshot()).incidents[0].resolved_at is None


async def test_status_update_validation(admin: Actor, broker: object) -> None:
    api = await service.create_component(actor=admin.principal, name="API")
    incident = await declare(admin)
    private = await declare(admin, private=True)
    viewer = await make_actor(Role.VIEWER)
    outsider = await make_actor(Role.RESPONDER)
    cases = [
        (dict(incident_id=private.id), ErrorCode.VALIDATION, "audience"),
        (dict(incident_id=incident.id, message=" "), ErrorCode.VALIDATION, "message"),
        (
            dict(incident_id=incident.id, audience=Audience.INTERNAL, component_impacts=[(api.id, C.MAJOR_OUTAGE)]),
            ErrorCode.VALIDATION,
            "componentImpacts",
        ),
        (
            dict(incident_id=incident.id, audience=Audience.INTERNAL, public_title="x"),
            ErrorCode.VALIDATION,
            "publicTitle",
        ),
        (
            dict(incident_id=incident.id, component_impacts=[(api.id, C.MAJOR_OUTAGE), (api.id, C.OPERATIONAL)]),
            ErrorCode.VALIDATION,
            "componentImpacts",
        ),
        (
            dict(incident_id=incident.id, component_impacts=[(api.id + 99, C.MAJOR_OUTAGE)]),
            ErrorCode.NOT_FOUND,
            "componentImpacts",
        ),
        (dict(incident_id=incident.id + 99), ErrorCode.NOT_FOUND, "incidentId"),
    ]
    for kwargs, code, field in cases:
        with pytest.raises(DomainError) as raised:
            await post(admin, **kwargs)  # type: ignore[arg-type]
        assert (raised.value.code, raised.value.field) == (code, field), kwargs
    with pytest.raises(DomainError) as raised:
        await post(viewer, incident.id)
    assert raised.value.code is ErrorCode.FORBIDDEN
    with pytest.raises(DomainError) as raised:  # a private incident stays invisible to others
        await post(outsider, private.id, audience=Audience.INTERNAL)
    assert raised.value.code is ErrorCode.NOT_FOUND
    assert await StatusUpdate.all().count() == 0  # nothing half-written
    assert (await service.create_component(actor=admin.principal, name="x")).status is C.OPERATIONAL


async def test_public_title(admin: Actor, broker: object) -> None:
    incident = await declare(admin)
    await post(admin, incident.id)
    assert (await public_cache.snapshot()).incidents[0].title == "Internal: db-7 disk full"  # copied at publication
    await service.set_public_title(actor=admin.principal, incident_id=incident.id, public_title="Slow logins")
    await incidents.update_incident(actor=admin.principal, incident_id=incident.id, title="Internal: renamed")
    assert (await public_cache.snapshot()).incidents[0].title == "Slow logins"
    private = await declare(admin, private=True)
    with pytest.raises(DomainError) as raised:
        await service.set_public_title(actor=admin.principal, incident_id=private.id, public_title="x")
    assert raised.value.field == "incidentId"


async def test_components_and_groups(admin: Actor, responder: Actor, broker: object) -> None:
    group = await service.create_group(actor=admin.principal, name="Edge", position=2)
    b = await service.create_component(actor=admin.principal, name="CDN", group_id=group.id, position=2)
    a = await service.create_component(actor=admin.principal, name="DNS", group_id=group.id, position=1)
    top = await service.create_component(actor=admin.principal, name="API", position=1)
    snapshot = await public_cache.snapshot()
    assert [c.name for c in snapshot.components] == ["API", "DNS", "CDN"]
    assert [(g.name if g else None, [c.name for c in members]) for g, members in snapshot.grouped()] == [
        (None, ["API"]),
        ("Edge", ["DNS", "CDN"]),
    ]
    await service.set_component_status(actor=responder.principal, component_id=b.id, status=C.MAJOR_OUTAGE)
    snapshot = await public_cache.snapshot()
    assert snapshot.groups[0].status is C.MAJOR_OUTAGE
    await service.update_component(actor=admin.principal, component_id=a.id, group_id=None, name="DNS (global)")
    await service.delete_group(actor=admin.principal, group_id=group.id)
    await service.delete_component(actor=admin.principal, component_id=top.id)
    snapshot = await public_cache.snapshot()
    assert [c.name for c in snapshot.components] == ["DNS (global)", "CDN"] and snapshot.groups == ()
    with pytest.raises(DomainError) as raised:
        await service.create_component(actor=responder.principal, name="x")
    assert raised.value.code is ErrorCode.FORBIDDEN
    with pytest.raises(DomainError) as raised:
        await service.create_component(actor=admin.principal, name="x", group_id=group.id)
    assert (raised.value.code, raised.value.field) == (ErrorCode.NOT_FOUND, "groupId")
    with pytest.raises(DomainError) as raised:
        await service.create_component(actor=admin.principal, name="x", service_id=999)
    assert raised.value.field == "serviceId"


async def test_maintenance_over_time(admin: Actor, broker: object, fake_clock: Clock) -> None:
    db = await service.create_component(actor=admin.principal, name="Database")
    start = fake_clock.current + timedelta(hours=1)
    m = await maintenance.schedule_maintenance(
        actor=admin.principal,
        title="Upgrade",
        message="Postgres upgrade",
        component_ids=[db.id],
        scheduled_for=start,
        scheduled_until=start + timedelta(hours=2),
    )

    async def seen() -> tuple[M, C, list[int], list[int]]:
        snapshot = await public_cache.snapshot()
        [view] = [v for v in snapshot.maintenances if v.id == m.id] or [None]
        status = view.status if view else M.CANCELLED
        return (
            status,
            snapshot.components_by_id[db.id].status,
            [v.id for v in snapshot.upcoming_maintenances],
            [v.id for v in snapshot.active_maintenances],
        )

    assert await seen() == (M.SCHEDULED, C.OPERATIONAL, [m.id], [])
    fake_clock.current = start  # no write: the cached snapshot expires at the boundary
    assert await seen() == (M.IN_PROGRESS, C.UNDER_MAINTENANCE, [], [m.id])
    snapshot = await public_cache.snapshot()
    assert snapshot.overall.description == "Service Under Maintenance"
    fake_clock.advance(minutes=30)
    await maintenance.post_maintenance_update(
        actor=admin.principal, maintenance_id=m.id, status=M.VERIFYING, message="Checking"
    )
    assert await seen() == (M.VERIFYING, C.UNDER_MAINTENANCE, [], [m.id])
    fake_clock.current = start + timedelta(hours=2)
    assert await seen() == (M.COMPLETED, C.OPERATIONAL, [], [])
    with pytest.raises(DomainError) as raised:
        await maintenance.post_maintenance_update(actor=admin.principal, maintenance_id=m.id, message="late")
    assert raised.value.code is ErrorCode.INVALID_TRANSITION
    # the history shows the maintenance, caused by it
    changes, views = await queries.history(db.id, fake_clock.current)
    assert [(c.to_status, c.cause.maintenance_id) for c in changes] == [
        (C.OPERATIONAL, None),
        (C.UNDER_MAINTENANCE, m.id),
        (C.OPERATIONAL, m.id),
    ]
    assert views[m.id].status is M.COMPLETED


async def test_maintenance_edits_and_cancel(admin: Actor, broker: object, fake_clock: Clock) -> None:
    a = await service.create_component(actor=admin.principal, name="A")
    b = await service.create_component(actor=admin.principal, name="B")
    now = fake_clock.current
    m = await maintenance.schedule_maintenance(
        actor=admin.principal,
        title="Work",
        message="Planned",
        component_ids=[a.id],
        scheduled_for=now + timedelta(hours=1),
        scheduled_until=now + timedelta(hours=2),
    )
    m = await maintenance.update_maintenance(
        actor=admin.principal, maintenance_id=m.id, component_ids=[a.id, b.id], scheduled_until=now + timedelta(hours=3)
    )
    fake_clock.advance(minutes=70)
    with pytest.raises(DomainError) as raised:
        await maintenance.update_maintenance(
            actor=admin.principal, maintenance_id=m.id, scheduled_for=now + timedelta(hours=4)
        )
    assert (raised.value.code, raised.value.field) == (ErrorCode.INVALID_TRANSITION, "scheduledFor")
    with pytest.raises(DomainError) as raised:
        await maintenance.update_maintenance(actor=admin.principal, maintenance_id=m.id, component_ids=[a.id])
    assert raised.value.field == "componentIds"
    await maintenance.cancel_maintenance(actor=admin.principal, maintenance_id=m.id)  # running: ends now
    view = (await queries.maintenance_views([await type(m).get(id=m.id)], fake_clock.current))[0]
    assert view.status is M.COMPLETED and view.ended_at == fake_clock.current
    assert view.updates[0].status is M.COMPLETED
    later = await maintenance.schedule_maintenance(
        actor=admin.principal,
        title="Later",
        message="Planned",
        component_ids=[],
        scheduled_for=fake_clock.current + timedelta(days=1),
        scheduled_until=fake_clock.current + timedelta(days=1, hours=1),
    )
    await maintenance.cancel_maintenance(actor=admin.principal, maintenance_id=later.id, message="Not needed")
    snapshot = await public_cache.snapshot()
    assert later.id not in [v.id for v in snapshot.maintenances]  # never happened, publicly
    for kwargs, field in [
        (dict(scheduled_for=now - timedelta(hours=1), scheduled_until=now + timedelta(hours=1)), "scheduledFor"),
        (dict(scheduled_for=now + timedelta(hours=2), scheduled_until=now + timedelta(hours=1)), "scheduledUntil"),
        (dict(scheduled_for=now.replace(tzinfo=None), scheduled_until=now + timedelta(hours=1)), "scheduledFor"),
        (dict(scheduled_for=now + timedelta(hours=2), scheduled_until=now + timedelta(days=40)), "scheduledUntil"),
    ]:
        with pytest.raises(DomainError) as raised:
            await maintenance.schedule_maintenance(
                actor=admin.principal, title="x", message="y", component_ids=[], **kwargs
            )  # type: ignore[arg-type]
        assert raised.value.field == field
    with pytest.raises(DomainError) as raised:
        await maintenance.schedule_maintenance(
            actor=admin.principal,
            title="x",
            message="y",
            component_ids=[999],
            scheduled_for=now + timedelta(hours=2),
            scheduled_until=now + timedelta(hours=3),
        )
    assert (raised.value.code, raised.value.field) == (ErrorCode.NOT_FOUND, "componentIds")


async def test_uptime_from_stored_history(admin: Actor, broker: object, fake_clock: Clock) -> None:
    api = await service.create_component(actor=admin.principal, name="API")
    incident = await declare(admin)
    fake_clock.advance(hours=1)
    await post(admin, incident.id, component_impacts=[(api.id, C.MAJOR_OUTAGE)])
    fake_clock.advance(hours=1)
    await post(admin, incident.id, component_impacts=[(api.id, C.PARTIAL_OUTAGE)])
    fake_clock.advance(hours=2)
    await post(admin, incident.id, public_status=P.RESOLVED)
    fake_clock.advance(hours=4)
    view = (await public_cache.snapshot()).components_by_id[api.id]
    days = [d for d in view.uptime.days if d.observed]
    assert sum(d.observed for d in days) == 8 * 3600
    assert sum(d.downtime for d in days) == 3600 and sum(d.degraded for d in days) == 2 * 3600
    assert view.uptime.percentage == pytest.approx(100 * 7 / 8)
