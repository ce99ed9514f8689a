"""The lock order of every alert command: the service's rules row first, then incidents in
ascending id order. Deliveries for one service therefore run one at a time, and two commands
that lock several incidents cannot deadlock each other (merges lock in the same order)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from app import clock
from app.alerts.enums import AlertSeverity
from app.alerts.models import AlertRules
from app.alerts.rules import DEFAULT_DECLARE, DEFAULT_GROUPING_WINDOW_MINUTES, Rules
from app.errors import NotFound
from app.events import Outbox
from app.incidents import store
from app.incidents.models import Incident

DECLARE_COLUMNS: dict[AlertSeverity, str] = {
    AlertSeverity.CRITICAL: "declare_critical",
    AlertSeverity.ERROR: "declare_error",
    AlertSeverity.WARNING: "declare_warning",
    AlertSeverity.INFO: "declare_info",
}


def rules_of(row: AlertRules | None) -> Rules:
    """The rules a row holds (the defaults for a service without a row)."""
    if row is None:
        return Rules()
    return Rules(
        declare={severity: getattr(row, column) for severity, column in DECLARE_COLUMNS.items()},
        grouping_window_minutes=row.grouping_window_minutes,
    )


def default_columns() -> dict[str, object]:
    return {
        **{column: DEFAULT_DECLARE[severity] for severity, column in DECLARE_COLUMNS.items()},
        "grouping_window_minutes": DEFAULT_GROUPING_WINDOW_MINUTES,
        "updated_at": clock.now(),
    }


async def locked_rules_row(outbox: Outbox, service_id: int, *, field: str = "serviceId") -> AlertRules:
    """The service's rules row, locked until commit; created with the defaults the first time."""
    conn = outbox.connection
    row = await AlertRules.filter(service_id=service_id).using_db(conn).select_for_update().first()
    if row is not None:
        return row
    try:
        async with in_transaction() as savepoint:
            await AlertRules.create(service_id=service_id, **default_columns(), using_db=savepoint)
    except IntegrityError:
        pass  # created by a concurrent command (which we now wait for), or no such service
    row = await AlertRules.filter(service_id=service_id).using_db(conn).select_for_update().first()
    if row is None:
        raise NotFound("Service not found", field=field)
    return row


async def remember_group(conn: BaseDBAsyncClient | None, row: AlertRules, incident_id: int, at: datetime) -> None:
    """Note on the (locked) rules row that `incident_id` took an alert of the service at `at`:
    the grouping window of the service's next alerts runs from here."""
    row.group_incident_id, row.group_attached_at = incident_id, at
    await row.save(update_fields=["group_incident_id", "group_attached_at"], using_db=conn)


async def lock_incidents(outbox: Outbox, *groups: Iterable[int]) -> dict[int, Incident]:
    """Lock the incidents of all `groups`, in ascending id order."""
    ids = sorted({incident_id for group in groups for incident_id in group})
    return {incident_id: await store.locked(outbox, incident_id) for incident_id in ids}
