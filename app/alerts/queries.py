"""Reading alerts and integrations: the lookups of ingestion, filtered keyset pages, and the
batch reads behind GraphQL loaders."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import reduce

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import Q, Subquery
from tortoise.functions import Count

from app import db
from app.alerts.enums import OPEN_ALERT_STATUSES, AlertSeverity, AlertStatus
from app.alerts.locking import rules_of
from app.alerts.models import Alert, AlertRules, Integration
from app.alerts.rules import Rules
from app.identity.policy import Principal
from app.incidents.models import Incident
from app.incidents.queries import visible_to as incidents_visible_to
from app.pagination import Page, by_id, decode_cursor, encode_cursor, page_size
from app.text import search_term

# --- ingestion ---------------------------------------------------------------------------


async def open_by_keys(conn: BaseDBAsyncClient, integration_id: int, keys: Sequence[str]) -> dict[str, Alert]:
    """The integration's open alerts with these dedup keys (along the unique key index)."""
    if not keys:
        return {}
    rows = await Alert.filter(
        integration_id=integration_id, dedup_key__in=list(keys), open_key__not_isnull=True
    ).using_db(conn)
    return {row.dedup_key: row for row in rows}


async def resolved_episodes(
    conn: BaseDBAsyncClient, integration_id: int, episodes: Sequence[tuple[str, datetime]]
) -> set[tuple[str, datetime]]:
    """Which (dedup key, start) firing episodes of the integration are already resolved."""
    if not episodes:
        return set()
    rows = await (
        Alert.filter(
            integration_id=integration_id,
            dedup_key__in=list({key for key, _ in episodes}),
            started_at__in=list({start for _, start in episodes}),
            status=AlertStatus.RESOLVED,
        )
        .using_db(conn)
        .values_list("dedup_key", "started_at")
    )
    return {(key, start) for key, start in rows}


async def with_open_alerts(conn: BaseDBAsyncClient, incident_ids: Sequence[int]) -> set[int]:
    """Which of these incidents still have an open alert (one indexed probe each)."""
    found = set()
    for incident_id in incident_ids:
        if await Alert.filter(incident_id=incident_id, status__in=list(OPEN_ALERT_STATUSES)).using_db(conn).exists():
            found.add(incident_id)
    return found


# --- visibility, pages and filters -------------------------------------------------------


def visible_to(principal: Principal) -> Q:
    """Alerts the principal may see: those attached to no incident or to one they may see. An
    alert attached to a private incident exists only for those who see the incident."""
    if principal.is_admin:
        return Q()
    visible = Subquery(Incident.filter(incidents_visible_to(principal)).values("id"))
    return Q(incident_id__isnull=True) | Q(incident_id__in=visible)


async def get_visible(principal: Principal, ids: Sequence[int]) -> dict[int, Alert]:
    if not ids:
        return {}
    return {row.id: row for row in await Alert.filter(visible_to(principal), id__in=list(ids))}


@dataclass(frozen=True)
class AlertFilter:
    statuses: Sequence[AlertStatus] = ()
    severities: Sequence[AlertSeverity] = ()
    service_ids: Sequence[int] = ()
    integration_ids: Sequence[int] = ()
    open: bool | None = None
    search: str | None = None


def _conditions(principal: Principal, flt: AlertFilter | None) -> Q:
    conditions = [visible_to(principal)]
    if flt is not None:
        if flt.statuses:
            conditions.append(Q(status__in=list(flt.statuses)))
        if flt.severities:
            conditions.append(Q(severity__in=list(flt.severities)))
        if flt.service_ids:
            conditions.append(Q(service_id__in=list(flt.service_ids)))
        if flt.integration_ids:
            conditions.append(Q(integration_id__in=list(flt.integration_ids)))
        if flt.open is True:
            conditions.append(Q(status__in=list(OPEN_ALERT_STATUSES)))
        elif flt.open is False:
            conditions.append(Q(status=AlertStatus.RESOLVED))
        if term := search_term(flt.search, field="filter.search"):
            conditions.append(Q(summary__icontains=term) | Q(dedup_key=term))
    return reduce(lambda a, b: a & b, conditions)


async def list_alerts(
    principal: Principal, *, first: int | None, after: str | None, flt: AlertFilter | None
) -> Page[Alert]:
    """Newest first (by id)."""
    size = page_size(first, default=20)
    query = Alert.filter(_conditions(principal, flt))
    if after:
        query = query.filter(id__lt=decode_cursor(after, "alert", field="after"))
    rows = await query.order_by("-id").limit(size + 1)
    items = rows[:size]
    return Page(items, [encode_cursor("alert", a.id) for a in items], len(rows) > size, after is not None)


async def count_alerts(principal: Principal, flt: AlertFilter | None) -> int:
    return await Alert.filter(_conditions(principal, flt)).count()


async def incident_alert_pages(size: int, after_id: int | None, incident_ids: Sequence[int]) -> dict[int, list[Alert]]:
    """The newest `size` alerts (below `after_id`) of each incident, in one query."""
    if not incident_ids or size == 0:
        return {}
    columns = ", ".join(Alert._meta.fields_db_projection.values())  # complete once the ORM is up
    marks = ", ".join("{}" for _ in incident_ids)
    below = " AND id < {}" if after_id is not None else ""
    sql = (
        f"SELECT {columns} FROM (SELECT {columns}, ROW_NUMBER() OVER "
        f"(PARTITION BY incident_id ORDER BY id DESC) AS position FROM alerts "
        f"WHERE incident_id IN ({marks}){below}) ranked WHERE position <= {{}} ORDER BY incident_id, id DESC"
    )
    params: list[object] = [*incident_ids, *([after_id] if after_id is not None else []), size]
    grouped: dict[int, list[Alert]] = defaultdict(list)
    for row in await db.fetch_rows(Alert, sql, params):
        grouped[row["incident_id"]].append(Alert._init_from_db(**row))
    return grouped


async def incident_alert_counts(incident_ids: Sequence[int]) -> dict[int, int]:
    rows = await (
        Alert.filter(incident_id__in=list(incident_ids))
        .annotate(alerts=Count("id"))
        .group_by("incident_id")
        .values_list("incident_id", "alerts")
    )
    return {int(incident_id): int(count) for incident_id, count in rows}


async def changed_since(
    principal: Principal, since: datetime, service_ids: Sequence[int], limit: int = 500
) -> list[Alert]:
    """Visible alerts changed at or after `since` (oldest change first), to repair a live feed's gap."""
    query = Alert.filter(visible_to(principal), updated_at__gte=since)
    if service_ids:
        query = query.filter(service_id__in=list(service_ids))
    return await query.order_by("updated_at", "id").limit(limit)


# --- integrations and rules --------------------------------------------------------------


async def integrations_by_id(ids: Sequence[int]) -> dict[int, Integration]:
    return {row.id: row for row in await Integration.filter(id__in=list(ids))}


async def list_integrations(
    *, service_id: int | None, first: int | None, after: str | None, include_revoked: bool
) -> Page[Integration]:
    """In creation order."""
    query = Integration.all()
    if service_id is not None:
        query = query.filter(service_id=service_id)
    if not include_revoked:
        query = query.filter(revoked_at=None)
    return await by_id(query, kind="integration", first=first, after=after)


async def rules_for(service_id: int) -> Rules:
    return rules_of(await AlertRules.get_or_none(service_id=service_id))
