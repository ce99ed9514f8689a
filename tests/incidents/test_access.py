"""Private incidents: visible to admins, role holders and members only; a private incident does
not exist for anyone else, through reads and writes alike."""

from __future__ import annotations

import pytest

from app.errors import DomainError, ErrorCode
from app.identity.models import Role
from app.incidents import access, queries, service
from app.incidents.enums import IncidentRole, Severity
from app.incidents.models import IncidentMember
from tests.conftest import Actor, make_actor


async def test_private_incident_visibility_and_membership(
    responder: Actor, admin: Actor, viewer: Actor, broker: object
) -> None:
    outsider = await make_actor(Role.RESPONDER)
    secret = await service.declare_incident(
        actor=responder.principal, title="Breach", severity=Severity.SEV1, private=True
    )
    public = await service.declare_incident(actor=outsider.principal, title="Public", severity=Severity.SEV3)
    assert await IncidentMember.filter(incident_id=secret.id, user_id=responder.user_id).exists()  # the declarer

    async def visible(actor: Actor) -> set[int]:
        return set(await queries.get_visible(actor.principal, [secret.id, public.id]))

    assert await visible(responder) == {secret.id, public.id}
    assert await visible(admin) == {secret.id, public.id}
    assert await visible(viewer) == {public.id}
    assert await visible(outsider) == {public.id}
    assert await queries.count_incidents(outsider.principal, None) == 1
    assert await queries.by_reference(outsider.principal, secret.reference) is None
    with pytest.raises(DomainError) as raised:  # writes too: it does not exist for them
        await service.add_note(actor=outsider.principal, incident_id=secret.id, body="peek")
    assert raised.value.code is ErrorCode.NOT_FOUND

    await access.add_member(actor=responder.principal, incident_id=secret.id, user_id=viewer.user_id)
    assert await visible(viewer) == {secret.id, public.id}
    with pytest.raises(DomainError) as raised:
        await access.add_member(actor=responder.principal, incident_id=secret.id, user_id=viewer.user_id)
    assert raised.value.code is ErrorCode.CONFLICT
    await access.remove_member(actor=responder.principal, incident_id=secret.id, user_id=viewer.user_id)
    assert await visible(viewer) == {public.id}

    await service.assign_role(
        actor=admin.principal, incident_id=secret.id, role=IncidentRole.SCRIBE, user_id=outsider.user_id
    )
    assert await visible(outsider) == {secret.id, public.id}  # role holders see it


async def test_making_an_incident_private_keeps_the_editor_in(responder: Actor, viewer: Actor, broker: object) -> None:
    incident = await service.declare_incident(
        actor=responder.principal, title="Turns out sensitive", severity=Severity.SEV2
    )
    await service.update_incident(actor=responder.principal, incident_id=incident.id, private=True)
    assert set(await queries.get_visible(viewer.principal, [incident.id])) == set()
    assert set(await queries.get_visible(responder.principal, [incident.id])) == {incident.id}
