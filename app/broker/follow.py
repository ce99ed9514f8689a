"""A process-long listener of one topic, for caches that other processes invalidate."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from app.broker.hub import GAP, Broker, Overflow

log = logging.getLogger(__name__)


async def follow(broker: Broker, topic: str, on_message: Callable[[bytes | None], None], *, name: str) -> None:
    """Call `on_message` with every message of `topic`, for the life of the process, and with
    GAP whenever messages may have been missed: on (re)subscribing, after a broker gap, and when
    the listener fell behind or failed (it then subscribes again)."""
    while True:
        try:
            async with broker.subscribe(topic) as listener:
                on_message(GAP)  # anything may have changed while nobody listened
                async for message in listener:
                    on_message(message)
        except Overflow:
            on_message(GAP)
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - keep following; the caller's own expiry bounds staleness
            log.exception("%s listener failed; restarting", name)
            on_message(GAP)
            await asyncio.sleep(1)
