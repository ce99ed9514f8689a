"""Alert test support: a `checkout` service fixture, integrations, and deliveries through the domain."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from app.alerts import integrations
from app.alerts.enums import AlertSource, IntegrationKind
from app.alerts.ingest import IntegrationRef, Outcome, ingest
from app.api.http import alert_payloads
from app.catalog import service as catalog
from app.catalog.models import Service
from app.identity.policy import INGESTION
from tests.conftest import Actor


@pytest.fixture
async def checkout(clean_db: object) -> Service:
    return await catalog.create_service(name="checkout")


async def connect(
    admin: Actor, service: Service, kind: IntegrationKind = IntegrationKind.ALERTMANAGER
) -> tuple[IntegrationRef, str]:
    issued = await integrations.create_integration(
        actor=admin.principal, service_id=service.id, kind=kind, name=f"{kind.value.lower()} prod"
    )
    ref = await integrations.authenticate(kind, issued.key)
    assert ref is not None
    return ref, issued.key


_PARSERS = {
    IntegrationKind.ALERTMANAGER: (alert_payloads.alertmanager, AlertSource.ALERTMANAGER),
    IntegrationKind.GRAFANA: (alert_payloads.grafana, AlertSource.GRAFANA),
    IntegrationKind.GENERIC: (alert_payloads.generic, AlertSource.GENERIC),
}


async def deliver(ref: IntegrationRef, body: dict[str, Any]) -> Outcome:
    """A delivery through the domain, parsed as the HTTP endpoint parses it."""
    parse, source = _PARSERS[IntegrationKind(ref.kind)]
    return await ingest(
        actor=INGESTION, service_id=ref.service_id, source=source, delivery=parse(orjson.dumps(body)), integration=ref
    )
