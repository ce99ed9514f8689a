"""JSON responses encoded with orjson."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import Response


class JSONResponse(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


def graphql_error_response(
    status: int, message: str, code: str, *, headers: dict[str, str] | None = None, media_type: str | None = None
) -> JSONResponse:
    """A GraphQL-shaped error body for failures before execution (auth, transport)."""
    return JSONResponse(
        {"errors": [{"message": message, "extensions": {"code": code}}]},
        status_code=status,
        headers=headers,
        media_type=media_type,
    )
