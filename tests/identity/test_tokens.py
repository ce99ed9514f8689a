"""Token scopes cap what a token may do, within its user's role."""

from __future__ import annotations

import pytest

from app.errors import DomainError
from app.identity import service as identity
from app.identity.policy import Action
from tests.conftest import Actor


async def test_scopes_cap_the_role(admin: Actor) -> None:
    read_only = await identity.create_token(user_id=admin.user_id, name="ro", scopes=["read"])
    principal = await identity.authenticate(read_only.secret)
    assert principal.allows(Action.READ) and not principal.allows(Action.RESPOND) and not principal.allows(Action.ADMIN)
    writer = await identity.authenticate(
        (await identity.create_token(user_id=admin.user_id, name="w", scopes=["WRITE", "read"])).secret
    )
    assert writer.allows(Action.RESPOND) and not writer.allows(Action.ADMIN)
    assert (await identity.authenticate(admin.token)).allows(Action.ADMIN)


async def test_scopes_beyond_the_role_do_not_widen_it(viewer: Actor) -> None:
    principal = await identity.authenticate(
        (await identity.create_token(user_id=viewer.user_id, name="x", scopes=["admin"])).secret
    )
    assert principal.allows(Action.READ) and not principal.allows(Action.RESPOND) and not principal.allows(Action.ADMIN)


@pytest.mark.parametrize("scopes", [[], ["root"], ["read", "everything"]])
async def test_unknown_scopes_are_refused(viewer: Actor, scopes: list[str]) -> None:
    with pytest.raises(DomainError) as raised:
        await identity.create_token(user_id=viewer.user_id, name="x", scopes=scopes)
    assert raised.value.field == "scopes"
