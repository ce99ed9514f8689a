"""Per-integration delivery limits (a moving window, the `limits` library): in Redis when
REDIS_URL is set, so every server process counts together; in process memory otherwise."""

from __future__ import annotations

import logging
import math
import time

from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.errors import StorageError

log = logging.getLogger(__name__)


class DeliveryLimiter:
    def __init__(self, rate: str, *, redis_url: str | None = None, prefix: str = "firebreak:") -> None:
        self.item: RateLimitItem = parse(rate)
        storage: Storage
        if redis_url and redis_url.startswith(("redis://", "rediss://")):
            storage = RedisStorage(
                "async+" + redis_url, implementation="redispy", key_prefix=f"{prefix}ratelimit", wrap_exceptions=True,
                socket_connect_timeout=2, socket_timeout=2,
            )
        else:
            storage = MemoryStorage()
        self.storage = storage
        self.limiter = MovingWindowRateLimiter(storage)

    async def retry_after(self, key: str) -> int | None:
        """Count one delivery for `key`: None when allowed, else the seconds until one would be.
        When Redis cannot be reached the delivery is allowed: losing alerts is worse."""
        try:
            if await self.limiter.hit(self.item, "delivery", key):
                return None
            stats = await self.limiter.get_window_stats(self.item, "delivery", key)
        except StorageError as error:
            log.warning("rate limit storage unavailable (%s); delivery allowed", type(error.storage_error).__name__)
            return None
        return max(1, math.ceil(stats.reset_time - time.time()))

