"""The per-process cache of authenticated tokens: how long an entry lives, and what forgets it."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import timedelta
from pathlib import Path

import httpx
import orjson
import pytest

from app import clock
from app.broker import create_broker
from app.identity import service as identity
from app.identity.models import ApiToken, Role
from app.identity.policy import Principal, Unauthenticated
from app.identity.token_cache import TOPIC, TokenCache, TokenRevoked, token_cache, watch
from app.ids import to_global_id
from tests.conftest import Actor, Backend
from tests.live import live_server
from tests.services import require_redis

VIEWER = "{ viewer { email } }"
REVOKE = "mutation R($id: ID!) { revokeApiToken(input: {apiTokenId: $id}) { errors { code } } }"


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def principal(token_id: int, expires_in: timedelta | None = None) -> Principal:
    expires_at = clock.now() + expires_in if expires_in is not None else None
    return Principal(user_id=1, role=Role.VIEWER, token_id=token_id, expires_at=expires_at)


def test_an_entry_lives_max_age_seconds() -> None:
    ticks = Clock()
    cache = TokenCache(max_age=3, monotonic=ticks)
    cache.put("a", principal(1), looked_up_at=cache.generation)
    ticks.now += 2.9
    assert cache.get("a") == principal(1)
    ticks.now += 0.1
    assert cache.get("a") is None and len(cache) == 0


def test_an_expired_token_is_not_served() -> None:
    cache = TokenCache()
    cache.put("a", principal(1, timedelta(seconds=-1)), looked_up_at=cache.generation)
    assert cache.get("a") is None


def test_forgetting_a_token_drops_only_its_entries() -> None:
    cache = TokenCache()
    cache.put("a", principal(1), looked_up_at=cache.generation)
    cache.put("b", principal(2), looked_up_at=cache.generation)
    cache.forget_token(1)
    assert cache.get("a") is None and cache.get("b") == principal(2)


def test_a_lookup_begun_before_a_revocation_is_not_stored() -> None:
    cache = TokenCache()
    began = cache.generation
    cache.forget_token(7)  # revoked while the lookup was reading the (then valid) token
    cache.put("a", principal(7), looked_up_at=began)
    assert cache.get("a") is None


def test_the_oldest_entry_makes_room() -> None:
    cache = TokenCache(max_entries=2)
    for name, token_id in (("a", 1), ("b", 2), ("c", 3)):
        cache.put(name, principal(token_id), looked_up_at=cache.generation)
    assert cache.get("a") is None and cache.get("b") is not None and cache.get("c") is not None


async def test_a_revocation_published_by_another_process_is_forgotten_here() -> None:
    broker = create_broker(None)
    await broker.connect()
    cache = TokenCache()
    watcher = asyncio.create_task(watch(broker, cache))
    try:
        await asyncio.sleep(0.05)
        cache.put("a", principal(5), looked_up_at=cache.generation)
        cache.put("b", principal(6), looked_up_at=cache.generation)
        await broker.publish(TOPIC, orjson.dumps(TokenRevoked(5).payload()))
        for _ in range(50):
            if cache.get("a") is None:
                break
            await asyncio.sleep(0.01)
        assert cache.get("a") is None and cache.get("b") is not None
    finally:
        watcher.cancel()
        await broker.close()


async def test_revoking_through_the_service_takes_effect_at_once(viewer: Actor) -> None:
    assert (await identity.authenticate(viewer.token)).token_id == viewer.principal.token_id
    await identity.revoke_token(token_id=viewer.principal.token_id)  # type: ignore[arg-type]
    with pytest.raises(Unauthenticated):
        await identity.authenticate(viewer.token)


async def test_a_cached_token_is_not_looked_up_again(viewer: Actor) -> None:
    await identity.authenticate(viewer.token)
    await ApiToken.filter(id=viewer.principal.token_id).update(scopes="read")
    assert (await identity.authenticate(viewer.token)).scopes == viewer.principal.scopes  # served from the cache
    token_cache.clear()
    assert (await identity.authenticate(viewer.token)).scopes == frozenset({"read"})


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
async def test_a_token_revoked_on_one_process_stops_working_on_another(
    backend: Backend, viewer: Actor, tmp_path: Path
) -> None:
    prefix = f"test-{uuid.uuid4().hex[:8]}:"
    with (
        live_server(backend.url, tmp_path, redis_url=require_redis(), redis_prefix=prefix) as a,
        live_server(backend.url, tmp_path, redis_url=require_redis(), redis_prefix=prefix) as b,
    ):
        headers = {"Authorization": f"Bearer {viewer.token}"}
        async with httpx.AsyncClient(headers=headers, timeout=10) as client:
            assert (await client.post(b.url + "/graphql", json={"query": VIEWER})).status_code == 200  # cached on B
            token_id = to_global_id("ApiToken", viewer.principal.token_id)  # type: ignore[arg-type]
            revoked = await client.post(a.url + "/graphql", json={"query": REVOKE, "variables": {"id": token_id}})
            assert revoked.json()["data"]["revokeApiToken"]["errors"] == [], revoked.text
            started = time.monotonic()
            while (await client.post(b.url + "/graphql", json={"query": VIEWER})).status_code != 401:
                assert time.monotonic() - started < 1.0, "B kept serving a revoked token"
                await asyncio.sleep(0.02)
