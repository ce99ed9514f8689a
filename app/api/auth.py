"""Bearer-token authentication shared by HTTP and websocket transports."""

from __future__ import annotations

from app.identity import service as identity
from app.identity.policy import Principal, Unauthenticated


def bearer_secret(header_value: str | None) -> str | None:
    """The secret of an `Authorization: Bearer …` value; None when absent. Raises when malformed."""
    if header_value is None or not header_value.strip():
        return None
    scheme, _, secret = header_value.strip().partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise Unauthenticated("Authorization must be 'Bearer <token>'")
    return secret.strip()


async def principal_for(header_value: str | None) -> Principal | None:
    """None for an anonymous request; raises Unauthenticated for a bad or revoked token."""
    secret = bearer_secret(header_value)
    if secret is None:
        return None
    return await identity.authenticate(secret)
