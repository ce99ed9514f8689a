"""Users and API tokens: creation, revocation and authentication."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from tortoise.exceptions import IntegrityError

from app import clock
from app.errors import Conflict, NotFound, ValidationFailed
from app.events import unit_of_work
from app.identity import tokens
from app.identity.models import ApiToken, Role, User
from app.identity.policy import Principal, RevokedToken, Unauthenticated
from app.identity.token_cache import TokenRevoked, token_cache
from app.text import single_line

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_LAST_USED_RESOLUTION = timedelta(minutes=1)


def normalize_email(email: str) -> str:
    email = single_line(email, field="email", max_length=320).lower()
    if not _EMAIL.match(email):
        raise ValidationFailed("email is not a valid address", field="email")
    return email


async def create_user(*, email: str, name: str, role: Role) -> User:
    """Create a user; the email must be unused."""
    email = normalize_email(email)
    name = single_line(name, field="name")
    if await User.filter(email=email).exists():
        raise Conflict(f"A user with email {email} already exists", field="email")
    try:
        return await User.create(email=email, name=name, role=role)
    except IntegrityError:
        raise Conflict(f"A user with email {email} already exists", field="email") from None


async def get_user(user_id: int) -> User:
    user = await User.get_or_none(id=user_id)
    if user is None:
        raise NotFound("User not found", field="userId")
    return user


async def user_by_email(email: str) -> User:
    user = await User.get_or_none(email=email.strip().lower())
    if user is None:
        raise NotFound(f"No user with email {email}", field="email")
    return user


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    secret: str


SCOPES = ("read", "write", "admin")


def normalize_scopes(scopes: Iterable[str] | None) -> str:
    """Scopes as stored (`read,write`); None means every scope. The user's role still caps them."""
    if scopes is None:
        return ",".join(SCOPES)
    wanted = {scope.strip().lower() for scope in scopes}
    unknown = wanted - set(SCOPES)
    if unknown or not wanted:
        raise ValidationFailed(f"scopes must be a non-empty subset of {', '.join(SCOPES)}", field="scopes")
    return ",".join(scope for scope in SCOPES if scope in wanted)


async def create_token(
    *, user_id: int, name: str, expires_at: datetime | None = None, scopes: Iterable[str] | None = None
) -> IssuedToken:
    """Issue a token for a user; the secret is returned here and never again."""
    stored_scopes = normalize_scopes(scopes)
    user = await get_user(user_id)
    if not user.active:
        raise ValidationFailed("The user is deactivated", field="userId")
    name = single_line(name, field="name", max_length=100)
    if expires_at is not None:
        if expires_at.tzinfo is None:
            raise ValidationFailed("expiresAt needs a time zone", field="expiresAt")
        if expires_at <= clock.now():
            raise ValidationFailed("expiresAt must be in the future", field="expiresAt")
    secret = tokens.new_secret()
    token = await ApiToken.create(
        user=user,
        name=name,
        token_hash=tokens.digest(secret),
        prefix=tokens.display_prefix(secret),
        expires_at=expires_at,
        scopes=stored_scopes,
    )
    return IssuedToken(token=token, secret=secret)


async def revoke_token(*, token_id: int) -> ApiToken:
    """Revoke a token at once, in every process; revoking twice keeps the first revocation time."""
    async with unit_of_work() as outbox:
        token = await ApiToken.get_or_none(id=token_id, using_db=outbox.connection)
        if token is None:
            raise NotFound("API token not found", field="apiTokenId")
        if token.revoked_at is None:
            token.revoked_at = clock.now()
            await token.save(update_fields=["revoked_at"], using_db=outbox.connection)
        outbox.after_commit(lambda: token_cache.forget_token(token_id))
        outbox.add(TokenRevoked(token_id))
    return token


async def authenticate(secret: str) -> Principal:
    """The principal behind a bearer secret; Unauthenticated if unknown, expired or revoked."""
    if not secret.startswith(tokens.PREFIX) or len(secret) > 200:
        raise Unauthenticated("Invalid token")
    digest = tokens.digest(secret)
    principal = token_cache.get(digest)
    if principal is None:
        generation = token_cache.generation
        principal = await _look_up(digest)
        token_cache.put(digest, principal, looked_up_at=generation)
    return principal


async def _look_up(digest: str) -> Principal:
    rows = (
        await ApiToken.filter(token_hash=digest)
        .limit(1)
        .values(
            "id",
            "revoked_at",
            "expires_at",
            "last_used_at",
            "user_id",
            "scopes",
            role="user__role",
            active="user__active",
        )
    )
    now = clock.now()
    if not rows or not rows[0]["active"]:
        raise Unauthenticated("Invalid token")
    token = rows[0]
    if token["revoked_at"] is not None:
        raise RevokedToken(token_id=token["id"], user_id=token["user_id"])
    if token["expires_at"] is not None and token["expires_at"] <= now:
        raise Unauthenticated("Token expired")
    if token["last_used_at"] is None or now - token["last_used_at"] >= _LAST_USED_RESOLUTION:
        await ApiToken.filter(id=token["id"]).update(last_used_at=now)
    return Principal(
        user_id=token["user_id"],
        role=Role(token["role"]),
        token_id=token["id"],
        scopes=frozenset(token["scopes"].split(",")),
        expires_at=token["expires_at"],
    )


async def valid_token_ids(token_ids: list[int]) -> set[int]:
    """Those of the tokens that still authenticate (re-checked on long-lived connections)."""
    rows = await ApiToken.filter(id__in=token_ids, revoked_at__isnull=True, user__active=True).values_list(
        "id", "expires_at"
    )
    now = clock.now()
    return {token_id for token_id, expires_at in rows if expires_at is None or expires_at > now}
