"""Bodies shaped like the senders' own, as their documentation shows them: the Alertmanager
webhook (version 4), the Grafana alerting webhook (version 1), PagerDuty Events API v2, and
Firebreak's generic JSON."""

from __future__ import annotations

from typing import Any

FIRING_ENDS = "0001-01-01T00:00:00Z"  # what Alertmanager and Grafana send for a firing alert


def am_alert(
    name: str = "HighErrorRate",
    *,
    status: str = "firing",
    severity: str | None = "critical",
    instance: str = "api-1:9100",
    fingerprint: str | None = None,
    starts: str = "2024-05-01T10:00:00.123456789Z",
    ends: str = FIRING_ENDS,
    summary: str | None = "5xx ratio above 5% on api-1",
    extra_labels: dict[str, str] | None = None,
) -> dict[str, Any]:
    labels = {
        "alertname": name,
        "instance": instance,
        "job": "api",
        **({"severity": severity} if severity else {}),
        **(extra_labels or {}),
    }
    alert: dict[str, Any] = {
        "status": status,
        "labels": labels,
        "annotations": {
            **({"summary": summary} if summary else {}),
            "description": "The error ratio has been above 5% for 5 minutes.",
            "runbook_url": "https://runbooks.example.com/high-error-rate",
        },
        "startsAt": starts,
        "endsAt": ends,
        "generatorURL": "http://prometheus.example.com:9090/graph?g0.expr=job%3Aerrors%3Aratio5m+%3E+0.05&g0.tab=1",
    }
    if fingerprint is not None:
        alert["fingerprint"] = fingerprint
    return alert


def alertmanager(
    alerts: list[dict[str, Any]], *, truncated: int = 0, group_labels: dict[str, str] | None = None
) -> dict[str, Any]:
    firing = any(a["status"] == "firing" for a in alerts)
    common = dict(alerts[0]["labels"]) if alerts else {}
    for alert in alerts[1:]:
        common = {k: v for k, v in common.items() if alert["labels"].get(k) == v}
    return {
        "version": "4",
        "groupKey": '{}/{severity="critical"}:{alertname="HighErrorRate"}',
        "truncatedAlerts": truncated,
        "status": "firing" if firing else "resolved",
        "receiver": "firebreak",
        "groupLabels": group_labels
        if group_labels is not None
        else {"alertname": alerts[0]["labels"]["alertname"] if alerts else ""},
        "commonLabels": common,
        "commonAnnotations": {},
        "externalURL": "http://alertmanager.example.com:9093",
        "alerts": alerts,
    }


def grafana_alert(
    name: str = "High memory usage",
    *,
    status: str = "firing",
    zone: str = "us-1",
    fingerprint: str = "c6eadffa33fcdf37",
    severity: str | None = None,
    summary: str = "This alert was triggered for zone us-1",
) -> dict[str, Any]:
    return {
        "status": status,
        "labels": {"alertname": name, "team": "blue", "zone": zone, **({"severity": severity} if severity else {})},
        "annotations": {
            "description": "The system has high memory usage",
            "runbook_url": "https://myrunbook.com/runbook/1234",
            "summary": summary,
        },
        "startsAt": "2021-10-12T09:51:03.157076+02:00",
        "endsAt": FIRING_ENDS if status == "firing" else "2021-10-12T09:56:03.157076+02:00",
        "generatorURL": "https://play.grafana.org/alerting/1afz29v7z/edit",
        "fingerprint": fingerprint,
        "silenceURL": "https://play.grafana.org/alerting/silence/new?alertmanager=grafana&matchers=alertname%3DT2%2Cteam%3Dblue%2Czone%3Dus-1",
        "dashboardURL": "",
        "panelURL": "",
        "values": {"B": 44.23943737541908, "C": 1},
    }


def grafana(alerts: list[dict[str, Any]]) -> dict[str, Any]:
    firing = sum(1 for a in alerts if a["status"] == "firing")
    return {
        "receiver": "My Super Webhook",
        "status": "firing" if firing else "resolved",
        "orgId": 1,
        "alerts": alerts,
        "groupLabels": {},
        "commonLabels": {"team": "blue"},
        "commonAnnotations": {},
        "externalURL": "https://play.grafana.org/",
        "version": "1",
        "groupKey": "{}:{}",
        "truncatedAlerts": 0,
        "title": f"[FIRING:{firing}]  (blue)",
        "state": "alerting" if firing else "ok",
        "message": "**Firing**\n\nLabels:\n - alertname = High memory usage\n - team = blue\n",
    }


def events_v2(
    routing_key: str,
    *,
    action: str = "trigger",
    dedup_key: str | None = "srv01/HTTP",
    summary: str = "Example alert on host1.example.com",
    severity: str = "critical",
) -> dict[str, Any]:
    event: dict[str, Any] = {"routing_key": routing_key, "event_action": action}
    if dedup_key is not None:
        event["dedup_key"] = dedup_key
    if action == "trigger":
        event.update(
            {
                "payload": {
                    "summary": summary,
                    "timestamp": "2015-07-17T08:42:58.315+0000",
                    "source": "monitoringtool:cloudvendor:central-region-dc-01:852559987:cluster/api-stats-prod-003",
                    "severity": severity,
                    "component": "postgres",
                    "group": "prod-datapipe",
                    "class": "deploy",
                    "custom_details": {"ping time": "1500ms", "load avg": 0.75},
                },
                "images": [
                    {
                        "src": "https://www.pagerduty.com/wp-content/uploads/2016/05/pagerduty-logo-green.png",
                        "href": "https://example.com/",
                        "alt": "Example text",
                    }
                ],
                "links": [{"href": "https://example.com/", "text": "Link text"}],
                "client": "Sample Monitoring Service",
                "client_url": "https://monitoring.service.com",
            }
        )
    return event


def generic(**fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": "Disk almost full on db-1",
        "severity": "warning",
        "dedupKey": "db-1/disk",
        "details": {"used": "93%", "mount": "/var/lib/postgresql"},
        "links": [{"href": "https://grafana.example.com/d/disk", "text": "Dashboard"}],
    }
    body.update(fields)
    return {k: v for k, v in body.items() if v is not None}
