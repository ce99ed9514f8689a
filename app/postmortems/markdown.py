"""The postmortem as one readable Markdown document. Pure: no I/O, no framework imports.

Section bodies are Markdown already and go in verbatim; one-line values that land in tables
have their pipes escaped."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from app.postmortems.enums import SectionKind
from app.postmortems.metrics import KeyTimes, humanize

_FACTOR_LABELS = {
    "PROCESS": "Process",
    "TECHNOLOGY": "Technology",
    "PEOPLE_AND_COMMUNICATION": "People and communication",
    "EXTERNAL": "External",
    "MONITORING_AND_ALERTING": "Monitoring and alerting",
    "TESTING": "Testing",
    "CHANGE_MANAGEMENT": "Change management",
    "DOCUMENTATION": "Documentation",
    "CAPACITY": "Capacity",
    "OTHER": "Other",
}


@dataclass(frozen=True)
class Reviewer:
    name: str
    approved_at: datetime | None
    counts: bool  # the approval is of the current content


@dataclass(frozen=True)
class TimelineLine:
    occurred_at: datetime
    text: str
    annotation: str = ""
    actor: str | None = None
    kind: str | None = None  # the incident event's kind; None for postmortem-only entries


@dataclass(frozen=True)
class ActionItemLine:
    title: str
    priority: str
    status: str
    kind: str
    owner: str | None = None
    due_date: date | None = None
    overdue: bool = False
    link_key: str | None = None
    link_url: str | None = None


@dataclass
class Document:
    title: str
    status: str
    reference: str
    incident_title: str
    severity: str
    incident_status: str
    key_times: KeyTimes
    sections: list[dict[str, str]]
    whys: list[dict[str, str]]
    factors: list[dict[str, str]]
    no_action_items_reason: str = ""
    services: list[str] = field(default_factory=list)
    authors: list[str] = field(default_factory=list)
    reviewers: list[Reviewer] = field(default_factory=list)
    timeline: list[TimelineLine] = field(default_factory=list)
    action_items: list[ActionItemLine] = field(default_factory=list)
    published_at: datetime | None = None
    published_by: str | None = None
    updated_at: datetime | None = None


def when(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def cell(value: str) -> str:
    """A value safe inside a table cell: one line, pipes escaped."""
    return " ".join(value.split()).replace("|", "\\|") or "—"


def render(doc: Document) -> str:
    out: list[str] = [f"# {doc.title}", ""]
    out += _facts(doc)
    out += _key_times(doc.key_times)
    for section in doc.sections:
        out += [f"## {section['title']}", ""]
        body = section.get("body", "").strip()
        if section.get("kind") == SectionKind.FIVE_WHYS.value:
            out += _whys(body, doc.whys)
        elif section.get("kind") == SectionKind.CONTRIBUTING_FACTORS.value:
            out += _factors(body, doc.factors)
        else:
            out += [body or "_Not written yet._", ""]
    out += _timeline(doc.timeline)
    out += _action_items(doc)
    return "\n".join(out).rstrip() + "\n"


def _facts(doc: Document) -> list[str]:
    status = doc.status
    if doc.published_at is not None:
        status += f" ({when(doc.published_at)}" + (f" by {doc.published_by})" if doc.published_by else ")")
    reviewers = [
        r.name + (f" (approved {when(r.approved_at)})" if r.approved_at and r.counts else "") for r in doc.reviewers
    ]
    rows = [
        ("Incident", f"{doc.reference}: {doc.incident_title}"),
        ("Severity", doc.severity),
        ("Incident status", doc.incident_status),
        ("Postmortem status", status),
        ("Services", ", ".join(doc.services)),
        ("Authors", ", ".join(doc.authors)),
        ("Reviewers", ", ".join(reviewers)),
    ]
    return ["| | |", "| --- | --- |", *(f"| {name} | {cell(value)} |" for name, value in rows), ""]


def _key_times(times: KeyTimes) -> list[str]:
    out = ["## Key times", "", "| Milestone | Time | Since detection |", "| --- | --- | --- |"]
    for label, value in (
        ("Detected", times.detected_at),
        ("Acknowledged", times.acknowledged_at),
        ("Identified", times.identified_at),
        ("Mitigated", times.mitigated_at),
        ("Resolved", times.resolved_at),
    ):
        since = "—" if value is None or label == "Detected" else humanize(value - times.detected_at)
        out.append(f"| {label} | {when(value) if value else 'not yet'} | {since} |")
    out.append("")
    metrics = [
        ("Duration", times.duration),
        ("Time to acknowledge", times.time_to_acknowledge),
        ("Time to mitigate", times.time_to_mitigate),
        ("Time to resolve", times.time_to_resolve),
    ]
    out += [f"- **{label}:** {humanize(value) if value is not None else 'not yet'}" for label, value in metrics]
    return [*out, ""]


def _whys(body: str, whys: list[dict[str, str]]) -> list[str]:
    out = [body, ""] if body else []
    if not whys:
        return [*out, "_No 5-whys chain yet._", ""] if not body else out
    for number, why in enumerate(whys, start=1):
        answer = why["answer"].strip() or "_Not answered yet._"
        out.append(f"{number}. **{_inline(why['question'])}**")
        out += [f"   {line}" if line else "" for line in answer.splitlines()]
    return [*out, ""]


def _factors(body: str, factors: list[dict[str, str]]) -> list[str]:
    out = [body, ""] if body else []
    if not factors:
        return [*out, "_No contributing factors recorded yet._", ""] if not body else out
    for factor in factors:
        label = _FACTOR_LABELS.get(factor["category"], factor["category"])
        lines = factor["description"].strip().splitlines() or [""]
        out.append(f"- **{label}:** {lines[0]}")
        out += [f"  {line}" if line else "" for line in lines[1:]]
    return [*out, ""]


def _timeline(lines: list[TimelineLine]) -> list[str]:
    out = ["## Timeline", ""]
    if not lines:
        return [*out, "_No timeline entries yet._", ""]
    for line in lines:
        text = line.text.strip().splitlines() or [""]
        who = f" _({line.actor})_" if line.actor else ""
        out.append(f"- **{when(line.occurred_at)}** {text[0]}{who}")
        out += [f"  {t}" if t else "" for t in text[1:]]
        for note in line.annotation.strip().splitlines():
            out.append(f"  > {note}" if note else "  >")
    return [*out, ""]


def _action_items(doc: Document) -> list[str]:
    out = ["## Action items", ""]
    if not doc.action_items:
        reason = doc.no_action_items_reason.strip()
        return [*out, f"No action items: {reason}" if reason else "_No action items yet._", ""]
    out += [
        "| Priority | Action | Kind | Owner | Due | Status | Tracking |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for item in doc.action_items:
        due = item.due_date.isoformat() if item.due_date else "—"
        if item.overdue:
            due += " (overdue)"
        tracking = f"[{cell(item.link_key)}](<{item.link_url}>)" if item.link_key and item.link_url else "—"
        cells = (item.priority, cell(item.title), item.kind, cell(item.owner or ""), due, item.status, tracking)
        out.append("| " + " | ".join(cells) + " |")
    return [*out, ""]


def _inline(text: str) -> str:
    return " ".join(text.split())
