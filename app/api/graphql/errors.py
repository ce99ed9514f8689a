"""The `UserError` contract, the mapping from domain errors to payloads, and the shape of
every error in a GraphQL response: a message and a stable `extensions.code`, never internals."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any, ParamSpec, TypeVar

import strawberry
from graphql import GraphQLError, GraphQLSyntaxError

from app.errors import DomainError
from app.errors import ErrorCode as DomainErrorCode
from app.identity.policy import Action, require

ErrorCode = strawberry.enum(DomainErrorCode, name="ErrorCode", description="Stable error codes.")


@strawberry.type(description="An expected failure: the caller can correct the input and retry.")
class UserError:
    code: ErrorCode
    message: str
    field: str | None = None

    @classmethod
    def from_domain(cls, error: DomainError) -> UserError:
        return cls(code=error.code, message=error.message, field=error.field)


P = ParamSpec("P")
R = TypeVar("R")


def payload(
    payload_cls: Callable[..., R],
) -> Callable[[Callable[P, Awaitable[R]]], Callable[P, Awaitable[R]]]:
    """Wrap a mutation resolver: a principal without the WRITE action (a read-only token) is
    refused before it runs, and a DomainError it raises becomes `payload_cls(errors=[...])`."""

    def decorate(resolver: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
        @functools.wraps(resolver)
        async def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            try:
                info = _info(args, kwargs)
                if info is not None:
                    require(info.context.principal, Action.WRITE)
                return await resolver(*args, **kwargs)
            except DomainError as error:
                _note_refusal(args, kwargs, error)
                return payload_cls(errors=[UserError.from_domain(error)])

        return wrapper

    return decorate


def _note_refusal(args: Any, kwargs: Any, error: DomainError) -> None:
    """Tell the audit which mutation was refused and why (clients may not select `errors`)."""
    info = _info(args, kwargs)
    if info is not None:
        info.context.extras.setdefault("refusals", {})[info.path.key] = error.code.value


def _info(args: Any, kwargs: Any) -> Any:
    return kwargs.get("info") or next((a for a in args if hasattr(a, "context") and hasattr(a, "path")), None)


def no_errors() -> list[Any]:
    return []


def format_request_error(error: GraphQLError) -> dict[str, Any]:
    """An error that stopped the document before execution: syntax, validation or a limit."""
    formatted = error.formatted
    extensions = dict(formatted.get("extensions") or {})
    if "code" not in extensions:
        extensions["code"] = (
            "GRAPHQL_PARSE_FAILED" if isinstance(error, GraphQLSyntaxError) else "GRAPHQL_VALIDATION_FAILED"
        )
    formatted["extensions"] = extensions
    return formatted


def format_error(error: GraphQLError, request_id: str) -> dict[str, Any]:
    """An error from execution: domain errors keep their message and code, input that the
    argument types refuse is BAD_USER_INPUT, and anything unexpected is masked."""
    original = error.original_error
    formatted = error.formatted
    if isinstance(original, DomainError):
        formatted["message"] = original.message
        formatted["extensions"] = {"code": original.code.value, **({"field": original.field} if original.field else {})}
        return formatted
    if original is not None and error.path is not None and not isinstance(original, GraphQLError):
        return {
            "message": f"Unexpected error (request id {request_id})",
            "locations": formatted.get("locations"),
            "path": error.path,
            "extensions": {"code": "INTERNAL_SERVER_ERROR", "requestId": request_id},
        }
    extensions = dict(formatted.get("extensions") or {})
    extensions.setdefault("code", "BAD_USER_INPUT" if error.path is None else "INTERNAL_SERVER_ERROR")
    formatted["extensions"] = extensions
    return formatted
