"""Concurrent deliveries (Alertmanager HA pairs send every notification twice): one alert per
key and one incident per storm, whatever the interleaving. Runs on SQLite and PostgreSQL; on
PostgreSQL the deliveries really run in parallel transactions."""

from __future__ import annotations

import asyncio

import pytest
from tortoise.exceptions import IntegrityError

from app import clock
from app.alerts.enums import AlertSeverity, AlertSource, AlertStatus
from app.alerts.models import Alert
from app.catalog.models import Service
from app.incidents.models import Incident, TimelineEvent
from tests.alerts import payloads
from tests.alerts.support import connect
from tests.conftest import Actor, Backend, GraphQLClient


async def test_the_same_payload_from_many_tasks_ends_in_one_alert_per_key(
    gql: GraphQLClient, admin: Actor, checkout: Service, clean_db: Backend
) -> None:
    _, key = await connect(admin, checkout)
    body = payloads.alertmanager([payloads.am_alert(instance=f"api-{i}", fingerprint=f"ha{i}") for i in range(3)])
    responses = await asyncio.gather(
        *(gql.http.post(f"/integrations/alertmanager/{key}", json=body) for _ in range(30))
    )
    assert [r.status_code for r in responses] == [200] * 30, {r.status_code: r.text for r in responses}
    assert sum(r.json()["created"] for r in responses) == 3
    alerts = await Alert.all()
    assert sorted(a.dedup_key for a in alerts) == ["ha0", "ha1", "ha2"]
    assert {a.occurrences for a in alerts} == {30}
    incident = await Incident.get()  # exactly one
    attached = await TimelineEvent.filter(incident_id=incident.id, kind="ALERT_ATTACHED").count()
    assert attached == 3


async def test_concurrent_storms_on_one_service_declare_one_incident(
    gql: GraphQLClient, admin: Actor, checkout: Service, clean_db: Backend
) -> None:
    _, key = await connect(admin, checkout)
    bodies = [payloads.alertmanager([payloads.am_alert(f"Rule{i}", fingerprint=f"storm{i}")]) for i in range(20)]
    responses = await asyncio.gather(*(gql.http.post(f"/integrations/alertmanager/{key}", json=b) for b in bodies))
    assert {r.status_code for r in responses} == {200}
    assert await Incident.all().count() == 1
    incident = await Incident.get()
    assert await Alert.filter(incident_id=incident.id).count() == 20
    sequences = (
        await TimelineEvent.filter(incident_id=incident.id).order_by("sequence").values_list("sequence", flat=True)
    )
    assert list(sequences) == list(range(1, 22))


async def test_the_database_refuses_a_second_open_alert_for_a_key(admin: Actor, checkout: Service) -> None:
    ref, _ = await connect(admin, checkout)
    now = clock.now()
    fields = dict(
        service_id=checkout.id,
        integration_id=ref.id,
        source=AlertSource.ALERTMANAGER,
        dedup_key="dup",
        status=AlertStatus.FIRING,
        severity=AlertSeverity.CRITICAL,
        summary="x",
        first_seen_at=now,
        last_seen_at=now,
        updated_at=now,
    )
    await Alert.create(open_key="dup", **fields)
    with pytest.raises(IntegrityError):
        await Alert.create(open_key="dup", **fields)
    # Resolved alerts leave the key free (their open key is NULL), as many as there were episodes.
    await Alert.create(open_key=None, **{**fields, "status": AlertStatus.RESOLVED})
    await Alert.create(open_key=None, **{**fields, "status": AlertStatus.RESOLVED})
    assert await Alert.filter(dedup_key="dup").count() == 3
