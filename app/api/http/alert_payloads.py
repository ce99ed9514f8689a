"""The senders' payloads (validated with pydantic) and how each becomes a delivery of signals.

Alertmanager (webhook `version "4"`), Grafana alerting (its webhook, `version "1"`), the
PagerDuty Events API v2, and Firebreak's own generic JSON. Unknown fields are accepted and
ignored; a malformed body raises `PayloadInvalid` naming the fields."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError, field_validator

from app.alerts.enums import AlertSeverity, SignalAction
from app.alerts.rules import DEDUP_KEY_MAX, SUMMARY_MAX, clean_line, label_fingerprint, safe_links, severity_from_word
from app.alerts.signals import Delivery, Signal


class PayloadInvalid(Exception):
    """The body cannot be used; `errors` are (field, message) pairs."""

    def __init__(self, errors: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(f"{field}: {message}" for field, message in errors))
        self.errors = errors


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


# --- Alertmanager and Grafana ------------------------------------------------------------


class AlertmanagerAlert(_Model):
    status: Literal["firing", "resolved"]
    labels: dict[str, str]
    annotations: dict[str, str] = {}
    startsAt: AwareDatetime | None = None
    endsAt: AwareDatetime | None = None
    generatorURL: str = ""
    fingerprint: str | None = Field(default=None, max_length=DEDUP_KEY_MAX)


class AlertmanagerPayload(_Model):
    version: Literal["4"] = "4"
    receiver: str = ""
    status: Literal["firing", "resolved"] | None = None
    alerts: list[AlertmanagerAlert]
    groupLabels: dict[str, str] = {}
    commonLabels: dict[str, str] = {}
    commonAnnotations: dict[str, str] = {}
    externalURL: str = ""
    groupKey: str = ""
    truncatedAlerts: int = Field(default=0, ge=0)


class GrafanaAlert(AlertmanagerAlert):
    values: dict[str, float | None] | None = None
    valueString: str = ""
    dashboardURL: str = ""
    panelURL: str = ""
    silenceURL: str = ""
    imageURL: str = ""


class GrafanaPayload(AlertmanagerPayload):
    version: Literal["1"] = "1"  # type: ignore[assignment]
    alerts: list[GrafanaAlert]  # type: ignore[assignment]
    orgId: int | None = None
    state: str | None = None
    title: str = ""
    message: str = ""


def _summary(alert: AlertmanagerAlert) -> str:
    annotations = alert.annotations
    text = annotations.get("summary") or annotations.get("description") or annotations.get("message")
    if not text:
        labels = alert.labels
        name = labels.get("alertname") or labels.get("__alert_rule_title__") or "Alert"
        where = [f"{k}={labels[k]}" for k in ("instance", "job", "service") if labels.get(k)]
        text = f"{name} ({', '.join(where)})" if where else name
    return clean_line(text, SUMMARY_MAX)


def _group_title(payload: AlertmanagerPayload, firing: int) -> str | None:
    """A title for an incident declared from a whole group (None: use the alert's summary)."""
    if firing <= 1:
        return None
    if payload.commonAnnotations.get("summary"):
        return clean_line(payload.commonAnnotations["summary"], 200)
    labels = payload.groupLabels or payload.commonLabels
    name = labels.get("alertname")
    others = ", ".join(f"{k}={v}" for k, v in sorted(labels.items()) if k != "alertname")
    if not name and not others:
        return None
    return clean_line(f"{name or 'Alerts'}{f' ({others})' if others else ''}: {firing} alerts firing", 200)


def _note(payload: AlertmanagerPayload, sender: str) -> str:
    lines = []
    if payload.truncatedAlerts:
        lines.append(
            f"{sender} left {payload.truncatedAlerts} more alerts of this group out of the notification (max_alerts)."
        )
    if payload.groupKey:
        lines.append(f"Group: {clean_line(payload.groupKey, 500)}")
    return "\n".join(lines)


def _links(pairs: Iterable[tuple[str | None, str]]) -> list[dict[str, str]]:
    return safe_links([{"href": href, "text": text} for href, text in pairs if href])


def _signal(alert: AlertmanagerAlert, details: dict[str, Any], links: list[dict[str, str]]) -> Signal:
    started = alert.startsAt if alert.startsAt is not None and alert.startsAt.year > 1 else None
    return Signal(
        SignalAction.RESOLVE if alert.status == "resolved" else SignalAction.TRIGGER,
        alert.fingerprint or label_fingerprint(alert.labels),
        severity=severity_from_word(alert.labels.get("severity") or alert.labels.get("priority")),
        summary=_summary(alert),
        details=details,
        labels=dict(alert.labels),
        annotations=dict(alert.annotations),
        links=links,
        started_at=started,
    )


def _alertmanager_delivery(payload: AlertmanagerPayload) -> Delivery:
    signals = []
    for alert in payload.alerts:
        details = {"receiver": payload.receiver, "startsAt": alert.startsAt.isoformat() if alert.startsAt else None}
        links = _links(
            [
                (alert.generatorURL, "Source"),
                (alert.annotations.get("runbook_url"), "Runbook"),
                (payload.externalURL, "Alertmanager"),
            ]
        )
        signals.append(_signal(alert, details, links))
    firing = sum(1 for a in payload.alerts if a.status == "firing")
    return Delivery(signals, title=_group_title(payload, firing), note=_note(payload, "Alertmanager"))


def _grafana_delivery(payload: GrafanaPayload) -> Delivery:
    signals = []
    for alert in payload.alerts:
        details: dict[str, Any] = {
            "receiver": payload.receiver,
            "startsAt": alert.startsAt.isoformat() if alert.startsAt else None,
        }
        if payload.orgId is not None:
            details["orgId"] = payload.orgId
        if alert.values:
            details["values"] = alert.values
        if alert.valueString:
            details["valueString"] = alert.valueString[:4000]
        links = _links(
            [
                (alert.generatorURL, "Alert rule"),
                (alert.dashboardURL, "Dashboard"),
                (alert.panelURL, "Panel"),
                (alert.imageURL, "Image"),
                (alert.annotations.get("runbook_url"), "Runbook"),
                (alert.silenceURL, "Silence"),
            ]
        )
        signals.append(_signal(alert, details, links))
    firing = sum(1 for a in payload.alerts if a.status == "firing")
    return Delivery(signals, title=_group_title(payload, firing), note=_note(payload, "Grafana"))


# --- PagerDuty Events API v2 -------------------------------------------------------------


def _lower(value: object) -> object:
    return value.lower() if isinstance(value, str) else value


class EventsPayload(_Model):
    summary: str = Field(min_length=1, max_length=SUMMARY_MAX)
    source: str = Field(min_length=1, max_length=1024)
    severity: Literal["critical", "error", "warning", "info"]
    timestamp: AwareDatetime | None = None
    component: str | None = None
    group: str | None = None
    class_: str | None = Field(default=None, alias="class")
    custom_details: Any = None

    @field_validator("severity", mode="before")
    @classmethod
    def lowercase(cls, value: object) -> object:
        return _lower(value)


class EventsLink(_Model):
    href: str
    text: str = ""


class EventsImage(_Model):
    src: str
    href: str | None = None
    alt: str | None = None


class EventsEvent(_Model):
    routing_key: str = Field(min_length=1, max_length=128)
    event_action: Literal["trigger", "acknowledge", "resolve"]
    dedup_key: str | None = Field(default=None, min_length=1, max_length=DEDUP_KEY_MAX)
    payload: EventsPayload | None = None
    links: list[EventsLink] = []
    images: list[EventsImage] = []
    client: str | None = None
    client_url: str | None = None


def events_signal(event: EventsEvent) -> Signal:
    """The signal of an Events API v2 event; a trigger without a dedup key gets one."""
    action = SignalAction(event.event_action)
    if action is not SignalAction.TRIGGER:
        if event.dedup_key is None:
            raise PayloadInvalid([("dedup_key", f"is required for {event.event_action} events")])
        return Signal(action, event.dedup_key)
    body = event.payload
    if body is None:
        raise PayloadInvalid([("payload", "is required for trigger events")])
    labels = {
        name: value
        for name, value in (
            ("source", body.source),
            ("component", body.component),
            ("group", body.group),
            ("class", body.class_),
        )
        if value
    }
    details: dict[str, Any] = (
        body.custom_details
        if isinstance(body.custom_details, dict)
        else ({"custom_details": body.custom_details} if body.custom_details is not None else {})
    )
    extra = {
        "timestamp": body.timestamp.isoformat() if body.timestamp else None,
        "client": event.client,
        "images": [i.model_dump() for i in event.images],
    }
    details = {**details, **{k: v for k, v in extra.items() if v}}
    links = _links(
        [
            *((link.href, link.text) for link in event.links),
            (event.client_url, event.client or "Client"),
            *((image.href, image.alt or "Image") for image in event.images),
        ]
    )
    return Signal(
        action,
        event.dedup_key or uuid.uuid4().hex,
        severity=AlertSeverity(body.severity.upper()),
        summary=clean_line(body.summary, SUMMARY_MAX),
        details=details,
        labels=labels,
        links=links,
    )


# --- Generic JSON ------------------------------------------------------------------------


class GenericLink(_Model):
    href: str = Field(pattern=r"(?i)^https?://", max_length=2048)
    text: str = Field(default="", max_length=200)


class GenericEvent(_Model):
    title: str | None = Field(default=None, min_length=1, max_length=SUMMARY_MAX)
    severity: Literal["critical", "error", "warning", "info"] = "error"
    dedupKey: str | None = Field(default=None, min_length=1, max_length=DEDUP_KEY_MAX)
    status: Literal["firing", "acknowledged", "resolved"] = "firing"
    details: dict[str, Any] | str | None = None
    links: list[GenericLink] = []
    labels: dict[str, str] = {}

    @field_validator("severity", "status", mode="before")
    @classmethod
    def lowercase(cls, value: object) -> object:
        return _lower(value)


_GENERIC_ACTIONS = {
    "firing": SignalAction.TRIGGER,
    "acknowledged": SignalAction.ACKNOWLEDGE,
    "resolved": SignalAction.RESOLVE,
}


def generic_signal(event: GenericEvent) -> Signal:
    action = _GENERIC_ACTIONS[event.status]
    if action is not SignalAction.TRIGGER:
        if event.dedupKey is None:
            raise PayloadInvalid([("dedupKey", f"is required when status is {event.status}")])
        return Signal(action, event.dedupKey)
    if event.title is None or not event.title.strip():
        raise PayloadInvalid([("title", "is required when status is firing")])
    details = event.details if isinstance(event.details, dict) else ({"text": event.details} if event.details else {})
    return Signal(
        action,
        event.dedupKey or uuid.uuid4().hex,
        severity=AlertSeverity(event.severity.upper()),
        summary=clean_line(event.title, SUMMARY_MAX),
        details=details,
        labels=dict(event.labels),
        links=safe_links([link.model_dump() for link in event.links]),
    )


# --- parsing -----------------------------------------------------------------------------


def _field(loc: tuple[int | str, ...]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "body"


def _validated(model: type[_Model], raw: bytes) -> Any:
    try:
        return model.model_validate_json(raw)
    except ValidationError as error:
        problems = []
        for item in error.errors(include_url=False, include_context=False, include_input=False)[:20]:
            if item["type"] == "json_invalid":
                problems.append(("body", "is not valid JSON"))
            elif item["type"] == "model_type":
                problems.append((_field(item["loc"]), "must be a JSON object"))
            else:
                problems.append((_field(item["loc"]), str(item["msg"])))
        raise PayloadInvalid(problems) from None


def alertmanager(raw: bytes) -> Delivery:
    return _alertmanager_delivery(_validated(AlertmanagerPayload, raw))


def grafana(raw: bytes) -> Delivery:
    return _grafana_delivery(_validated(GrafanaPayload, raw))


def generic(raw: bytes) -> Delivery:
    signal = generic_signal(_validated(GenericEvent, raw))
    return Delivery([signal], title=signal.summary[:200] or None)


def events_v2(raw: bytes) -> EventsEvent:
    return _validated(EventsEvent, raw)  # type: ignore[no-any-return]
