"""Extension points of the incident lifecycle, for domains built on incidents.

Another domain registers a *guard* (may refuse a status change by raising a DomainError), an
*after-transition hook* (reacts to it) or an *after-privacy hook* (reacts to an incident made
private or public). All run inside the change's transaction, with the incident row locked, so
whatever they write commits or rolls back with the change. The incidents domain never imports
the domains that extend it: they register here at start-up (see `app/wiring.py`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from app.events import Outbox
from app.identity.policy import Principal
from app.incidents.enums import IncidentStatus
from app.incidents.models import Incident


@dataclass(frozen=True)
class StatusChange:
    """One status change in progress. Guards see the incident before the change; after-hooks
    see it changed, its STATUS_CHANGED event appended, and may append events of their own with
    `app.incidents.timeline.append(change.outbox, change.incident, ...)` (the caller saves)."""

    outbox: Outbox
    incident: Incident
    previous: IncidentStatus
    target: IncidentStatus
    actor: Principal


@dataclass(frozen=True)
class PrivacyChange:
    """An incident made private or public again, saved in the open transaction: whatever shows
    it outside its own visibility rules (the public status page) must follow at once."""

    outbox: Outbox
    incident: Incident
    actor: Principal


Hook = Callable[[StatusChange], Awaitable[None]]
PrivacyHook = Callable[[PrivacyChange], Awaitable[None]]

_guards: list[Hook] = []
_after: list[Hook] = []
_privacy: list[PrivacyHook] = []


def register_guard(hook: Hook) -> None:
    """Run `hook` before every status change; raising a DomainError refuses the change."""
    if hook not in _guards:
        _guards.append(hook)


def register_after_transition(hook: Hook) -> None:
    """Run `hook` after every status change, in the same transaction."""
    if hook not in _after:
        _after.append(hook)


def register_after_privacy_change(hook: PrivacyHook) -> None:
    """Run `hook` after an incident's privacy changes, in the same transaction."""
    if hook not in _privacy:
        _privacy.append(hook)


def unregister(hook: Hook | PrivacyHook) -> None:
    for hooks in (_guards, _after, _privacy):
        if hook in hooks:
            hooks.remove(hook)  # type: ignore[arg-type]


async def check(change: StatusChange) -> None:
    for hook in tuple(_guards):
        await hook(change)


async def after(change: StatusChange) -> None:
    for hook in tuple(_after):
        await hook(change)


async def privacy_changed(change: PrivacyChange) -> None:
    for hook in tuple(_privacy):
        await hook(change)
