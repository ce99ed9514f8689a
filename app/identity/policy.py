"""Who may do what. Pure rules, decided in one place; transports and services call them."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import TypeAlias, TypeVar

from app.errors import DomainError, ErrorCode, Forbidden
from app.identity.models import Role


class Action(str, Enum):
    READ = "read"  # see non-private data
    RESPOND = "respond"  # act on incidents: declare, update, notes, roles
    ADMIN = "admin"  # manage users, services, tokens, integrations
    INGEST = "ingest"  # record alerts, and declare or group incidents from them
    WRITE = "write"  # change anything at all: every mutation needs it (a read-only token has none)


_ROLE_ACTIONS: dict[Role, frozenset[Action]] = {
    Role.VIEWER: frozenset({Action.READ, Action.WRITE}),  # WRITE: their own tokens
    Role.RESPONDER: frozenset({Action.READ, Action.WRITE, Action.RESPOND, Action.INGEST}),
    Role.ADMIN: frozenset({Action.READ, Action.WRITE, Action.RESPOND, Action.INGEST, Action.ADMIN}),
}

# A token scope caps what the token may do, whatever its user's role allows.
_SCOPE_ACTIONS: dict[str, frozenset[Action]] = {
    "read": frozenset({Action.READ}),
    "write": frozenset({Action.READ, Action.WRITE, Action.RESPOND, Action.INGEST}),
    "admin": frozenset({Action.READ, Action.WRITE, Action.RESPOND, Action.INGEST, Action.ADMIN}),
}

# What Firebreak itself may do when no person is behind a change (an integration's delivery).
_SYSTEM_ACTIONS: frozenset[Action] = frozenset({Action.INGEST})


@dataclass(frozen=True, slots=True)
class Principal:
    user_id: int
    role: Role
    token_id: int | None = None
    scopes: frozenset[str] = frozenset({"read", "write", "admin"})
    expires_at: datetime | None = None  # the token's

    @property
    def is_admin(self) -> bool:
        return self.allows(Action.ADMIN)

    @property
    def label(self) -> str:
        return f"Your role ({self.role.value})"

    def allows(self, action: Action) -> bool:
        return action in _ROLE_ACTIONS[self.role] and self.scope_allows(action)

    def scope_allows(self, action: Action) -> bool:
        return any(action in _SCOPE_ACTIONS.get(scope, frozenset()) for scope in self.scopes)

    def refusal(self, action: Action) -> str:
        if action in _ROLE_ACTIONS[self.role]:
            return f"Your token (scopes: {', '.join(sorted(self.scopes))}) may not {action.value}"
        return f"{self.label} may not {action.value}"


@dataclass(frozen=True, slots=True)
class SystemPrincipal:
    """Firebreak acting on a machine's behalf (an integration delivering alerts). It has no
    user, reads nothing through the API and may only ingest: record alerts, declare incidents
    from them and write the timeline events that explain it. Its changes have no actor user."""

    name: str
    user_id: None = None
    token_id: None = None

    @property
    def is_admin(self) -> bool:
        return False

    @property
    def label(self) -> str:
        return f"The system actor {self.name!r}"

    def allows(self, action: Action) -> bool:
        return action in _SYSTEM_ACTIONS

    def refusal(self, action: Action) -> str:
        return f"{self.label} may not {action.value}"


Actor: TypeAlias = Principal | SystemPrincipal

# The actor of everything an integration's delivery causes.
INGESTION = SystemPrincipal("alert-ingestion")


class Unauthenticated(DomainError):
    code = ErrorCode.UNAUTHENTICATED


class RevokedToken(Unauthenticated):
    """A revoked token was presented again (worth an audit entry of its own)."""

    def __init__(self, *, token_id: int, user_id: int) -> None:
        super().__init__("Invalid token")
        self.token_id = token_id
        self.user_id = user_id

    @property
    def token_global_id(self) -> str:
        from app.ids import to_global_id

        return to_global_id("ApiToken", self.token_id)


A = TypeVar("A", Principal, SystemPrincipal)

ALL_SCOPES: frozenset[str] = frozenset(_SCOPE_ACTIONS)


def require(principal: A | None, action: Action) -> A:
    """Return the principal when it may perform `action`; raise otherwise."""
    if principal is None:
        raise Unauthenticated("Authentication required")
    if not principal.allows(action):
        raise Forbidden(principal.refusal(action))
    return principal


def may_manage_tokens_of(principal: Principal, user_id: int) -> bool:
    """Everyone manages their own tokens; admins (acting with the `admin` scope) anyone's."""
    return user_id == principal.user_id or principal.is_admin


def require_token_manager(principal: Principal | None, user_id: int | None, *, field: str) -> Principal:
    """The principal when it may create or revoke tokens of `user_id` (None: no such token).
    Like every change, it takes the WRITE action: a read-only token manages no token."""
    principal = require(principal, Action.WRITE)
    if user_id is not None and not may_manage_tokens_of(principal, user_id):
        raise Forbidden("Only admins manage other users' tokens", field=field)
    return principal


def grantable_scopes(principal: Principal, requested: Collection[str] | None) -> frozenset[str]:
    """The scopes of a token `principal` creates: those requested (by default, its own), never
    a scope allowing what the principal's own token does not, so a narrow token cannot mint a
    wider one (an `admin` token may grant `write`; a `write` token may not grant `admin`)."""
    if requested is None:
        return ALL_SCOPES & principal.scopes
    wanted = frozenset(requested)
    granted = frozenset().union(*(_SCOPE_ACTIONS.get(scope, frozenset()) for scope in principal.scopes))
    beyond = sorted(scope for scope in wanted if not _SCOPE_ACTIONS.get(scope, frozenset()) <= granted)
    if beyond:
        raise Forbidden(
            f"A token with the scopes {', '.join(sorted(principal.scopes))} cannot grant {', '.join(beyond)}",
            field="scopes",
        )
    return wanted


def require_token_expiry(principal: Principal, expires_at: datetime | None) -> datetime | None:
    """When a new token created by `principal` expires: never after the token creating it (by
    default, with it), so a short-lived token cannot mint a lasting one."""
    if principal.expires_at is None:
        return expires_at
    if expires_at is None:
        return principal.expires_at
    if expires_at.tzinfo is not None and expires_at > principal.expires_at:
        raise Forbidden("A token cannot outlive the token that creates it", field="expiresAt")
    return expires_at
