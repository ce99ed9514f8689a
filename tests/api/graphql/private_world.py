"""Random worlds for the private-incident property test: a few users of random roles and a few
incidents, each public or private, with role holders, members, an alert, a postmortem, an action
item and PUBLIC status updates (posted while public, before the incident was made private)."""

from __future__ import annotations

from dataclasses import dataclass, field

from hypothesis import strategies as st

from app.alerts import service as alerts
from app.alerts.enums import AlertSeverity
from app.catalog import service as catalog
from app.identity.models import Role
from app.ids import to_global_id
from app.incidents import access
from app.incidents import service as incidents
from app.incidents.enums import IncidentRole, Severity
from app.incidents.models import TimelineEvent
from app.postmortems import service as postmortems
from app.postmortems.action_items import service as action_items
from app.statuspage import service as statuspage
from app.statuspage.enums import Audience, PublicStatus
from tests.conftest import Actor, make_actor

SEARCH = "zqx"  # in every incident title


@dataclass(frozen=True)
class IncidentPlan:
    private: bool
    published: bool  # a PUBLIC status update while it was public
    members: frozenset[int]
    role_holders: frozenset[int]
    alert: bool
    postmortem: bool
    action_item: bool


@dataclass(frozen=True)
class WorldPlan:
    roles: tuple[Role, ...]
    incidents: tuple[IncidentPlan, ...]


user_index = st.integers(min_value=0, max_value=2)
incident_plans = st.builds(
    IncidentPlan,
    private=st.booleans(),
    published=st.booleans(),
    members=st.frozensets(user_index, max_size=2),
    role_holders=st.frozensets(user_index, max_size=2),
    alert=st.booleans(),
    postmortem=st.booleans(),
    action_item=st.booleans(),
)
worlds = st.builds(
    WorldPlan,
    roles=st.lists(st.sampled_from(list(Role)), min_size=2, max_size=3).map(tuple),
    incidents=st.lists(incident_plans, min_size=1, max_size=3).map(tuple),
)


@dataclass
class Built:
    """One incident as created, with the global ids of everything hanging off it."""

    number: int
    private: bool
    published: bool
    pk: int
    id: str
    reference: str
    seers: set[int]  # user ids (besides admins) who may see it
    event_id: str
    alert_id: str | None = None
    postmortem_id: str | None = None
    action_item_id: str | None = None
    markers: list[str] = field(default_factory=list)  # text that exists only on this incident

    def visible_to(self, actor: Actor) -> bool:
        return not self.private or actor.principal.role is Role.ADMIN or actor.user_id in self.seers


@dataclass
class World:
    owner: Actor
    users: list[Actor]
    incidents: list[Built]

    @property
    def everyone(self) -> list[Actor]:
        return [self.owner, *self.users]


async def build(plan: WorldPlan) -> World:
    owner = await make_actor(Role.ADMIN)
    users = [await make_actor(role) for role in plan.roles]
    built = [await _incident(owner, users, n, p) for n, p in enumerate(plan.incidents)]
    return World(owner, users, built)


async def _incident(owner: Actor, users: list[Actor], n: int, plan: IncidentPlan) -> Built:
    actor = owner.principal
    title = f"INTT{n}Q {SEARCH}"
    declared = await incidents.declare_incident(
        actor=actor,
        title=title,
        summary=f"SUMM{n}Q",
        severity=Severity.SEV3,
        private=plan.private and not plan.published,
    )
    pk = declared.id
    markers = [f"INTT{n}Q", f"SUMM{n}Q"]
    if plan.published:
        await statuspage.post_status_update(
            actor=actor,
            incident_id=pk,
            message=f"PUBM{n}Q",
            audience=Audience.PUBLIC,
            public_status=PublicStatus.INVESTIGATING,
            public_title=f"PUBT{n}Q",
        )
        markers += [f"PUBM{n}Q", f"PUBT{n}Q"]
        if plan.private:
            await incidents.update_incident(actor=actor, incident_id=pk, private=True)
    seers: set[int] = set()
    holders = [
        users[i] for i in sorted(plan.role_holders) if i < len(users) and users[i].principal.role is not Role.VIEWER
    ]
    for role, holder in zip(IncidentRole, holders, strict=False):
        await incidents.assign_role(actor=actor, incident_id=pk, role=role, user_id=holder.user_id)
        seers.add(holder.user_id)
    for i in sorted(plan.members):
        if i < len(users) and users[i].user_id not in seers:
            await access.add_member(actor=actor, incident_id=pk, user_id=users[i].user_id)
            seers.add(users[i].user_id)
    event = await TimelineEvent.get(incident_id=pk, sequence=1)
    result = Built(
        n,
        plan.private,
        plan.published,
        pk,
        to_global_id("Incident", pk),
        declared.reference,
        seers,
        to_global_id("TimelineEvent", event.id),
        markers=markers,
    )
    if plan.alert:
        service = await catalog.create_service(name=f"service-{n}")  # one each: no grouping between incidents
        alert = await alerts.report_problem(
            actor=actor, service_id=service.id, summary=f"ALRT{n}Q", severity=AlertSeverity.INFO
        )
        await alerts.attach(actor=actor, alert_id=alert.id, incident_id=pk)
        result.alert_id = to_global_id("Alert", alert.id)
        result.markers.append(f"ALRT{n}Q")
    postmortem_pk = None
    if plan.postmortem:
        postmortem_pk = (await postmortems.create_postmortem(actor=actor, incident_id=pk)).id
        result.postmortem_id = to_global_id("Postmortem", postmortem_pk)
    if plan.action_item:
        item = await action_items.create_action_item(
            actor=actor, incident_id=pk, title=f"ACTN{n}Q", owner_id=owner.user_id, postmortem_id=postmortem_pk
        )
        result.action_item_id = to_global_id("ActionItem", item.id)
        result.markers.append(f"ACTN{n}Q")
    return result
