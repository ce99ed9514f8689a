"""A demo workspace: people, services and incidents at every stage, seeded into an empty database."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from app import clock
from app.catalog import service as catalog
from app.identity import service as identity
from app.identity.models import Role, User
from app.identity.policy import Principal
from app.incidents import service as incidents
from app.incidents.enums import IncidentRole, IncidentStatus, Severity
from app.postmortems import service as postmortems
from app.postmortems.action_items import service as action_items
from app.postmortems.content import Factor, Why
from app.postmortems.enums import ActionItemKind, ActionItemPriority, FactorCategory, LinkProvider
from app.postmortems.models import Postmortem
from app.postmortems.service import SectionEdit

ADMIN_EMAIL = "admin@firebreak.example"


async def seed_if_empty() -> bool:
    """Seed the demo workspace unless users exist; True when it seeded."""
    if await User.all().exists():
        return False
    admin = await identity.create_user(email=ADMIN_EMAIL, name="Ada Admin", role=Role.ADMIN)
    rita = await identity.create_user(email="rita@firebreak.example", name="Rita Responder", role=Role.RESPONDER)
    sam = await identity.create_user(email="sam@firebreak.example", name="Sam Sre", role=Role.RESPONDER)
    await identity.create_user(email="vic@firebreak.example", name="Vic Viewer", role=Role.VIEWER)
    services = {
        name: await catalog.create_service(name=name, description=description, owner_team=team)
        for name, description, team in (
            ("checkout", "Cart and order placement", "commerce"),
            ("payments", "Card authorisation and refunds", "payments"),
            ("search", "Product search and suggestions", "discovery"),
            ("auth", "Sign-in and sessions", "identity"),
        )
    }
    actor = Principal(user_id=admin.id, role=Role.ADMIN)
    old = await incidents.declare_incident(
        actor=actor,
        title="Search results empty for some queries",
        severity=Severity.SEV3,
        summary="Index rebuild skipped a shard.",
        service_ids=[services["search"].id],
    )
    for status in (
        IncidentStatus.INVESTIGATING,
        IncidentStatus.IDENTIFIED,
        IncidentStatus.MONITORING,
        IncidentStatus.RESOLVED,
        IncidentStatus.POSTMORTEM,
    ):
        await incidents.update_status(
            actor=actor, incident_id=old.id, status=status, message=f"Now {status.value.lower()}"
        )
    await _draft_postmortem(actor, old.id, owner_id=sam.id)
    live = await incidents.declare_incident(
        actor=actor,
        title="Checkout errors after payments deploy",
        severity=Severity.SEV2,
        summary="5xx on order placement since 14:02 UTC; card authorisations time out.",
        service_ids=[services["checkout"].id, services["payments"].id],
    )
    await incidents.assign_role(actor=actor, incident_id=live.id, role=IncidentRole.INCIDENT_COMMANDER, user_id=rita.id)
    await incidents.assign_role(actor=actor, incident_id=live.id, role=IncidentRole.TECH_LEAD, user_id=sam.id)
    await incidents.update_status(actor=actor, incident_id=live.id, status=IncidentStatus.INVESTIGATING)
    await incidents.add_note(
        actor=actor,
        incident_id=live.id,
        body="Error rate started right after payments v2.31 rolled out.",
        occurred_at=clock.now() - timedelta(minutes=5),
    )
    await incidents.declare_incident(
        actor=actor,
        title="Elevated sign-in latency",
        severity=Severity.SEV4,
        service_ids=[services["auth"].id],
    )
    await _status_page(actor, services, live.id)
    return True


async def _draft_postmortem(actor: Principal, incident_id: int, *, owner_id: int) -> None:
    """The postmortem that entering POSTMORTEM started, partly written, with two action items."""
    postmortem = await Postmortem.get(incident_id=incident_id)
    await postmortems.update_postmortem(
        actor=actor,
        postmortem_id=postmortem.id,
        sections=[
            SectionEdit("summary", "Search returned no results for about 8% of queries for 40 minutes."),
            SectionEdit("detection", "A customer report; the zero-results rate has no alert yet."),
        ],
        whys=[
            Why("Why were results empty?", "One shard of the index was missing after the nightly rebuild."),
            Why(
                "Why was the shard missing?",
                "The rebuild skipped a shard whose snapshot had timed out, and reported success.",
            ),
        ],
        contributing_factors=[Factor(FactorCategory.MONITORING_AND_ALERTING, "No alert on the zero-results rate")],
    )
    detect = await action_items.create_action_item(
        actor=actor,
        incident_id=incident_id,
        postmortem_id=postmortem.id,
        title="Alert on the zero-results rate",
        kind=ActionItemKind.DETECT,
        priority=ActionItemPriority.P2,
        owner_id=owner_id,
        due_date=clock.now().date() + timedelta(days=14),
    )
    await action_items.link_action_item(
        actor=actor,
        action_item_id=detect.id,
        provider=LinkProvider.JIRA,
        key="SRCH-101",
        url="https://jira.example.com/browse/SRCH-101",
    )
    await action_items.create_action_item(
        actor=actor,
        incident_id=incident_id,
        postmortem_id=postmortem.id,
        title="Fail the rebuild when a shard is missing",
        kind=ActionItemKind.PREVENT,
        priority=ActionItemPriority.P1,
        owner_id=owner_id,
        due_date=clock.now().date() + timedelta(days=7),
    )


async def _status_page(actor: Principal, services: dict[str, Any], live_incident_id: int) -> None:
    """Components for every service, and a public update on the live incident."""
    from app.statuspage import service as statuspage
    from app.statuspage.enums import Audience, ComponentStatus, PublicStatus

    components = {
        name: await statuspage.create_component(actor=actor, name=name.title(), service_id=svc.id, position=n)
        for n, (name, svc) in enumerate(services.items())
    }
    await statuspage.post_status_update(
        actor=actor,
        incident_id=live_incident_id,
        message="Some customers cannot complete checkout. We are investigating.",
        audience=Audience.PUBLIC,
        public_status=PublicStatus.INVESTIGATING,
        public_title="Checkout errors",
        component_impacts=[(components["checkout"].id, ComponentStatus.PARTIAL_OUTAGE)],
    )
    await statuspage.post_status_update(
        actor=actor,
        incident_id=live_incident_id,
        message="Suspect payments v2.31; rollback prepared.",
        audience=Audience.INTERNAL,
    )


async def demo_token() -> str:
    """A fresh admin token for this demo run."""
    admin = await User.filter(email=ADMIN_EMAIL, active=True).first()
    admin = admin or await User.filter(role=Role.ADMIN, active=True).order_by("id").first()
    if admin is None:
        raise identity.NotFound("No active admin user to issue a demo token for")
    issued = await identity.create_token(user_id=admin.id, name="demo", expires_at=clock.now() + timedelta(days=30))
    return issued.secret
