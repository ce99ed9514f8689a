"""The close policy: a SEV1/SEV2 incident is CLOSED only once its postmortem is PUBLISHED
(configurable), refused with a typed POLICY error and nothing written."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from app.config import load_settings
from app.errors import DomainError, ErrorCode
from app.incidents import service as incidents
from app.incidents.enums import IncidentStatus as S
from app.incidents.enums import Severity
from app.incidents.models import Incident
from app.postmortems import integration, review, service
from app.postmortems.integration import PostmortemRequired
from tests.conftest import Actor
from tests.postmortems.helpers import approved, in_postmortem, resolved_incident, reviewer


@pytest.fixture
def required_severities() -> Iterator[None]:
    before = integration.required_severities()
    yield
    integration.require_published_postmortem_for(before)


async def close(actor: Actor, incident_id: int) -> Incident:
    return await incidents.update_status(actor=actor.principal, incident_id=incident_id, status=S.CLOSED)


@pytest.mark.parametrize("severity", [Severity.SEV1, Severity.SEV2])
async def test_high_severity_closes_only_with_a_published_postmortem(
    responder: Actor, broker: object, severity: Severity
) -> None:
    incident, postmortem = await in_postmortem(responder, severity)
    with pytest.raises(PostmortemRequired) as raised:
        await close(responder, incident.id)
    error = raised.value
    assert (error.code, error.field) == (ErrorCode.POLICY, "status")
    assert (
        error.message
        == f"{incident.reference} is {severity.value}: publish its postmortem before closing it (its postmortem is DRAFT)"
    )
    stored = await Incident.get(id=incident.id)
    assert (stored.status, stored.version, stored.last_sequence) == (
        S.POSTMORTEM,
        incident.version,
        incident.last_sequence,
    )
    peer = await reviewer()
    await service.update_postmortem(
        actor=responder.principal, postmortem_id=postmortem.id, no_action_items_reason="Third-party outage"
    )
    await approved(responder, postmortem, peer)
    with pytest.raises(PostmortemRequired, match="IN_REVIEW"):
        await close(responder, incident.id)
    await review.publish(actor=responder.principal, postmortem_id=postmortem.id)
    closed = await close(responder, incident.id)
    assert closed.status is S.CLOSED and closed.closed_at is not None


async def test_skipping_the_postmortem_status_does_not_skip_the_policy(responder: Actor, broker: object) -> None:
    incident = await resolved_incident(responder, Severity.SEV1)
    with pytest.raises(PostmortemRequired, match="it has no postmortem"):
        await close(responder, incident.id)


async def test_lower_severities_close_freely(responder: Actor, broker: object) -> None:
    for severity in (Severity.SEV3, Severity.SEV4):
        incident, _ = await in_postmortem(responder, severity)
        assert (await close(responder, incident.id)).status is S.CLOSED
        direct = await resolved_incident(responder, severity)
        assert (await close(responder, direct.id)).status is S.CLOSED


async def test_the_policy_is_configurable(responder: Actor, broker: object, required_severities: None) -> None:
    integration.install(load_settings(postmortem_required_severities="none"))
    incident, _ = await in_postmortem(responder, Severity.SEV1)
    assert (await close(responder, incident.id)).status is S.CLOSED
    integration.install(load_settings(postmortem_required_severities="SEV3"))
    sev3, _ = await in_postmortem(responder, Severity.SEV3)
    with pytest.raises(DomainError) as raised:
        await close(responder, sev3.id)
    assert raised.value.code is ErrorCode.POLICY
    sev2, _ = await in_postmortem(responder, Severity.SEV2)
    assert (await close(responder, sev2.id)).status is S.CLOSED


async def test_through_graphql_the_refusal_is_a_policy_user_error(gql: object, responder: Actor) -> None:
    from tests.contract import document

    incident, _ = await in_postmortem(responder, Severity.SEV2)
    from app.ids import to_global_id

    data = await gql.execute(
        document("UpdateIncidentStatus"),
        {"input": {"incidentId": to_global_id("Incident", incident.id), "status": "CLOSED"}},
        actor=responder,
    )  # type: ignore[attr-defined]
    result = data["updateIncidentStatus"]
    assert result["incident"] is None
    assert [(e["code"], e["field"]) for e in result["errors"]] == [("POLICY", "status")]
    assert "publish its postmortem" in result["errors"][0]["message"]
