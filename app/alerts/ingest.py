"""Alert ingestion: one delivery in one transaction, serialized per service.

Every delivery for a service first locks the service's rules row, so deduplication (one open
alert per integration and key, which a unique index also guarantees) and grouping (one incident
per storm) see the previous delivery's committed result. A delivery costs a fixed number of
statements whatever its size: alerts are looked up, inserted and updated in batches."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import F

from app import clock, db
from app.alerts import feed, rules
from app.alerts.attachments import alert_entry, all_resolved
from app.alerts.enums import AlertSource, AlertStatus
from app.alerts.locking import lock_incidents, locked_rules_row, remember_group, rules_of
from app.alerts.models import Alert, AlertRules, Integration
from app.alerts.queries import open_by_keys, resolved_episodes
from app.alerts.rules import Routing, Rules
from app.alerts.signals import Delivery, Signal
from app.catalog.models import Service
from app.events import Outbox, unit_of_work
from app.identity.policy import Action, Actor, require
from app.incidents import store, timeline
from app.incidents.lifecycle import OPEN_STATUSES
from app.incidents.models import Incident

_LAST_DELIVERY_RESOLUTION = timedelta(minutes=1)
_CHANGED_FIELDS = (
    "summary",
    "severity",
    "labels",
    "annotations",
    "details",
    "links",
    "occurrences",
    "last_seen_at",
    "updated_at",
)


@dataclass(frozen=True)
class IntegrationRef:
    """An authenticated integration, as a delivery needs it."""

    id: int
    service_id: int
    kind: str
    name: str
    last_delivery_at: datetime | None


@dataclass
class Outcome:
    """What a delivery did: the alert behind each dedup key it touched, and counts."""

    alerts: dict[str, Alert] = field(default_factory=dict)
    results: dict[str, str] = field(default_factory=dict)  # dedup key -> created|updated|acknowledged|resolved|ignored
    incident_ids: set[int] = field(default_factory=set)

    def count(self, result: str) -> int:
        return sum(1 for value in self.results.values() if value == result)


async def ingest(
    *,
    actor: Actor,
    service_id: int,
    source: AlertSource,
    delivery: Delivery,
    integration: IntegrationRef | None = None,
    reporter_id: int | None = None,
) -> Outcome:
    """Record a delivery: deduplicate, open, acknowledge or resolve alerts, and route new ones
    into an incident by the service's rules. Returns after commit."""
    require(actor, Action.INGEST)
    outcome = Outcome()
    integration_id = integration.id if integration else None
    async with unit_of_work() as outbox:
        conn = outbox.connection
        assert conn is not None
        rules_row = await locked_rules_row(outbox, service_id)
        service_rules = rules_of(rules_row)
        now = clock.now()
        signals = rules.collapse(delivery.signals)
        current = await open_by_keys(conn, integration_id, [s.dedup_key for s in signals]) if integration_id else {}
        plan = rules.plan(signals, current)
        fresh, stale = await _fresh(conn, integration_id, plan.new)
        for signal in [*plan.ignored, *stale]:
            outcome.results[signal.dedup_key] = "ignored"

        resolving = {alert.incident_id for alert, _ in plan.resolved if alert.incident_id}
        grouping = service_rules.grouping_window if fresh else None  # None: nothing to route
        locked, target = await _lock_incidents(outbox, rules_row, grouping, resolving, now)
        routing = rules.route([s.severity for s in fresh], service_rules, target)
        service_name = await _service_name(conn, service_id) if (routing.target or routing.declare) else ""
        incident = await _incident_for(
            outbox, actor, routing, locked, fresh, delivery, source, service_id, service_name
        )

        created = await _insert(conn, fresh, service_id, integration_id, reporter_id, source, incident, now)
        await _update(conn, plan, now)
        if incident is not None and created:
            await _attach(outbox, actor, incident, created, fresh, routing, service_rules, service_name, now)
            await remember_group(conn, rules_row, incident.id, now)
            outcome.incident_ids.add(incident.id)
        await all_resolved(outbox, actor, locked, resolving, now)
        _record_all(outcome, created, plan)
        feed.publish(outbox, [(alert, outcome.results[key]) for key, alert in outcome.alerts.items()])
        if integration is not None:
            await _mark_delivery(conn, integration, now)
    return outcome


