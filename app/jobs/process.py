"""A worker process (`firebreak worker`): storage, the broker (handlers publish events) and the
job engine, running jobs until SIGTERM or SIGINT, then stopping gracefully within its bound."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Iterable

from app import db
from app.broker import create_broker, set_broker
from app.config import Settings
from app.jobs.engine import create_engine, set_engine

log = logging.getLogger(__name__)


class PendingMigrations(RuntimeError):
    """The database is behind the code."""


async def run_worker(settings: Settings, *, concurrency: int | None = None, import_paths: Iterable[str] = ()) -> None:
    await db.init(settings)
    try:
        pending = await db.pending_migrations()
        if pending:
            raise PendingMigrations(
                f"the database has {len(pending)} pending migrations; run `firebreak migrate` first"
            )
        broker = create_broker(settings.redis_url, prefix=settings.redis_prefix)
        await broker.connect()
        set_broker(broker)
        try:
            await _work(settings, concurrency or settings.worker_concurrency, import_paths)
        finally:
            set_broker(None)
            await broker.close()
    finally:
        await db.close()


async def _work(settings: Settings, concurrency: int, import_paths: Iterable[str]) -> None:
    engine = create_engine(settings, import_paths=import_paths)
    set_engine(engine)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    try:
        await engine.start(worker=True, concurrency=concurrency)
        log.info("worker running (concurrency %d); SIGTERM or Ctrl-C stops it", concurrency)
        await stop.wait()
        log.info("worker stopping")
        await engine.stop()
    finally:
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(signum)
        set_engine(None)
