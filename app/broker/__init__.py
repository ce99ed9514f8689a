"""Publish/subscribe between server processes; backends chosen by URL scheme."""

from __future__ import annotations

from app.broker.base import Backend
from app.broker.follow import follow
from app.broker.hub import GAP, Broker, Listener, Overflow

__all__ = ["GAP", "Backend", "Broker", "Listener", "Overflow", "create_broker", "follow", "get_broker", "set_broker"]

_current: Broker | None = None


def create_broker(url: str | None, *, listener_buffer: int = 1024, prefix: str = "firebreak:") -> Broker:
    """`None` or `memory://` for in-process; `redis://` / `rediss://` for Redis pub/sub."""
    if url is None or url.startswith("memory://"):
        from app.broker.memory import MemoryBackend

        return Broker(MemoryBackend(), listener_buffer=listener_buffer)
    if url.startswith(("redis://", "rediss://")):
        from app.broker.redis import RedisBackend

        return Broker(RedisBackend(url, prefix=prefix), listener_buffer=listener_buffer)
    raise ValueError(f"unsupported broker URL scheme: {url.split('://', 1)[0]}")


def set_broker(broker: Broker | None) -> None:
    global _current
    _current = broker


def get_broker() -> Broker | None:
    return _current
