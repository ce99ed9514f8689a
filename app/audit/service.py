"""Recording audit entries. Recording never fails the request it describes: a failure is logged."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from app import clock
from app.audit.models import AuditEntry

log = logging.getLogger(__name__)

OK = "ok"
DENIED = "denied"  # failed authentication
FORBIDDEN = "forbidden"  # authenticated, not allowed


@dataclass(frozen=True)
class Event:
    operation: str
    outcome: str
    actor_id: int | None = None
    actor_label: str = "anonymous"
    target: str | None = None
    request_id: str | None = None
    client_ip: str | None = None
    details: dict[str, Any] = field(default_factory=dict)


async def record(*events: Event) -> None:
    """Append entries (one statement for all of them)."""
    if not events:
        return
    now = clock.now()
    try:
        await AuditEntry.bulk_create(
            [
                AuditEntry(
                    at=now,
                    actor_id=e.actor_id,
                    actor_label=e.actor_label[:100],
                    operation=e.operation[:100],
                    target=e.target[:200] if e.target else None,
                    request_id=e.request_id[:64] if e.request_id else None,
                    client_ip=e.client_ip[:64] if e.client_ip else None,
                    outcome=e.outcome[:50],
                    details=e.details,
                )
                for e in events
            ]
        )
    except Exception:  # noqa: BLE001 - the change itself is committed; say so loudly instead
        log.exception("could not write %d audit entries (%s)", len(events), ", ".join(e.operation for e in events))
