"""Rate limits (a moving window, the `limits` library): in Redis when REDIS_URL is set, so
every server process counts together; in process memory otherwise. Used per integration key
for alert deliveries, and per token (or per client IP when there is none) for the API."""

from __future__ import annotations

import logging
import math
import time

from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.errors import StorageError

from app.identity.policy import Principal

log = logging.getLogger(__name__)


class RateLimiter:
    def __init__(
        self, rate: str, *, redis_url: str | None = None, prefix: str = "firebreak:", namespace: str = "delivery"
    ) -> None:
        self.item: RateLimitItem | None = None if rate.strip().lower() in ("off", "0", "") else parse(rate)
        self.namespace = namespace
        storage: Storage
        if redis_url and redis_url.startswith(("redis://", "rediss://")):
            storage = RedisStorage(
                "async+" + redis_url,
                implementation="redispy",
                key_prefix=f"{prefix}ratelimit",
                wrap_exceptions=True,
                socket_connect_timeout=2,
                socket_timeout=2,
            )
        else:
            storage = MemoryStorage()
        self.storage = storage
        self.limiter = MovingWindowRateLimiter(storage)

    async def retry_after(self, key: str) -> int | None:
        """Count one request for `key`: None when allowed, else the seconds until one would be.
        When Redis cannot be reached the request is allowed: refusing everyone is worse."""
        if self.item is None:
            return None
        try:
            if await self.limiter.hit(self.item, self.namespace, key):
                return None
            stats = await self.limiter.get_window_stats(self.item, self.namespace, key)
        except StorageError as error:
            log.warning("rate limit storage unavailable (%s); request allowed", type(error.storage_error).__name__)
            return None
        return max(1, math.ceil(stats.reset_time - time.time()))


class ApiLimits:
    """Requests per token, or per client IP for requests without a valid token."""

    def __init__(self, per_token: str, per_ip: str, *, redis_url: str | None, prefix: str) -> None:
        self.per_token = RateLimiter(per_token, redis_url=redis_url, prefix=prefix, namespace="api-token")
        self.per_ip = RateLimiter(per_ip, redis_url=redis_url, prefix=prefix, namespace="api-ip")

    async def check(self, principal: Principal | None, client_ip: str | None) -> int | None:
        """None when the request may go on, else the seconds to wait."""
        if principal is not None and principal.token_id is not None:
            return await self.per_token.retry_after(str(principal.token_id))
        return await self.per_ip.retry_after(client_ip or "unknown")
