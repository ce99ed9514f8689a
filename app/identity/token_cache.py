"""Principals of recently authenticated API tokens, per process.

A token used again within `MAX_AGE_SECONDS` is not looked up again. Revoking a token forgets it
at once in the revoking process and, through the broker, in every other. A change made outside
the API (a user deactivated in the database) or an invalidation the broker lost takes effect
within `MAX_AGE_SECONDS`, the interval at which open websockets re-check their tokens. Expiry
is checked on every use.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import orjson

from app import clock
from app.broker import GAP, Broker, follow
from app.identity.policy import Principal

MAX_AGE_SECONDS = 3.0
MAX_ENTRIES = 10_000
TOPIC = "identity:tokens"


class TokenCache:
    def __init__(
        self,
        *,
        max_age: float = MAX_AGE_SECONDS,
        max_entries: int = MAX_ENTRIES,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._entries: dict[str, tuple[Principal, float]] = {}
        self._max_age = max_age
        self._max_entries = max_entries
        self._monotonic = monotonic
        self.generation = 0  # bumped by every forget: a lookup begun before it is not stored

    def get(self, digest: str) -> Principal | None:
        entry = self._entries.get(digest)
        if entry is None:
            return None
        principal, stored_at = entry
        expired = principal.expires_at is not None and principal.expires_at <= clock.now()
        if expired or self._monotonic() - stored_at >= self._max_age:
            del self._entries[digest]
            return None
        return principal

    def put(self, digest: str, principal: Principal, *, looked_up_at: int) -> None:
        """Remember a principal found by a lookup that began at generation `looked_up_at`."""
        if looked_up_at != self.generation:
            return  # a token was revoked meanwhile: this lookup may have read it before
        if digest not in self._entries and len(self._entries) >= self._max_entries:
            del self._entries[next(iter(self._entries))]  # the oldest
        self._entries[digest] = (principal, self._monotonic())

    def forget_token(self, token_id: int) -> None:
        self.generation += 1
        for digest in [d for d, (principal, _) in self._entries.items() if principal.token_id == token_id]:
            del self._entries[digest]

    def clear(self) -> None:
        self.generation += 1
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


token_cache = TokenCache()


@dataclass(frozen=True)
class TokenRevoked:
    """A token was revoked: every process forgets it."""

    token_id: int

    @property
    def topic(self) -> str:
        return TOPIC

    def payload(self) -> dict[str, object]:
        return {"type": "revoked", "tokenId": self.token_id}


async def watch(broker: Broker, cache: TokenCache = token_cache) -> None:
    """Run for the life of the process: forget tokens other processes revoked (everything, when
    a revocation may have gone by unheard)."""

    def on_message(message: bytes | None) -> None:
        if message is GAP:
            cache.clear()
            return
        token_id = orjson.loads(message).get("tokenId")
        if isinstance(token_id, int):
            cache.forget_token(token_id)

    await follow(broker, TOPIC, on_message, name="token revocation")
