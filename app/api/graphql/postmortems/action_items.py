"""GraphQL types of action items, and their query and mutations."""

from __future__ import annotations

import asyncio
from datetime import date

import strawberry
from strawberry.types import Info

from app.api.graphql.context import Context
from app.api.graphql.errors import UserError, payload
from app.api.graphql.identity import User
from app.api.graphql.incidents.types import Incident, load_user
from app.api.graphql.lookahead import path
from app.api.graphql.postmortems.types import Postmortem, visible_incident
from app.api.graphql.relay import Node, PageInfo, page_info, pk_of
from app.api.graphql.scalars import DateTime
from app.identity.policy import Action, Principal, require
from app.ids import to_global_id
from app.postmortems.action_items import queries as action_item_queries
from app.postmortems.action_items import service
from app.postmortems.action_items.queries import ActionItemFilter as DomainFilter
from app.postmortems.enums import ActionItemKind as KindEnum
from app.postmortems.enums import ActionItemPriority as PriorityEnum
from app.postmortems.enums import ActionItemStatus as StatusEnum
from app.postmortems.enums import LinkProvider
from app.postmortems.models import ActionItem as ActionItemModel
from app.unset import UNSET

ActionItemPriority = strawberry.enum(PriorityEnum, name="ActionItemPriority", description="P1 is the most urgent.")
ActionItemStatus = strawberry.enum(StatusEnum, name="ActionItemStatus")
ActionItemKind = strawberry.enum(KindEnum, name="ActionItemKind", description="What the item improves.")
ExternalLinkProvider = strawberry.enum(LinkProvider, name="ExternalLinkProvider")


@strawberry.type(description="The ticket tracking an action item in another tool.")
class ExternalLink:
    provider: ExternalLinkProvider
    key: str
    url: str


@strawberry.type
class ActionItem(Node):
    title: str
    description: str = strawberry.field(description="Markdown.")
    due_date: date | None
    priority: ActionItemPriority
    status: ActionItemStatus
    kind: ActionItemKind
    external_link: ExternalLink | None
    version: int = strawberry.field(description="Changes with every change; pass it as expectedVersion.")
    overdue: bool = strawberry.field(description="Open or in progress, and due before today (UTC).")
    created_at: DateTime
    updated_at: DateTime
    completed_at: DateTime | None = strawberry.field(description="When it was closed (DONE or WONT_DO).")
    model: strawberry.Private[ActionItemModel]

    @strawberry.field
    async def incident(self, info: Info[Context, None]) -> Incident:
        return Incident.from_model(await visible_incident(info, self.model.incident_id))

    @strawberry.field
    async def postmortem(self, info: Info[Context, None]) -> Postmortem | None:
        if self.model.postmortem_id is None:
            return None
        row = await info.context.loaders.postmortems.postmortem.load(self.model.postmortem_id)
        return Postmortem.from_model(row) if row else None

    @strawberry.field
    async def owner(self, info: Info[Context, None]) -> User | None:
        return None if self.model.owner_id is None else await load_user(info, self.model.owner_id)

    @strawberry.field
    async def created_by(self, info: Info[Context, None]) -> User | None:
        return None if self.model.created_by_id is None else await load_user(info, self.model.created_by_id)

    @classmethod
    def from_model(cls, item: ActionItemModel) -> ActionItem:
        link = None
        if item.link_provider is not None and item.link_key and item.link_url:
            link = ExternalLink(provider=item.link_provider, key=item.link_key, url=item.link_url)
        return cls(
            id=strawberry.ID(to_global_id("ActionItem", item.id)),
            title=item.title,
            description=item.description,
            due_date=item.due_date,
            priority=item.priority,
            status=item.status,
            kind=item.kind,
            external_link=link,
            version=item.version,
            overdue=action_item_queries.is_overdue(item),
            created_at=item.created_at,
            updated_at=item.updated_at,
            completed_at=item.completed_at,
            model=item,
        )


@strawberry.type
class ActionItemEdge:
    cursor: str
    node: ActionItem


