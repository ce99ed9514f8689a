"""The public page cached in-process: one snapshot and everything rendered from it, dropped
when anything public changes. A change invalidates this process at once (after its commit) and
every other process through the broker topic `statuspage`; the clock-driven changes
(maintenance starting or ending, a new day of uptime) are met by the snapshot's expiry."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections import deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import orjson
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from app import clock
from app.broker import GAP, Broker, Overflow, follow
from app.events import Outbox, unit_of_work
from app.statuspage import queries
from app.statuspage.models import PageState
from app.statuspage.snapshot import PageConfig, Snapshot

TOPIC = "statuspage"
T = TypeVar("T")


class PublicCache:
    def __init__(self) -> None:
        self.config = PageConfig(id="firebreak", name="Status", url="/status", base_url="")
        self._snapshot: Snapshot | None = None
        self._rendered: dict[str, Any] = {}
        self._generation = 0
        self._lock = asyncio.Lock()
        self._seen: deque[str] = deque(maxlen=1024)
        self.builds = 0  # how many snapshots were read from storage (tests and benches look)

    def configure(self, config: PageConfig) -> None:
        if config != self.config:
            self.config = config
            self.invalidate()

    def invalidate(self, token: str | None = None) -> bool:
        """Drop everything; a token already seen (the same change reported twice) is ignored."""
        if token is not None:
            if token in self._seen:
                return False
            self._seen.append(token)
        self._generation += 1
        self._snapshot = None
        self._rendered = {}
        return True

    def current(self) -> Snapshot | None:
        snapshot = self._snapshot
        if snapshot is not None and clock.now() < snapshot.expires_at:
            return snapshot
        return None

    async def snapshot(self) -> Snapshot:
        snapshot = self.current()
        if snapshot is not None:
            return snapshot
        async with self._lock:  # one build at a time; waiters take its result
            snapshot = self.current()
            if snapshot is not None:
                return snapshot
            generation = self._generation
            built = await queries.build_snapshot(self.config, clock.now())
            self.builds += 1
            if generation == self._generation:  # no change arrived while building
                self._snapshot = built
                self._rendered = {}
            return built

    async def rendered(self, key: str, render: Callable[[Snapshot], T]) -> T:
        """`render(snapshot)`, computed once per snapshot."""
        snapshot = self.current()
        if snapshot is not None:
            hit = self._rendered.get(key)
            if hit is not None and hit[0] is snapshot:
                return hit[1]  # type: ignore[no-any-return]
        snapshot = await self.snapshot()
        value = render(snapshot)
        if self._snapshot is snapshot:
            self._rendered[key] = (snapshot, value)
        return value


public_cache = PublicCache()


def _token(message: bytes | None) -> str | None:
    if message is GAP:
        return None
    try:
        return str(orjson.loads(message).get("token")) or None
    except (orjson.JSONDecodeError, AttributeError):
        return None


@dataclass(frozen=True)
class PageChanged:
    """Something public changed: every process drops its cached page (`token` lets the process
    that made the change, which dropped it already, ignore its own message)."""

    token: str

    @property
    def topic(self) -> str:
        return TOPIC

    def payload(self) -> dict[str, object]:
        return {"type": "changed", "token": self.token}


@dataclass
class Change:
    outbox: Outbox
    public: bool = True  # False: nothing public changed after all (no touch, no publish)


@contextlib.asynccontextmanager
async def public_change() -> AsyncIterator[Change]:
    """A unit of work that changes the public page: it stamps the page's update time, and once
    committed, drops this process's cache and tells the others through the broker."""
    token = uuid.uuid4().hex
    async with unit_of_work() as outbox:
        change = Change(outbox)
        yield change
        if change.public:
            await _touch(outbox)
            outbox.add(PageChanged(token))
    if change.public:
        public_cache.invalidate(token)


async def changed_in(outbox: Outbox) -> None:
    """`public_change` for a unit of work someone else opened (an incident hook's)."""
    token = uuid.uuid4().hex
    await _touch(outbox)
    outbox.add(PageChanged(token))
    outbox.after_commit(lambda: public_cache.invalidate(token))


async def _touch(outbox: Outbox) -> None:
    now = clock.now()
    if await PageState.filter(id=1).using_db(outbox.connection).update(updated_at=now):
        return
    try:
        async with in_transaction() as savepoint:  # the first change of a database
            await PageState.create(id=1, updated_at=now, using_db=savepoint)
    except IntegrityError:
        await PageState.filter(id=1).using_db(outbox.connection).update(updated_at=now)


async def watch(broker: Broker, cache: PublicCache = public_cache) -> None:
    """Run for the life of the process: drop the cache whenever another process changed the page."""

    def on_message(message: bytes | None) -> None:
        cache.invalidate(_token(message))

    await follow(broker, TOPIC, on_message, name="status page invalidation")


async def page_changes(broker: Broker, cache: PublicCache = public_cache) -> AsyncIterator[Snapshot]:
    """The page now, then again each time what it shows changes (data or clock)."""
    last: str | None = None
    while True:
        try:
            async with broker.subscribe(TOPIC) as listener:
                while True:
                    snapshot = await cache.snapshot()
                    if snapshot.revision != last:
                        last = snapshot.revision
                        yield snapshot
                    wait = max((snapshot.expires_at - clock.now()).total_seconds(), 0.0)
                    try:
                        message = await asyncio.wait_for(listener.__anext__(), timeout=wait + 0.05)
                    except TimeoutError:
                        continue
                    cache.invalidate(_token(message))
        except Overflow:
            cache.invalidate()
