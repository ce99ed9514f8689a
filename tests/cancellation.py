"""Cancelling a coroutine at each of its await points, deterministically.

`Task.cancel()` lands wherever the task is suspended, and also after what it awaits has
finished but before the task runs on (its result is then dropped and CancelledError raised in
its place). That second case is the one a timing-based test almost never hits; here the
coroutine is driven by hand, and resumed with CancelledError right after its `step`-th await
completes, as the task would be. Its clean-up (`finally`, `__aexit__`) then runs to its end
undisturbed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

MAX_STEPS = 500


async def cancelled_at(make: Callable[[], Coroutine[Any, Any, Any]], step: int) -> bool:
    """Run `make()` in the current task, cancelling it once its `step`-th await has completed.
    True when the cancellation was delivered; False when it finished first (fewer awaits)."""
    coroutine = make()
    awaited = 0
    throw: BaseException | None = None
    try:
        while True:
            try:
                yielded = coroutine.send(None) if throw is None else coroutine.throw(throw)
            except StopIteration:
                return awaited >= step  # it may have swallowed the cancellation
            except asyncio.CancelledError:
                if awaited < step:
                    raise  # not ours: the test itself is being cancelled
                return True
            throw = None
            if yielded is None:  # a bare yield (asyncio.sleep(0))
                await asyncio.sleep(0)
            else:  # a future: wait for it to finish; the coroutine reads its outcome itself
                yielded._asyncio_future_blocking = False
                await asyncio.wait([yielded])
            awaited += 1
            if awaited == step:
                throw = asyncio.CancelledError()
    finally:
        coroutine.close()


async def cancel_at_every_step(
    make: Callable[[], Coroutine[Any, Any, Any]], after_each: Callable[[int], Coroutine[Any, Any, None]]
) -> int:
    """Cancel a fresh `make()` after its first await, then its second, and so on until one runs
    to its end; `after_each(step)` checks what each cancellation left behind. Returns how many
    await points were cancelled."""
    for step in range(1, MAX_STEPS + 1):
        if not await cancelled_at(make, step):
            await after_each(step)
            return step - 1
        await after_each(step)
    raise AssertionError(f"still running after {MAX_STEPS} cancelled await points")
