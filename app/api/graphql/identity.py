"""GraphQL for users and API tokens."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry.types import Info

from app import pagination
from app.api.graphql.context import Context
from app.api.graphql.errors import UserError, payload
from app.api.graphql.relay import Node, PageInfo, page_info, pk_of
from app.api.graphql.scalars import DateTime
from app.identity import service as identity
from app.identity.models import ApiToken as ApiTokenModel
from app.identity.models import Role
from app.identity.models import User as UserModel
from app.identity.policy import Action, grantable_scopes, require, require_token_expiry, require_token_manager
from app.ids import to_global_id

if TYPE_CHECKING:
    from app.api.graphql.postmortems.action_items import ActionItem, ActionItemStatus

UserRole = strawberry.enum(Role, name="UserRole", description="What a user may do.")
_ACTION_ITEMS = "app.api.graphql.postmortems.action_items"


@strawberry.enum(description="What a token may do, within what its user's role allows.")
class TokenScope(Enum):
    READ = "read"
    WRITE = "write"
    ADMIN = "admin"


@strawberry.type
class User(Node):
    email: str
    name: str
    role: UserRole
    active: bool
    created_at: DateTime
    pk: strawberry.Private[int]

    @strawberry.field(description="Action items this user owns, of incidents the viewer may see, earliest due first.")
    async def action_items(
        self,
        info: Info[Context, None],
        status: list[Annotated[ActionItemStatus, strawberry.lazy(_ACTION_ITEMS)]] | None = None,
    ) -> list[Annotated[ActionItem, strawberry.lazy(_ACTION_ITEMS)]]:
        from app.api.graphql.postmortems.action_items import ActionItem

        key = (self.pk, tuple(sorted(status or (), key=lambda s: s.value)))
        return [ActionItem.from_model(i) for i in await info.context.loaders.postmortems.owner_action_items.load(key)]

    @classmethod
    def from_model(cls, user: UserModel) -> User:
        return cls(
            id=strawberry.ID(to_global_id("User", user.id)),
            pk=user.id,
            email=user.email,
            name=user.name,
            role=user.role,
            active=user.active,
            created_at=user.created_at,
        )


@strawberry.type
class ApiToken(Node):
    name: str
    prefix: str = strawberry.field(description="The first characters of the secret, to recognise it.")
    created_at: DateTime
    expires_at: DateTime | None
    revoked_at: DateTime | None
    last_used_at: DateTime | None
    scopes: list[TokenScope]
    user_pk: strawberry.Private[int]

    @strawberry.field
    async def user(self, info: Info[Context, None]) -> User | None:
        row = await info.context.loaders.user.load(self.user_pk)
        return User.from_model(row) if row else None

    @classmethod
    def from_model(cls, token: ApiTokenModel) -> ApiToken:
        return cls(
            id=strawberry.ID(to_global_id("ApiToken", token.id)),
            name=token.name,
            prefix=token.prefix,
            created_at=token.created_at,
            expires_at=token.expires_at,
            revoked_at=token.revoked_at,
            last_used_at=token.last_used_at,
            scopes=[TokenScope(scope) for scope in token.scopes.split(",")],
            user_pk=token.user_id,
        )


@strawberry.type
class UserEdge:
    cursor: str
    node: User


@strawberry.type
class UserConnection:
    edges: list[UserEdge]
    page_info: PageInfo
    total_count: int


@strawberry.input
class CreateUserInput:
    email: str
    name: str
    role: UserRole


@strawberry.type
class UserPayload:
    user: User | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class CreateApiTokenInput:
    user_id: strawberry.ID
    name: str
    expires_at: DateTime | None = strawberry.field(
        default=None,
        description="Never after the token asking expires (by default, when it does; never, for a lasting one).",
    )
    scopes: list[TokenScope] | None = strawberry.field(
        default=None, description="Defaults to the scopes of the token asking."
    )


@strawberry.type
class ApiTokenPayload:
    token: str | None = strawberry.field(default=None, description="The secret. Shown only here, once.")
    api_token: ApiToken | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class RevokeApiTokenInput:
    api_token_id: strawberry.ID


@strawberry.type
class IdentityQuery:
    @strawberry.field(description="The user behind the request's token.")
    async def viewer(self, info: Info[Context, None]) -> User | None:
        principal = info.context.principal
        if principal is None:
            return None
        row = await info.context.loaders.user.load(principal.user_id)
        return User.from_model(row) if row else None

    @strawberry.field(description="Users, in creation order.")
    async def users(
        self, info: Info[Context, None], first: int | None = None, after: str | None = None
    ) -> UserConnection:
        require(info.context.principal, Action.READ)
        page = await pagination.by_id(UserModel.all(), kind="user", first=first, after=after)
        return UserConnection(
            edges=[UserEdge(cursor=c, node=User.from_model(u)) for c, u in zip(page.cursors, page.items, strict=True)],
            page_info=page_info(page),
            total_count=await UserModel.all().count(),
        )


@strawberry.type
class IdentityMutation:
    @strawberry.mutation(description="Admin: create a user.")
    @payload(UserPayload)
    async def create_user(self, info: Info[Context, None], input: CreateUserInput) -> UserPayload:
        require(info.context.principal, Action.ADMIN)
        user = await identity.create_user(email=input.email, name=input.name, role=input.role)
        return UserPayload(user=User.from_model(user))

    @strawberry.mutation(
        description="Create an API token (admins: for anyone; others: for themselves), never with wider scopes than the token asking."
    )
    @payload(ApiTokenPayload)
    async def create_api_token(self, info: Info[Context, None], input: CreateApiTokenInput) -> ApiTokenPayload:
        user_id = pk_of(input.user_id, "User", field="userId")
        principal = require_token_manager(info.context.principal, user_id, field="userId")
        scopes = grantable_scopes(
            principal, [scope.value for scope in input.scopes] if input.scopes is not None else None
        )
        expires_at = require_token_expiry(principal, input.expires_at)
        issued = await identity.create_token(user_id=user_id, name=input.name, expires_at=expires_at, scopes=scopes)
        return ApiTokenPayload(token=issued.secret, api_token=ApiToken.from_model(issued.token))

    @strawberry.mutation(description="Revoke an API token at once (admins: any; others: their own).")
    @payload(ApiTokenPayload)
    async def revoke_api_token(self, info: Info[Context, None], input: RevokeApiTokenInput) -> ApiTokenPayload:
        token_id = pk_of(input.api_token_id, "ApiToken", field="apiTokenId")
        owner = await ApiTokenModel.filter(id=token_id).values_list("user_id", flat=True)
        require_token_manager(info.context.principal, owner[0] if owner else None, field="apiTokenId")
        token = await identity.revoke_token(token_id=token_id)
        return ApiTokenPayload(api_token=ApiToken.from_model(token))


__all__ = ["ApiToken", "IdentityMutation", "IdentityQuery", "User", "UserRole", "datetime"]
