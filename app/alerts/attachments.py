"""Alerts on their incidents' timelines: attached (and why), detached, and all resolved."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from tortoise.functions import Count

from app.alerts.enums import AttachReason
from app.alerts.models import Alert
from app.alerts.queries import with_open_alerts
from app.events import Outbox
from app.identity.policy import Actor
from app.ids import to_global_id
from app.incidents import store, timeline
from app.incidents.enums import TimelineKind
from app.incidents.lifecycle import TERMINAL_STATUSES
from app.incidents.models import Incident


def alert_data(alert: Alert) -> dict[str, Any]:
    """How timeline events name an alert."""
    return {
        "alertId": to_global_id("Alert", alert.id),
        "dedupKey": alert.dedup_key,
        "summary": alert.summary,
        "severity": alert.severity.value,
        "source": alert.source.value,
        "integrationId": to_global_id("Integration", alert.integration_id) if alert.integration_id else None,
    }


def alert_entry(alert: Alert, reason: AttachReason, message: str, data: dict[str, Any]) -> timeline.Entry:
    return timeline.Entry(TimelineKind.ALERT_ATTACHED, message, {**alert_data(alert), "reason": reason.value, **data})


async def record(
    outbox: Outbox, actor: Actor, incident: Incident, kind: TimelineKind, message: str, data: dict[str, Any]
) -> None:
    """One event on a locked incident's timeline (alert events never change the incident's fields)."""
    await timeline.append(
        outbox, incident, kind, actor_id=actor.user_id, message=message, data=data, incident_changed=False
    )
    await store.save(outbox, incident, [])


async def all_resolved(
    outbox: Outbox, actor: Actor, locked: dict[int, Incident], candidates: Iterable[int], now: datetime
) -> list[int]:
    """After alerts of `candidates` (locked incidents) resolved: an ALERTS_RESOLVED event on
    each that has no open alert left. The incident itself stays as it is."""
    wanted = sorted(set(candidates))
    if not wanted:
        return []
    conn = outbox.connection
    still_open = await with_open_alerts(conn, wanted)
    done = [i for i in wanted if i not in still_open and locked[i].status not in TERMINAL_STATUSES]
    if not done:
        return []
    counts = dict(
        await Alert.filter(incident_id__in=done)
        .using_db(conn)
        .annotate(alerts=Count("id"))
        .group_by("incident_id")
        .values_list("incident_id", "alerts")
    )
    for incident_id in done:
        incident = locked[incident_id]
        count = int(counts.get(incident_id, 0))
        noun = "the alert" if count == 1 else f"all {count} alerts"
        await record(
            outbox,
            actor,
            incident,
            TimelineKind.ALERTS_RESOLVED,
            f"{noun[0].upper()}{noun[1:]} of this incident resolved; "
            f"it stays {incident.status.value} until someone changes it",
            {"alertCount": count, "resolvedAt": now.isoformat()},
        )
    return done
