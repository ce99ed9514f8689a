"""How postmortems plug into the incident lifecycle (through `app.incidents.hooks`):

- entering POSTMORTEM starts the incident's postmortem if it has none;
- an incident of a severity that requires one cannot be CLOSED until its postmortem is
  PUBLISHED (FIREBREAK_POSTMORTEM_REQUIRED_SEVERITIES, SEV1 and SEV2 by default).
"""

from __future__ import annotations

from collections.abc import Iterable

from app.config import Settings
from app.errors import PolicyRefused
from app.incidents import hooks
from app.incidents.enums import IncidentStatus, Severity
from app.postmortems import language
from app.postmortems.enums import PostmortemStatus
from app.postmortems.models import Postmortem
from app.postmortems.service import default_template, open_postmortem

DEFAULT_REQUIRED_SEVERITIES: frozenset[Severity] = frozenset({Severity.SEV1, Severity.SEV2})

_required: frozenset[Severity] = DEFAULT_REQUIRED_SEVERITIES


class PostmortemRequired(PolicyRefused):
    """The incident's severity requires a published postmortem before it is closed."""


def require_published_postmortem_for(severities: Iterable[Severity]) -> None:
    """Which severities need a published postmortem before CLOSED (none: the policy is off)."""
    global _required
    _required = frozenset(severities)


def required_severities() -> frozenset[Severity]:
    return _required


async def closing_needs_published_postmortem(change: hooks.StatusChange) -> None:
    """Guard: refuse CLOSED while a required postmortem is not published."""
    incident = change.incident
    if change.target is not IncidentStatus.CLOSED or Severity(incident.severity) not in _required:
        return
    status = (
        await Postmortem.filter(incident_id=incident.id)
        .using_db(change.outbox.connection)
        .values_list("status", flat=True)
    )
    if status and status[0] == PostmortemStatus.PUBLISHED:
        return
    state = f"its postmortem is {PostmortemStatus(status[0]).value}" if status else "it has no postmortem"
    raise PostmortemRequired(
        f"{incident.reference} is {Severity(incident.severity).value}: "
        f"publish its postmortem before closing it ({state})",
        field="status",
    )


async def start_postmortem_on_entry(change: hooks.StatusChange) -> None:
    """After-hook: entering POSTMORTEM starts the postmortem (from the default template)."""
    if change.target is not IncidentStatus.POSTMORTEM:
        return
    conn = change.outbox.connection
    if await Postmortem.filter(incident_id=change.incident.id).using_db(conn).exists():
        return
    template = await default_template(change.outbox)
    await open_postmortem(change.outbox, change.incident, actor_id=change.actor.user_id, template=template)


def install(settings: Settings) -> None:
    """Register with the incident lifecycle and apply the settings (idempotent)."""
    require_published_postmortem_for(Severity(s) for s in settings.postmortem_required_severities)
    language.configure(settings.blameless_patterns)
    hooks.register_guard(closing_needs_published_postmortem)
    hooks.register_after_transition(start_postmortem_on_entry)