@strawberry.type
class ActionItemConnection:
    edges: list[ActionItemEdge]
    page_info: PageInfo
    principal: strawberry.Private[Principal]
    domain_filter: strawberry.Private[DomainFilter | None]
    counting: strawberry.Private[asyncio.Future[int] | None] = None

    @strawberry.field(description="How many action items match the filter, over all pages.")
    async def total_count(self) -> int:
        if self.counting is not None:
            return await self.counting
        return await action_item_queries.count_action_items(self.principal, self.domain_filter)

    @strawberry.field(description="The action items of this page, without cursors.")
    def nodes(self) -> list[ActionItem]:
        return [edge.node for edge in self.edges]


@strawberry.input
class ActionItemFilter:
    owner: strawberry.ID | None = strawberry.field(default=None, description="The owner's user id.")
    status: list[ActionItemStatus] | None = strawberry.field(default=None, description="Any of these statuses.")
    overdue: bool | None = strawberry.field(
        default=None, description="Only overdue (true) or only not overdue (false)."
    )
    incident_id: strawberry.ID | None = None
    postmortem_id: strawberry.ID | None = None
    due_before: date | None = strawberry.field(default=None, description="Due strictly before this date.")

    def to_domain(self) -> DomainFilter:
        return DomainFilter(
            owner_id=pk_of(self.owner, "User", field="filter.owner") if self.owner else None,
            statuses=tuple(self.status or ()),
            overdue=self.overdue,
            incident_id=pk_of(self.incident_id, "Incident", field="filter.incidentId") if self.incident_id else None,
            postmortem_id=pk_of(self.postmortem_id, "Postmortem", field="filter.postmortemId")
            if self.postmortem_id
            else None,
            due_before=self.due_before,
        )


@strawberry.type
class ActionItemPayload:
    action_item: ActionItem | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input(description="Name the incident, or the postmortem (whose incident it then is), or both.")
class CreateActionItemInput:
    incident_id: strawberry.ID | None = None
    postmortem_id: strawberry.ID | None = None
    title: str
    description: str = ""
    owner_id: strawberry.ID | None = None
    due_date: date | None = None
    priority: ActionItemPriority = PriorityEnum.P3
    kind: ActionItemKind = KindEnum.PREVENT


@strawberry.input(description="Omitted fields stay; null clears ownerId, dueDate and postmortemId.")
class UpdateActionItemInput:
    action_item_id: strawberry.ID
    expected_version: int | None = None
    title: str | None = strawberry.UNSET
    description: str | None = strawberry.UNSET
    owner_id: strawberry.ID | None = strawberry.UNSET
    due_date: date | None = strawberry.UNSET
    priority: ActionItemPriority | None = strawberry.UNSET
    kind: ActionItemKind | None = strawberry.UNSET
    status: ActionItemStatus | None = strawberry.UNSET
    postmortem_id: strawberry.ID | None = strawberry.UNSET


@strawberry.input
class CompleteActionItemInput:
    action_item_id: strawberry.ID
    expected_version: int | None = None


@strawberry.input
class LinkActionItemInput:
    action_item_id: strawberry.ID
    provider: ExternalLinkProvider
    key: str = strawberry.field(description="JIRA and LINEAR: ABC-123; GITHUB: owner/repo#123; OTHER: any one line.")
    url: str = strawberry.field(description="An http(s) URL.")
    expected_version: int | None = None


@strawberry.input
class UnlinkActionItemInput:
    action_item_id: strawberry.ID
    expected_version: int | None = None


def _item_pk(global_id: strawberry.ID) -> int:
    return pk_of(global_id, "ActionItem", field="actionItemId")


def _optional_pk(value: object, type_name: str, field: str) -> object:
    if value is strawberry.UNSET:
        return UNSET
    return None if value is None else pk_of(value, type_name, field=field)  # type: ignore[arg-type]


def _given(value: object) -> object:
    return UNSET if value is strawberry.UNSET else value


