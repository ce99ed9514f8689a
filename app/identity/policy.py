"""Who may do what. Pure rules, decided in one place; transports and services call them."""

from __future__ import annotations

from collections.abc import Iterable
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


def require(principal: A | None, action: Action) -> A:
    """Return the principal when it may perform `action`; raise otherwise."""
    if principal is None:
        raise Unauthenticated("Authentication required")
    if not principal.allows(action):
        raise Forbidden(principal.refusal(action))
    return principal


def require_token_grant(principal: Principal | None, *, user_id: int, scopes: Iterable[str] | None) -> frozenset[str]:
    """The scopes a new token for `user_id` may carry, or Forbidden. A token never issues one
    wider than itself (no scope it lacks; by default, its own), and only an admin acting with
    the `admin` scope issues tokens for other users."""
    principal = require(principal, Action.WRITE)
    if user_id != principal.user_id and not principal.is_admin:
        raise Forbidden("Only admins (with a token of scope admin) create tokens for other users", field="userId")
    if scopes is None:
        return principal.scopes
    wanted = frozenset(scopes)
    granted = frozenset().union(*(_SCOPE_ACTIONS.get(scope, frozenset()) for scope in principal.scopes))
    wider = sorted(scope for scope in wanted if not _SCOPE_ACTIONS.get(scope, frozenset({Action.ADMIN})) <= granted)
    if wider:
        raise Forbidden(f"A token cannot grant scopes it lacks: {', '.join(wider)}", field="scopes")
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
