"""`node(id:)`: fetch any object by its global id, with the same visibility as its own query."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from app import clock
from app.alerts import queries as alert_queries
from app.api.graphql.alerts.types import Alert, Integration
from app.api.graphql.catalog import Service
from app.api.graphql.context import Context
from app.api.graphql.identity import ApiToken, User
from app.api.graphql.incidents.types import Incident, TimelineEvent
from app.api.graphql.postmortems.action_items import ActionItem
from app.api.graphql.postmortems.types import Postmortem, PostmortemTemplate
from app.api.graphql.relay import Node
from app.api.graphql.statuspage.types import ComponentGroup, Maintenance, StatusComponent, StatusUpdate
from app.identity.models import ApiToken as ApiTokenModel
from app.identity.policy import Action, may_manage_tokens_of, require
from app.ids import parse_node_id
from app.incidents.models import TimelineEvent as TimelineEventModel
from app.postmortems.models import ActionItem as ActionItemModel
from app.statuspage.cache import public_cache
from app.statuspage.models import Maintenance as MaintenanceModel
from app.statuspage.models import StatusUpdate as StatusUpdateModel
from app.statuspage.queries import maintenance_views


async def resolve_node(info: Info[Context, None], global_id: str) -> Node | None:
    principal = require(info.context.principal, Action.READ)
    parsed = parse_node_id(global_id)
    if parsed is None:
        return None
    type_name, pk = parsed
    loaders = info.context.loaders
    if type_name == "Incident":
        incident = await loaders.incident.load(pk)
        return Incident.from_model(incident) if incident else None
    if type_name == "User":
        user = await loaders.user.load(pk)
        return User.from_model(user) if user else None
    if type_name == "Service":
        service = await loaders.service.load(pk)
        return Service.from_model(service) if service else None
    if type_name == "TimelineEvent":
        event = await TimelineEventModel.get_or_none(id=pk)
        if event is None or await loaders.incident.load(event.incident_id) is None:
            return None
        return TimelineEvent.from_model(event)
    if type_name == "Alert":
        alert = (await alert_queries.get_visible(principal, [pk])).get(pk)
        return Alert.from_model(alert) if alert else None
    if type_name == "Integration":
        integration = await loaders.integration.load(pk)
        return Integration.from_model(integration) if integration else None
    if type_name in ("StatusComponent", "ComponentGroup", "Maintenance", "StatusUpdate"):
        return await _statuspage_node(info, type_name, pk)
    if type_name == "Postmortem":
        postmortem = await loaders.postmortems.postmortem.load(pk)
        return Postmortem.from_model(postmortem) if postmortem else None
    if type_name == "PostmortemTemplate":
        template = await loaders.postmortems.template.load(pk)
        return PostmortemTemplate.from_model(template) if template else None
    if type_name == "ActionItem":
        item = await ActionItemModel.get_or_none(id=pk)
        if item is None or await loaders.incident.load(item.incident_id) is None:
            return None
        return ActionItem.from_model(item)
    if type_name == "ApiToken":
        token = await ApiTokenModel.get_or_none(id=pk)
        if token is None or not may_manage_tokens_of(principal, token.user_id):
            return None
        return ApiToken.from_model(token)
    return None


async def _statuspage_node(info: Info[Context, None], type_name: str, pk: int) -> Node | None:
    if type_name == "StatusUpdate":
        update = await StatusUpdateModel.get_or_none(id=pk)
        if update is None or await info.context.loaders.incident.load(update.incident_id) is None:
            return None
        return StatusUpdate.from_model(update)
    if type_name == "Maintenance":
        row = await MaintenanceModel.get_or_none(id=pk)
        return Maintenance.from_view((await maintenance_views([row], clock.now()))[0]) if row else None
    snapshot = await public_cache.snapshot()
    if type_name == "StatusComponent":
        view = snapshot.components_by_id.get(pk)
        return StatusComponent.from_view(view) if view else None
    group = next((g for g in snapshot.groups if g.id == pk), None)
    return ComponentGroup.from_view(group, snapshot) if group else None


@strawberry.type
class NodeQuery:
    @strawberry.field(description="Any object by its global id.")
    async def node(self, info: Info[Context, None], id: strawberry.ID) -> Node | None:
        return await resolve_node(info, id)
