"""What the transports tell the audit log: each mutation with its outcome, and security events
(failed authentication, a revoked token used again, permission denied). Never a secret."""

from __future__ import annotations

from typing import Any

from graphql import ExecutionResult, FieldNode, GraphQLError
from graphql.utilities import value_from_ast_untyped

from app.audit import service as audit
from app.errors import DomainError, ErrorCode
from app.identity.policy import Principal, RevokedToken, Unauthenticated


def actor_of(principal: Principal | None) -> tuple[int | None, str]:
    if principal is None:
        return None, "anonymous"
    return principal.user_id, f"user:{principal.user_id}"


async def authentication_failed(
    error: Unauthenticated, *, operation: str, request_id: str | None, client_ip: str | None
) -> None:
    if isinstance(error, RevokedToken):
        await audit.record(
            audit.Event(
                operation="token.used_after_revocation",
                outcome=audit.DENIED,
                actor_id=error.user_id,
                actor_label=f"user:{error.user_id}",
                target=error.token_global_id,
                request_id=request_id,
                client_ip=client_ip,
                details={"via": operation},
            )
        )
        return
    await audit.record(
        audit.Event(
            operation="authenticate",
            outcome=audit.DENIED,
            request_id=request_id,
            client_ip=client_ip,
            details={"via": operation, "reason": error.message},
        )
    )


def _outcome(key: str, result: ExecutionResult, refusals: dict[str, str]) -> str:
    for error in result.errors or ():
        if error.path and error.path[0] == key:
            original = error.original_error
            if isinstance(original, DomainError):
                return audit.FORBIDDEN if original.code is ErrorCode.FORBIDDEN else f"error:{original.code.value}"
            return "error:INTERNAL"
    if key in refusals:
        code = refusals[key]
        return audit.FORBIDDEN if code == ErrorCode.FORBIDDEN.value else f"error:{code}"
    return audit.OK


def _target(node: FieldNode, variables: dict[str, Any], data: Any) -> str | None:
    for argument in node.arguments or ():
        value = value_from_ast_untyped(argument.value, variables)
        if isinstance(value, dict):
            for name, item in value.items():
                if name.endswith("Id") and isinstance(item, str):
                    return item
    if isinstance(data, dict):  # a created object: the payload's first object with an id
        for item in data.values():
            if isinstance(item, dict) and isinstance(item.get("id"), str):
                return item["id"]  # type: ignore[no-any-return]
    return None


async def operation_done(
    *,
    operation_type: str | None,
    roots: list[FieldNode],
    variables: dict[str, Any] | None,
    result: ExecutionResult,
    context: Any,
) -> None:
    """One entry per mutation field; for other operations, one per field refused for lack of
    permission."""
    refusals: dict[str, str] = context.extras.get("refusals", {})
    actor_id, label = actor_of(context.principal)
    events = []
    for node in roots:
        key = node.alias.value if node.alias else node.name.value
        outcome = _outcome(key, result, refusals)
        if operation_type != "mutation" and outcome != audit.FORBIDDEN:
            continue
        data = result.data.get(key) if isinstance(result.data, dict) else None
        events.append(
            audit.Event(
                operation=node.name.value,
                outcome=outcome,
                actor_id=actor_id,
                actor_label=label,
                target=_target(node, variables or {}, data),
                request_id=context.request_id,
                client_ip=context.client_ip,
            )
        )
    await audit.record(*events)


__all__ = ["GraphQLError", "authentication_failed", "operation_done"]
