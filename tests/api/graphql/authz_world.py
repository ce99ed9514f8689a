"""The data the authorization matrix runs against, and fresh objects for operations that use
theirs up (each built through the domain services, as an admin or a private incident's member).

Everything private carries the word `Nightjar` (`MARKER`): a response that contains it showed a
private incident, or something of it, to whoever asked.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import timedelta

from app import clock
from app.alerts import integrations
from app.alerts import service as alerts
from app.alerts.enums import AlertSeverity, IntegrationKind
from app.catalog import service as catalog
from app.identity import service as identity
from app.identity.models import Role
from app.identity.policy import Principal
from app.ids import to_global_id
from app.incidents import access
from app.incidents import service as incidents
from app.incidents.enums import IncidentStatus, Severity
from app.incidents.models import Incident, TimelineEvent
from app.postmortems import curation, review
from app.postmortems import service as postmortems
from app.postmortems.action_items import service as action_items
from app.postmortems.models import Postmortem, PostmortemTimelineEntry
from app.statuspage import maintenance
from app.statuspage import service as statuspage
from app.statuspage.enums import Audience, ComponentStatus, PublicStatus
from tests.api.graphql.authz_rules import Caller
from tests.conftest import Actor, make_actor

MARKER = "Nightjar"


def gid(type_name: str, pk: int) -> str:
    return to_global_id(type_name, pk)


@dataclass
class World:
    admin: Actor
    responder: Actor  # also the matrix's non-member of private incidents
    viewer: Actor
    reader: Actor  # an ADMIN user whose token has only the `read` scope
    member: Actor  # a responder who is a member of every private incident here
    ids: dict[str, str] = field(default_factory=dict)
    pks: dict[str, int] = field(default_factory=dict)

    def actor(self, caller: Caller) -> Actor | None:
        return {
            Caller.ANONYMOUS: None,
            Caller.READ_TOKEN: self.reader,
            Caller.VIEWER: self.viewer,
            Caller.RESPONDER: self.responder,
            Caller.ADMIN: self.admin,
        }[caller]

    def user_of(self, caller: Caller) -> Actor:
        """The user behind `caller` (the responder for anonymous callers)."""
        return self.actor(caller) or self.responder

    @property
    def boss(self) -> Principal:
        return self.admin.principal

    # -- fresh objects ------------------------------------------------------------------------

    async def incident(self, *, private: bool = False, status: IncidentStatus = IncidentStatus.TRIAGE) -> Incident:
        """A fresh incident; a private one is declared by the member (so they are one)."""
        actor = self.member.principal if private else self.boss
        title = f"{MARKER} {uuid.uuid4().hex[:6]}" if private else "Checkout errors"
        incident = await incidents.declare_incident(actor=actor, title=title, severity=Severity.SEV3, private=private)
        if status is not IncidentStatus.TRIAGE:
            incident = await incidents.update_status(actor=actor, incident_id=incident.id, status=status)
        return incident

    async def alert(self, *, attached_to: int | None = None) -> int:
        alert = await alerts.report_problem(
            actor=self.boss, service_id=self.pks["alerting"], summary="Queue depth", severity=AlertSeverity.INFO
        )
        if attached_to is not None:
            await alerts.attach(actor=self.boss, alert_id=alert.id, incident_id=attached_to)
        return alert.id

    async def postmortem(
        self, *, private: bool = False, reviewer: Actor | None = None, stage: str = "draft", author: Actor | None = None
    ) -> Postmortem:
        """The postmortem of a fresh resolved incident, written by `author` (the admin by
        default), at `stage`: draft, review (`reviewer`, by default the member, requested) or
        published."""
        incident = await self.incident(private=private, status=IncidentStatus.RESOLVED)
        writer = (author or self.admin).principal
        postmortem = await postmortems.create_postmortem(actor=writer, incident_id=incident.id)
        if stage == "draft":
            return postmortem
        approver = reviewer or self.member
        await postmortems.update_postmortem(
            actor=writer, postmortem_id=postmortem.id, no_action_items_reason="Nothing to do"
        )
        postmortem = await review.submit(actor=writer, postmortem_id=postmortem.id, reviewer_ids=[approver.user_id])
        if stage == "review":
            return postmortem
        await review.approve(actor=approver.principal, postmortem_id=postmortem.id)
        return await review.publish(actor=writer, postmortem_id=postmortem.id)

    async def action_item(self, *, private: bool = False) -> int:
        incident = await self.incident(private=private)
        actor = self.member.principal if private else self.boss
        item = await action_items.create_action_item(
            actor=actor, incident_id=incident.id, title=f"{MARKER} follow-up" if private else "Add alerting"
        )
        return item.id

    async def entry(self, *, private: bool = False) -> int:
        postmortem = await self.postmortem(private=private)
        actor = self.member.principal if private else self.boss
        await curation.add_entry(
            actor=actor, postmortem_id=postmortem.id, occurred_at=clock.now() - timedelta(minutes=1), body="Paged"
        )
        entry = await PostmortemTimelineEntry.filter(postmortem_id=postmortem.id).order_by("-id").first()
        assert entry is not None
        return entry.id

    async def token(self, user: Actor) -> str:
        issued = await identity.create_token(user_id=user.user_id, name=f"spare {uuid.uuid4().hex[:6]}")
        return gid("ApiToken", issued.token.id)

    async def component(self) -> str:
        component = await statuspage.create_component(actor=self.boss, name=f"API {uuid.uuid4().hex[:6]}")
        return gid("StatusComponent", component.id)

    async def group(self) -> str:
        group = await statuspage.create_group(actor=self.boss, name=f"Group {uuid.uuid4().hex[:6]}")
        return gid("ComponentGroup", group.id)

    async def maintenance(self) -> str:
        now = clock.now()
        row = await maintenance.schedule_maintenance(
            actor=self.boss,
            title="Database upgrade",
            message="Short read-only window",
            component_ids=[self.pks["component"]],
            scheduled_for=now + timedelta(days=1),
            scheduled_until=now + timedelta(days=1, hours=1),
        )
        return gid("Maintenance", row.id)

    async def integration(self) -> str:
        issued = await integrations.create_integration(
            actor=self.boss,
            service_id=self.pks["checkout"],
            kind=IntegrationKind.GENERIC,
            name=f"Generic {uuid.uuid4().hex[:6]}",
        )
        return gid("Integration", issued.integration.id)


async def build_world() -> World:
    world = World(
        admin=await make_actor(Role.ADMIN, "admin@example.com"),
        responder=await make_actor(Role.RESPONDER, "responder@example.com"),
        viewer=await make_actor(Role.VIEWER, "viewer@example.com"),
        reader=await _read_only(),
        member=await make_actor(Role.RESPONDER, "member@example.com"),
    )
    boss, member = world.boss, world.member.principal
    for name in ("checkout", "vault", "alerting", "quiet"):  # quiet: no incident ever takes its alerts
        service = await catalog.create_service(name=name)
        world.pks[name] = service.id
        world.ids[name] = gid("Service", service.id)
    component = await statuspage.create_component(actor=boss, name="Checkout API", service_id=world.pks["checkout"])
    world.pks["component"] = component.id
    world.ids["component"] = gid("StatusComponent", component.id)
    world.ids["group"] = await world.group()
    world.ids["maintenance"] = await world.maintenance()
    world.ids["integration"] = await world.integration()

    public = await incidents.declare_incident(
        actor=boss, title="Checkout errors", severity=Severity.SEV2, service_ids=[world.pks["checkout"]]
    )
    world.pks["incident"] = public.id
    world.ids["incident"] = gid("Incident", public.id)
    world.ids["reference"] = public.reference
    await statuspage.post_status_update(actor=boss, incident_id=public.id, message="Looking", audience=Audience.PUBLIC)
    world.ids["alert"] = gid("Alert", await world.alert(attached_to=public.id))
    postmortem = await world.postmortem()
    world.ids["postmortem"] = gid("Postmortem", postmortem.id)
    world.ids["action_item"] = gid("ActionItem", await world.action_item())

    # The private incident: declared by the member, alerts of `vault` attached, a postmortem and
    # an action item owned by the member.
    secret = await incidents.declare_incident(
        actor=member, title=f"{MARKER} breach", severity=Severity.SEV1, private=True, service_ids=[world.pks["vault"]]
    )
    world.pks["private"] = secret.id
    world.ids["private"] = gid("Incident", secret.id)
    world.ids["private_reference"] = secret.reference
    world.ids["private_event"] = gid("TimelineEvent", await _first_event(secret.id))
    vault_alert = await alerts.report_problem(
        actor=boss, service_id=world.pks["vault"], summary="Unusual logins", severity=AlertSeverity.INFO
    )
    await alerts.attach(actor=boss, alert_id=vault_alert.id, incident_id=secret.id)
    world.ids["private_alert"] = gid("Alert", vault_alert.id)
    secret_postmortem = await postmortems.create_postmortem(actor=boss, incident_id=secret.id)
    world.ids["private_postmortem"] = gid("Postmortem", secret_postmortem.id)
    item = await action_items.create_action_item(
        actor=member, incident_id=secret.id, title=f"{MARKER} rotate keys", owner_id=world.member.user_id
    )
    world.ids["private_action_item"] = gid("ActionItem", item.id)

    # Published on the status page, then made private: it must leave every public output.
    hushed = await incidents.declare_incident(actor=boss, title=f"{MARKER} relay", severity=Severity.SEV2)
    await statuspage.post_status_update(
        actor=boss,
        incident_id=hushed.id,
        message=f"{MARKER} relay degraded",
        audience=Audience.PUBLIC,
        public_status=PublicStatus.IDENTIFIED,
        public_title=f"{MARKER} relay",
        component_impacts=[(component.id, ComponentStatus.DEGRADED_PERFORMANCE)],
    )
    await incidents.update_incident(actor=member, incident_id=hushed.id, private=True)
    world.ids["hushed"] = gid("Incident", hushed.id)
    return world


async def _first_event(incident_id: int) -> int:
    event = await TimelineEvent.filter(incident_id=incident_id).order_by("sequence").first()
    assert event is not None
    return event.id


async def _read_only() -> Actor:
    user = await identity.create_user(email="reader@example.com", name="Reader", role=Role.ADMIN)
    issued = await identity.create_token(user_id=user.id, name="read only", scopes=["read"])
    principal = Principal(user_id=user.id, role=Role.ADMIN, token_id=issued.token.id, scopes=frozenset({"read"}))
    return Actor(principal, issued.secret, user.id, gid("User", user.id))


async def add_member(world: World, incident_id: int, user: Actor) -> None:
    await access.add_member(actor=world.boss, incident_id=incident_id, user_id=user.user_id)
