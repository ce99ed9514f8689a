"""Reading the audit log, newest first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from app.audit.models import AuditEntry
from app.pagination import Page, decode_cursor, encode_cursor, page_size
from app.text import single_line

FILTER_MAX = 200


@dataclass(frozen=True)
class AuditFilter:
    actor_id: int | None = None
    operation: str | None = None
    outcome: str | None = None
    target: str | None = None
    since: datetime | None = None
    until: datetime | None = None


async def entries(*, first: int | None, after: str | None, flt: AuditFilter | None) -> Page[AuditEntry]:
    size = page_size(first, default=50)
    query = AuditEntry.all()
    if flt is not None:
        for field, value in (("operation", flt.operation), ("outcome", flt.outcome), ("target", flt.target)):
            single_line(value or "", field=f"filter.{field}", max_length=FILTER_MAX, required=False)
    if flt is not None:
        if flt.actor_id is not None:
            query = query.filter(actor_id=flt.actor_id)
        if flt.operation:
            query = query.filter(operation=flt.operation)
        if flt.outcome:
            query = query.filter(outcome=flt.outcome)
        if flt.target:
            query = query.filter(target=flt.target)
        if flt.since:
            query = query.filter(at__gte=flt.since)
        if flt.until:
            query = query.filter(at__lt=flt.until)
    if after:
        query = query.filter(id__lt=decode_cursor(after, "audit", field="after"))
    rows = await query.order_by("-id").limit(size + 1)
    items = rows[:size]
    return Page(items, [encode_cursor("audit", row.id) for row in items], len(rows) > size, after is not None)
