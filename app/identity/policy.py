"""Who may do what. Pure rules, decided in one place; transports and services call them."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from collections.abc import Collection
from typing import TypeAlias, TypeVar

from app.errors import DomainError, ErrorCode, Forbidden
from app.identity.models import Role


class Action(str, Enum):
    READ = "read"  # see non-private data
    RESPOND = "respond"  # act on incidents: declare, update, notes, roles
    ADMIN = "admin"  # manage users, services, tokens, integrations
    INGEST = "ingest"  # record alerts, and declare or group incidents from them


_ROLE_ACTIONS: dict[Role, frozenset[Action]] = {
    Role.VIEWER: frozenset({Action.READ}),
    Role.RESPONDER: frozenset({Action.READ, Action.RESPOND, Action.INGEST}),
    Role.ADMIN: frozenset({Action.READ, Action.RESPOND, Action.INGEST, Action.ADMIN}),
}

# A token scope caps what the token may do, whatever its user's role allows.
_SCOPE_ACTIONS: dict[str, frozenset[Action]] = {
    "read": frozenset({Action.READ}),
    "write": frozenset({Action.READ, Action.RESPOND, Action.INGEST}),
    "admin": frozenset({Action.READ, Action.RESPOND, Action.INGEST, Action.ADMIN}),
}

# What Firebreak itself may do when no person is behind a change (an integration's delivery).
_SYSTEM_ACTIONS: frozenset[Action] = frozenset({Action.INGEST})


@dataclass(frozen=True, slots=True)
class Principal:
    user_id: int
    role: Role
    token_id: int | None = None
    scopes: frozenset[str] = frozenset({"read", "write", "admin"})

    @property
    def is_admin(self) -> bool:
        return self.allows(Action.ADMIN)

    @property
    def label(self) -> str:
        return f"Your role ({self.role.value})"

    def allows(self, action: Action) -> bool:
        if action not in _ROLE_ACTIONS[self.role]:
            return False
        return any(action in _SCOPE_ACTIONS.get(scope, frozenset()) for scope in self.scopes)


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
        raise Forbidden(f"{principal.label} may not {action.value}")
    return principal



def may_manage_tokens_of(principal: Principal, user_id: int) -> bool:
    """Everyone manages their own tokens; admins manage anyone's."""
    return user_id == principal.user_id or principal.is_admin


def require_token_manager(principal: Principal | None, user_id: int | None, *, field: str) -> Principal:
    """The principal when it may create or revoke tokens of `user_id` (None: no such token)."""
    principal = require(principal, Action.READ)
    if user_id is not None and not may_manage_tokens_of(principal, user_id):
        raise Forbidden("Only admins manage other users' tokens", field=field)
    return principal


def grantable_scopes(principal: Principal, requested: Collection[str] | None) -> frozenset[str]:
    """The scopes of a token `principal` creates: those requested (all when None), never more
    than the principal's own token carries, so a narrow token cannot mint a wider one."""
    wanted = ALL_SCOPES if requested is None else frozenset(requested)
    if requested is None:
        return wanted & principal.scopes
    beyond = sorted(wanted - principal.scopes)
    if beyond:
        raise Forbidden(f"A token with the scopes {', '.join(sorted(principal.scopes))} cannot grant {', '.join(beyond)}", field="scopes")
    return wanted
