"""The two websocket subprotocols: message names and close codes, and their wire formats."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

TRANSPORT_WS = "graphql-transport-ws"
LEGACY_WS = "graphql-ws"

# graphql-transport-ws close codes (PROTOCOL.md) and ours.
BAD_REQUEST = 4400
UNAUTHORIZED = 4401
FORBIDDEN = 4403
SUBPROTOCOL_NOT_ACCEPTABLE = 4406
INIT_TIMEOUT = 4408
SUBSCRIBER_EXISTS = 4409
TOO_MANY_INIT = 4429
INTERNAL_ERROR = 4500
GOING_AWAY = 1001
SLOW_CONSUMER = 1013  # "try again later": resume with afterSequence
SLOW_CONSUMER_REASON = "Slow consumer: too many unsent messages; reconnect and resume with afterSequence"


def dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


@dataclass(frozen=True)
class Wire:
    """Message names of one subprotocol."""

    name: str
    subscribe: str
    stop: str
    next: str
    error: str
    complete: str
    init_error: str | None
    keep_alive: str

    def next_frame(self, operation_id: str) -> tuple[str, str]:
        """Prefix and suffix around a serialized result: built once per subscriber."""
        return f'{{"id":{dumps(operation_id)},"type":"{self.next}","payload":', "}"

    def error_message(self, operation_id: str, errors: list[dict[str, Any]]) -> str:
        payload: Any = errors if self is TRANSPORT else (errors[0] if len(errors) == 1 else {"errors": errors})
        return dumps({"id": operation_id, "type": self.error, "payload": payload})

    def complete_message(self, operation_id: str) -> str:
        return dumps({"id": operation_id, "type": self.complete})


TRANSPORT = Wire(
    name=TRANSPORT_WS,
    subscribe="subscribe",
    stop="complete",
    next="next",
    error="error",
    complete="complete",
    init_error=None,
    keep_alive='{"type":"ping"}',
)
LEGACY = Wire(
    name=LEGACY_WS,
    subscribe="start",
    stop="stop",
    next="data",
    error="error",
    complete="complete",
    init_error="connection_error",
    keep_alive='{"type":"ka"}',
)
WIRES = {TRANSPORT_WS: TRANSPORT, LEGACY_WS: LEGACY}


def choose(offered: list[str]) -> Wire | None:
    for name in (TRANSPORT_WS, LEGACY_WS):
        if name in offered:
            return WIRES[name]
    return None
