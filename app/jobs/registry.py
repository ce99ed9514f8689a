"""Job handlers by name: `@task` and `@periodic` register them here with their retry policy,
for whichever engine runs them (procrastinate on PostgreSQL, the local runner on SQLite)."""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import re
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TypeVar

from croniter import croniter  # type: ignore[import-untyped]

Handler = Callable[..., Awaitable[None]]
H = TypeVar("H", bound=Handler)

_NAME = re.compile(r"^[a-z0-9][a-z0-9_.:-]{0,127}$")


class UnknownTask(LookupError):
    """A job names a task no module of this process registered."""


class RetryLater(Exception):
    """Raised by a handler to run again after `delay` (a receiver's Retry-After, say). It counts
    as an attempt: once the task's attempts are spent the job fails like any other."""

    def __init__(self, delay: timedelta, reason: str = "") -> None:
        super().__init__(reason or f"retry in {delay.total_seconds():g} s")
        self.delay = max(delay, timedelta(0))


@dataclass(frozen=True)
class Exponential:
    """`first`, then `first * factor`, `first * factor**2`, … never more than `limit`."""

    first: timedelta = timedelta(seconds=1)
    factor: float = 2.0
    limit: timedelta = timedelta(minutes=10)

    def __call__(self, retry: int) -> timedelta:
        seconds = self.first.total_seconds() * self.factor ** max(retry - 1, 0)
        return min(timedelta(seconds=seconds), self.limit)


@dataclass(frozen=True)
class Constant:
    """The same wait before every retry."""

    delay: timedelta

    def __call__(self, retry: int) -> timedelta:
        return self.delay


def exponential(
    first: timedelta = timedelta(seconds=1), factor: float = 2.0, limit: timedelta = timedelta(minutes=10)
) -> Exponential:
    if first <= timedelta(0) or factor < 1 or limit < first:
        raise ValueError("exponential backoff needs first > 0, factor >= 1 and limit >= first")
    return Exponential(first, factor, limit)


def constant(delay: timedelta) -> Constant:
    if delay < timedelta(0):
        raise ValueError("a backoff delay cannot be negative")
    return Constant(delay)


@dataclass(frozen=True)
class Retry:
    """At most `max_attempts` runs in all, the first included; the n-th retry waits
    `backoff(n)` after the failure (or what the handler's `RetryLater` asks)."""

    max_attempts: int = 1
    backoff: Callable[[int], timedelta] = field(default_factory=exponential)

    def __post_init__(self) -> None:
        if not 1 <= self.max_attempts <= 1000:
            raise ValueError("max_attempts must be between 1 and 1000")

    def delay_after(self, error: BaseException, attempts: int) -> timedelta | None:
        """The wait before the next run once run number `attempts` raised `error`; None: give up."""
        if attempts >= self.max_attempts:
            return None
        if isinstance(error, RetryLater):
            return error.delay
        return max(self.backoff(attempts), timedelta(0))


@dataclass(frozen=True)
class TaskSpec:
    name: str
    handler: Handler
    retry: Retry


@dataclass(frozen=True)
class PeriodicSpec:
    """A task deferred once per tick of `cron` (6 fields: the last one is seconds) across all
    workers; its handler receives the tick as `timestamp` (Unix seconds)."""

    name: str
    cron: str


_tasks: dict[str, TaskSpec] = {}
_periodic: dict[str, PeriodicSpec] = {}


def task(name: str, *, retry: Retry | None = None) -> Callable[[H], H]:
    """Register an async handler run with the job's JSON arguments as keyword arguments.

    Handlers run at least once: after a crash a job may run again, so a handler checks the
    database state it acts on (under a row lock) rather than trusting that it runs once."""

    _check_name(name)

    def register(handler: H) -> H:
        _register(TaskSpec(name, handler, retry or Retry()))
        return handler

    return register


def periodic(
    name: str, *, every: timedelta | None = None, cron: str | None = None, retry: Retry | None = None
) -> Callable[[H], H]:
    """Register a handler run once per period (`every` dividing a minute, an hour or a day, or a
    cron expression) across all workers; it receives `timestamp`, the tick it runs for."""
    if (every is None) == (cron is None):
        raise ValueError("give one of every= or cron=")
    expression = every_to_cron(every) if every is not None else _check_cron(cron or "")
    _check_name(name)

    def register(handler: H) -> H:
        _register(TaskSpec(name, handler, retry or Retry()))
        _periodic[name] = PeriodicSpec(name, expression)
        return handler

    return register


def _register(spec: TaskSpec) -> None:
    if not inspect.iscoroutinefunction(spec.handler):
        raise TypeError(f"job handler {spec.name!r} must be an async function")
    known = _tasks.get(spec.name)
    if known is not None and _qualified(known.handler) != _qualified(spec.handler):
        raise ValueError(f"job task {spec.name!r} is already registered by {_qualified(known.handler)}")
    _tasks[spec.name] = spec


def _qualified(handler: Handler) -> str:
    return f"{handler.__module__}.{handler.__qualname__}"


def _check_name(name: str) -> str:
    if not _NAME.match(name):
        raise ValueError(f"job task name {name!r} must be 1-128 of a-z 0-9 _ . : -, starting with a letter or digit")
    return name


def _check_cron(expression: str) -> str:
    if not croniter.is_valid(expression):
        raise ValueError(f"{expression!r} is not a cron expression")
    return expression


def every_to_cron(every: timedelta) -> str:
    """The cron expression ticking every `every`, aligned on the clock (every 10 minutes is
    :00, :10, …). Periods that do not divide a minute, an hour or a day have none."""
    seconds = every.total_seconds()
    if seconds != int(seconds) or seconds <= 0:
        raise ValueError("every= must be a whole number of seconds, more than zero")
    whole = int(seconds)
    if whole < 60 and 60 % whole == 0:
        return f"* * * * * */{whole}"
    if whole % 60 == 0 and whole < 3600 and 60 % (whole // 60) == 0:
        return f"*/{whole // 60} * * * *"
    if whole % 3600 == 0 and whole < 86400 and 24 % (whole // 3600) == 0:
        return f"0 */{whole // 3600} * * *"
    if whole == 86400:
        return "0 0 * * *"
    raise ValueError("every= must divide a minute, an hour or a day (or give cron=)")


def get_task(name: str) -> TaskSpec:
    try:
        return _tasks[name]
    except KeyError:
        raise UnknownTask(f"no job task named {name!r} is registered in this process") from None


def tasks() -> dict[str, TaskSpec]:
    return dict(_tasks)


def periodic_tasks() -> list[PeriodicSpec]:
    return list(_periodic.values())


def import_task_modules(extra: Iterable[str] = ()) -> None:
    """Import every domain's `tasks` module (`app/<domain>/tasks.py`, by convention where a
    domain registers its handlers) and the `extra` modules, so this process knows them all."""
    from app.db import APPS

    for package in APPS.values():
        module = f"{package}.tasks"
        if importlib.util.find_spec(module) is not None:
            importlib.import_module(module)
    for module in extra:
        importlib.import_module(module)
