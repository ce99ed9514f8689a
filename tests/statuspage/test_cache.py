"""The in-process cache of the public page: dropped by this process's changes at once, and by
other processes' changes through the broker (Redis across processes)."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest

from app.broker import create_broker, get_broker, set_broker
from app.statuspage import service
from app.statuspage.cache import TOPIC, PublicCache, public_cache, watch
from app.statuspage.enums import ComponentStatus as C
from tests.conftest import Actor
from tests.services import require_redis


async def wait_for(condition: Any, timeout: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.01)


async def shows(cache: PublicCache, component_id: int, status: C, timeout: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        snapshot = await cache.snapshot()
        view = snapshot.components_by_id.get(component_id)
        if view is not None and view.status is status:
            return
        assert asyncio.get_running_loop().time() < deadline, f"still {view.status if view else None}"
        await asyncio.sleep(0.02)


async def test_tokens_are_applied_once() -> None:
    cache = PublicCache()
    assert cache.invalidate("a") is True
    assert cache.invalidate("a") is False
    assert cache.invalidate() is True and cache.invalidate() is True


async def test_a_change_built_over_is_not_kept(admin: Actor, broker: object, monkeypatch: pytest.MonkeyPatch) -> None:
    """A change that commits while a snapshot is being built must not be hidden by it."""
    from app.statuspage import queries

    api = await service.create_component(actor=admin.principal, name="API")
    original = queries.build_snapshot
    started, release = asyncio.Event(), asyncio.Event()

    async def slow(*args: Any) -> Any:
        result = await original(*args)
        started.set()
        await release.wait()
        return result

    monkeypatch.setattr(queries, "build_snapshot", slow)
    public_cache.invalidate()
    building = asyncio.create_task(public_cache.snapshot())
    await started.wait()
    monkeypatch.setattr(queries, "build_snapshot", original)
    await service.set_component_status(actor=admin.principal, component_id=api.id, status=C.MAJOR_OUTAGE)
    release.set()
    stale = await building
    assert stale.components_by_id[api.id].status is C.OPERATIONAL  # the racing build saw the old state…
    fresh = await public_cache.snapshot()  # …and was not cached
    assert fresh.components_by_id[api.id].status is C.MAJOR_OUTAGE


@pytest.mark.redis
async def test_other_processes_drop_their_cache_through_redis(admin: Actor) -> None:
    url = require_redis()
    prefix = f"firebreak-test-{uuid.uuid4().hex[:8]}:"
    here, there = create_broker(url, prefix=prefix), create_broker(url, prefix=prefix)
    await here.connect()
    await there.connect()
    previous = get_broker()
    set_broker(here)
    other = PublicCache()  # the cache of another server process
    other.configure(public_cache.config)
    watcher = asyncio.create_task(watch(there, other))
    try:
        await wait_for(lambda: there.listener_count(TOPIC) == 1)
        api = await service.create_component(actor=admin.principal, name="API")
        await wait_for(lambda: len(other._seen) == 1)  # its message arrived
        await shows(other, api.id, C.OPERATIONAL)
        builds = other.builds
        await asyncio.sleep(0.2)
        await other.snapshot()
        assert other.builds == builds  # nothing changed: the other process keeps its cache
        await service.set_component_status(actor=admin.principal, component_id=api.id, status=C.PARTIAL_OUTAGE)
        # Only the broker can tell the other process: its cached snapshot has no expiry soon.
        await shows(other, api.id, C.PARTIAL_OUTAGE)
    finally:
        watcher.cancel()
        await asyncio.gather(watcher, return_exceptions=True)
        set_broker(previous)
        await here.close()
        await there.close()