@strawberry.type
class ActionItemQuery:
    @strawberry.field(description="Action items of incidents the viewer may see, earliest due first (undated last).")
    async def action_items(
        self,
        info: Info[Context, None],
        first: int | None = None,
        after: str | None = None,
        filter: ActionItemFilter | None = None,
    ) -> ActionItemConnection:
        principal = require(info.context.principal, Action.READ)
        domain_filter = filter.to_domain() if filter else None
        counting = None
        if path(info.selected_fields, "totalCount"):
            counting = asyncio.ensure_future(action_item_queries.count_action_items(principal, domain_filter))
        try:
            page = await action_item_queries.list_action_items(principal, first=first, after=after, flt=domain_filter)
        except BaseException:
            if counting is not None:
                counting.cancel()
            raise
        edges = [
            ActionItemEdge(cursor=c, node=ActionItem.from_model(i))
            for c, i in zip(page.cursors, page.items, strict=True)
        ]
        return ActionItemConnection(
            edges=edges, page_info=page_info(page), principal=principal, domain_filter=domain_filter, counting=counting
        )


@strawberry.type
class ActionItemMutation:
    @strawberry.mutation(description="Track a follow-up of an incident (and of its postmortem).")
    @payload(ActionItemPayload)
    async def create_action_item(self, info: Info[Context, None], input: CreateActionItemInput) -> ActionItemPayload:
        item = await service.create_action_item(
            actor=info.context.principal,  # type: ignore[arg-type]
            incident_id=pk_of(input.incident_id, "Incident", field="incidentId") if input.incident_id else None,
            postmortem_id=pk_of(input.postmortem_id, "Postmortem", field="postmortemId")
            if input.postmortem_id
            else None,
            title=input.title,
            description=input.description,
            owner_id=pk_of(input.owner_id, "User", field="ownerId") if input.owner_id else None,
            due_date=input.due_date,
            priority=input.priority,
            kind=input.kind,
        )
        return ActionItemPayload(action_item=ActionItem.from_model(item))

    @strawberry.mutation(description="Change an action item; omitted fields stay.")
    @payload(ActionItemPayload)
    async def update_action_item(self, info: Info[Context, None], input: UpdateActionItemInput) -> ActionItemPayload:
        item = await service.update_action_item(
            actor=info.context.principal,  # type: ignore[arg-type]
            action_item_id=_item_pk(input.action_item_id),
            expected_version=input.expected_version,
            title=_given(input.title),  # type: ignore[arg-type]
            description=_given(input.description),  # type: ignore[arg-type]
            owner_id=_optional_pk(input.owner_id, "User", "ownerId"),  # type: ignore[arg-type]
            due_date=_given(input.due_date),  # type: ignore[arg-type]
            priority=_given(input.priority),  # type: ignore[arg-type]
            kind=_given(input.kind),  # type: ignore[arg-type]
            status=_given(input.status),  # type: ignore[arg-type]
            postmortem_id=_optional_pk(input.postmortem_id, "Postmortem", "postmortemId"),  # type: ignore[arg-type]
        )
        return ActionItemPayload(action_item=ActionItem.from_model(item))

    @strawberry.mutation(description="Mark an action item DONE.")
    @payload(ActionItemPayload)
    async def complete_action_item(
        self, info: Info[Context, None], input: CompleteActionItemInput
    ) -> ActionItemPayload:
        item = await service.complete_action_item(
            actor=info.context.principal,  # type: ignore[arg-type]
            action_item_id=_item_pk(input.action_item_id),
            expected_version=input.expected_version,
        )
        return ActionItemPayload(action_item=ActionItem.from_model(item))

    @strawberry.mutation(description="Link an action item to its ticket (replacing any link).")
    @payload(ActionItemPayload)
    async def link_action_item(self, info: Info[Context, None], input: LinkActionItemInput) -> ActionItemPayload:
        item = await service.link_action_item(
            actor=info.context.principal,  # type: ignore[arg-type]
            action_item_id=_item_pk(input.action_item_id),
            provider=input.provider,
            key=input.key,
            url=input.url,
            expected_version=input.expected_version,
        )
        return ActionItemPayload(action_item=ActionItem.from_model(item))

    @strawberry.mutation(description="Remove an action item's link.")
    @payload(ActionItemPayload)
    async def unlink_action_item(self, info: Info[Context, None], input: UnlinkActionItemInput) -> ActionItemPayload:
        item = await service.unlink_action_item(
            actor=info.context.principal,  # type: ignore[arg-type]
            action_item_id=_item_pk(input.action_item_id),
            expected_version=input.expected_version,
        )
        return ActionItemPayload(action_item=ActionItem.from_model(item))
