"""The policy: roles, scopes, and the system actor of alert ingestion."""

from __future__ import annotations

import pytest

from app.errors import DomainError, ErrorCode
from app.identity.models import Role
from app.identity.policy import INGESTION, Action, Principal, SystemPrincipal, require


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        (Role.VIEWER, {Action.READ, Action.WRITE}),  # WRITE: their own tokens
        (Role.RESPONDER, {Action.READ, Action.WRITE, Action.RESPOND, Action.INGEST}),
        (Role.ADMIN, set(Action)),
    ],
)
def test_roles(role: Role, allowed: set[Action]) -> None:
    principal = Principal(user_id=1, role=role)
    assert {action for action in Action if principal.allows(action)} == allowed


def test_read_scope_caps_a_responder() -> None:
    principal = Principal(user_id=1, role=Role.RESPONDER, scopes=frozenset({"read"}))
    assert not principal.allows(Action.INGEST) and principal.allows(Action.READ)
    assert not principal.allows(Action.WRITE)  # no mutation at all
    with pytest.raises(DomainError) as raised:
        require(principal, Action.RESPOND)
    assert raised.value.message == "Your token (scopes: read) may not respond"


def test_the_system_actor_may_only_ingest() -> None:
    assert isinstance(INGESTION, SystemPrincipal) and INGESTION.user_id is None and not INGESTION.is_admin
    assert require(INGESTION, Action.INGEST) is INGESTION
    for action in (Action.READ, Action.WRITE, Action.RESPOND, Action.ADMIN):
        with pytest.raises(DomainError) as raised:
            require(INGESTION, action)
        assert raised.value.code is ErrorCode.FORBIDDEN and "alert-ingestion" in raised.value.message


def test_messages_name_the_role() -> None:
    with pytest.raises(DomainError) as raised:
        require(Principal(user_id=1, role=Role.VIEWER), Action.RESPOND)
    assert raised.value.message == "Your role (VIEWER) may not respond"


async def test_the_system_actor_cannot_use_people_commands() -> None:
    from app.incidents import service
    from app.incidents.enums import Severity

    with pytest.raises(DomainError) as raised:
        await service.declare_incident(actor=INGESTION, title="x", severity=Severity.SEV1)  # type: ignore[arg-type]
    assert raised.value.code is ErrorCode.FORBIDDEN


def test_a_token_grants_at_most_its_own_scopes() -> None:
    from app.identity.policy import grantable_scopes

    narrow = Principal(user_id=1, role=Role.ADMIN, scopes=frozenset({"read", "write"}))
    assert grantable_scopes(narrow, None) == {"read", "write"}
    assert grantable_scopes(narrow, ["read"]) == {"read"}
    with pytest.raises(DomainError) as raised:
        grantable_scopes(narrow, ["read", "admin"])
    assert raised.value.code is ErrorCode.FORBIDDEN and raised.value.field == "scopes"
    assert grantable_scopes(Principal(user_id=1, role=Role.VIEWER), None) == {"read", "write", "admin"}