async def _lock_incidents(
    outbox: Outbox, rules_row: AlertRules, grouping: timedelta | None, resolving: set[int], now: datetime
) -> tuple[dict[int, Incident], rules.GroupTarget | None]:
    """Lock, in id order, the incidents a delivery may change: the service's group incident
    while its grouping window is open, and those whose alerts it resolves. The group incident
    is the target of new alerts if it is still open."""
    last, last_at = rules_row.group_incident_id, rules_row.group_attached_at
    if grouping is None or last_at is None or last_at < now - grouping:
        last = None  # nothing to route, or the window has passed
    locked = await lock_incidents(outbox, [last] if last else [], resolving)
    if last is None or last_at is None or locked[last].status not in OPEN_STATUSES:
        return locked, None
    return locked, rules.GroupTarget(last, locked[last].reference, last_at)


def _record_all(outcome: Outcome, created: Sequence[Alert], plan: rules.Plan[Alert]) -> None:
    for alert in created:
        _record(outcome, alert, "created")
    for alert, _ in [*plan.repeated, *plan.changed]:
        _record(outcome, alert, "updated")
    for alert, _ in plan.acknowledged:
        _record(outcome, alert, "acknowledged")
    for alert, _ in plan.resolved:
        _record(outcome, alert, "resolved")


def _record(outcome: Outcome, alert: Alert, result: str) -> None:
    outcome.alerts[alert.dedup_key] = alert
    outcome.results[alert.dedup_key] = result


async def _fresh(
    conn: BaseDBAsyncClient, integration_id: int | None, signals: list[Signal]
) -> tuple[list[Signal], list[Signal]]:
    """Split new triggers into fresh ones and stale retries: a trigger whose firing episode
    (same key, same start) is already resolved is a late duplicate (an HA peer's, or a retry
    that crossed the resolve), not a new problem."""
    dated = [s for s in signals if s.started_at is not None]
    if integration_id is None or not dated:
        return signals, []
    ended = await resolved_episodes(conn, integration_id, [(s.dedup_key, s.started_at) for s in dated if s.started_at])
    stale = [s for s in dated if (s.dedup_key, s.started_at) in ended]
    if not stale:
        return signals, []
    return [s for s in signals if s not in stale], stale


async def _service_name(conn: BaseDBAsyncClient, service_id: int) -> str:
    names = await Service.filter(id=service_id).using_db(conn).values_list("name", flat=True)
    return str(names[0]) if names else "the service"


async def _incident_for(
    outbox: Outbox,
    actor: Actor,
    routing: Routing,
    locked: dict[int, Incident],
    fresh: Sequence[Signal],
    delivery: Delivery,
    source: AlertSource,
    service_id: int,
    service_name: str,
) -> Incident | None:
    if routing.target is not None:
        return locked[routing.target.incident_id]
    if routing.declare is None:
        return None
    first = min(fresh, key=lambda s: rules.rank(s.severity))
    title = rules.clean_line(delivery.title or first.summary or f"Alert on {service_name}", 200)
    count = len(fresh)
    summary = f"Declared from {count} {source.value} alert{'s' if count != 1 else ''} on {service_name}."
    if delivery.note:
        summary += "\n\n" + delivery.note
    return await store.create(
        outbox,
        actor_id=actor.user_id,
        title=title or "Alert",
        severity=routing.declare,
        summary=summary,
        service_ids=[service_id],
        declared_data={"fromAlerts": True, "source": source.value},
    )


