"""Who may do what. Pure rules, decided in one place; transports and services call them."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from app.errors import DomainError, ErrorCode, Forbidden
from app.identity.models import Role


class Action(str, Enum):
    READ = "read"  # see non-private data
    RESPOND = "respond"  # act on incidents: declare, update, notes, roles
    ADMIN = "admin"  # manage users, services, tokens, integrations


_ROLE_ACTIONS: dict[Role, frozenset[Action]] = {
    Role.VIEWER: frozenset({Action.READ}),
    Role.RESPONDER: frozenset({Action.READ, Action.RESPOND}),
    Role.ADMIN: frozenset({Action.READ, Action.RESPOND, Action.ADMIN}),
}

# A token scope caps what the token may do, whatever its user's role allows.
_SCOPE_ACTIONS: dict[str, frozenset[Action]] = {
    "read": frozenset({Action.READ}),
    "write": frozenset({Action.READ, Action.RESPOND}),
    "admin": frozenset({Action.READ, Action.RESPOND, Action.ADMIN}),
}


@dataclass(frozen=True, slots=True)
class Principal:
    user_id: int
    role: Role
    token_id: int | None = None
    scopes: frozenset[str] = frozenset({"read", "write", "admin"})

    @property
    def is_admin(self) -> bool:
        return self.allows(Action.ADMIN)

    def allows(self, action: Action) -> bool:
        if action not in _ROLE_ACTIONS[self.role]:
            return False
        return any(action in _SCOPE_ACTIONS.get(scope, frozenset()) for scope in self.scopes)


class Unauthenticated(DomainError):
    code = ErrorCode.UNAUTHENTICATED


def require(principal: Principal | None, action: Action) -> Principal:
    """Return the principal when it may perform `action`; raise otherwise."""
    if principal is None:
        raise Unauthenticated("Authentication required")
    if not principal.allows(action):
        raise Forbidden(f"Your role ({principal.role.value}) may not {action.value}")
    return principal