async def _insert(
    conn: BaseDBAsyncClient,
    signals: Sequence[Signal],
    service_id: int,
    integration_id: int | None,
    reporter_id: int | None,
    source: AlertSource,
    incident: Incident | None,
    now: datetime,
) -> list[Alert]:
    alerts = [
        Alert(
            service_id=service_id,
            integration_id=integration_id,
            reporter_id=reporter_id,
            source=source,
            dedup_key=s.dedup_key,
            open_key=s.dedup_key,
            status=AlertStatus.FIRING,
            severity=s.severity,
            summary=s.summary,
            details=s.details,
            labels=s.labels,
            annotations=s.annotations,
            links=s.links,
            started_at=s.started_at,
            first_seen_at=now,
            last_seen_at=now,
            updated_at=now,
            occurrences=1,
            incident_id=incident.id if incident else None,
            attached_at=now if incident else None,
        )
        for s in signals
    ]
    if alerts:
        rows = await db.insert_returning(Alert, alerts, conn, ("id", "dedup_key"))
        ids = {row["dedup_key"]: row["id"] for row in rows}
        for alert in alerts:
            alert.id = ids[alert.dedup_key]
            alert._saved_in_db = True
    return alerts


async def _update(conn: BaseDBAsyncClient, plan: rules.Plan[Alert], now: datetime) -> None:
    """One statement per kind of change, for all the delivery's alerts of that kind."""
    repeated = [alert for alert, _ in plan.repeated]
    if repeated:
        await (
            Alert.filter(id__in=[a.id for a in repeated])
            .using_db(conn)
            .update(occurrences=F("occurrences") + 1, last_seen_at=now, updated_at=now)
        )
        for alert in repeated:
            alert.occurrences += 1
            alert.last_seen_at = alert.updated_at = now
    if plan.changed:
        changed = []
        for alert, signal in plan.changed:
            for name in ("summary", "severity", "labels", "annotations", "details", "links"):
                setattr(alert, name, getattr(signal, name))
            alert.occurrences += 1
            alert.last_seen_at = alert.updated_at = now
            changed.append(alert)
        await Alert.bulk_update(changed, fields=_CHANGED_FIELDS, using_db=conn)
    acknowledged = [alert for alert, _ in plan.acknowledged]
    if acknowledged:
        await (
            Alert.filter(id__in=[a.id for a in acknowledged])
            .using_db(conn)
            .update(status=AlertStatus.ACKNOWLEDGED, acknowledged_at=now, updated_at=now)
        )
        for alert in acknowledged:
            alert.status, alert.acknowledged_at, alert.updated_at = AlertStatus.ACKNOWLEDGED, now, now
    resolved = [alert for alert, _ in plan.resolved]
    if resolved:
        await (
            Alert.filter(id__in=[a.id for a in resolved])
            .using_db(conn)
            .update(status=AlertStatus.RESOLVED, resolved_at=now, open_key=None, updated_at=now)
        )
        for alert in resolved:
            alert.status, alert.resolved_at, alert.open_key, alert.updated_at = AlertStatus.RESOLVED, now, None, now


async def _attach(
    outbox: Outbox,
    actor: Actor,
    incident: Incident,
    alerts: Sequence[Alert],
    signals: Sequence[Signal],
    routing: Routing,
    service_rules: Rules,
    service_name: str,
    now: datetime,
) -> None:
    by_key = {s.dedup_key: s for s in signals}
    entries = []
    for alert in alerts:
        why = rules.attachment(by_key[alert.dedup_key], routing, service_rules, service_name, incident.reference, now)
        entries.append(alert_entry(alert, why.reason, f"{why.message} — {alert.summary[:200]}", why.data))
    await timeline.append_many(outbox, incident, entries, actor_id=actor.user_id)
    await store.save(outbox, incident, [])


async def _mark_delivery(conn: BaseDBAsyncClient, integration: IntegrationRef, now: datetime) -> None:
    last = integration.last_delivery_at
    if last is None or now - last >= _LAST_DELIVERY_RESOLUTION:
        await Integration.filter(id=integration.id).using_db(conn).update(last_delivery_at=now)
