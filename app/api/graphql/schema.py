"""The schema, assembled from each domain's query, mutation and subscription roots."""

from __future__ import annotations

import logging
from typing import Any

import strawberry
from graphql import GraphQLError, GraphQLObjectType
from strawberry.extensions import ParserCache, ValidationCache
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext

from app.api.graphql.alerts.mutations import AlertMutation
from app.api.graphql.alerts.queries import AlertQuery
from app.api.graphql.alerts.subscriptions import AlertSubscription
from app.api.graphql.alerts.types import Alert, Integration
from app.api.graphql.audit import AuditQuery
from app.api.graphql.catalog import CatalogMutation, CatalogQuery, Service
from app.api.graphql.identity import ApiToken, IdentityMutation, IdentityQuery, User
from app.api.graphql.incidents.mutations import IncidentMutation
from app.api.graphql.incidents.queries import IncidentQuery
from app.api.graphql.incidents.subscriptions import IncidentSubscription
from app.api.graphql.incidents.types import Incident, TimelineEvent
from app.api.graphql.node import NodeQuery
from app.api.graphql.postmortems.action_items import ActionItem, ActionItemMutation, ActionItemQuery
from app.api.graphql.postmortems.mutations import PostmortemMutation
from app.api.graphql.postmortems.queries import PostmortemQuery
from app.api.graphql.postmortems.subscriptions import PostmortemSubscription
from app.api.graphql.postmortems.types import Postmortem, PostmortemTemplate
from app.api.graphql.scalars import SCALAR_MAP
from app.api.graphql.statuspage.mutations import StatusPageMutation
from app.api.graphql.statuspage.queries import StatusPageQuery
from app.api.graphql.statuspage.subscriptions import StatusPageSubscription
from app.api.graphql.statuspage.types import ComponentGroup, Maintenance, StatusComponent, StatusUpdate
from app.errors import DomainError

log = logging.getLogger("app.graphql")

Query = merge_types(
    "Query",
    (
        IdentityQuery,
        NodeQuery,
        IncidentQuery,
        CatalogQuery,
        AlertQuery,
        StatusPageQuery,
        AuditQuery,
        PostmortemQuery,
        ActionItemQuery,
    ),
)
Mutation = merge_types(
    "Mutation",
    (
        IncidentMutation,
        CatalogMutation,
        IdentityMutation,
        AlertMutation,
        StatusPageMutation,
        PostmortemMutation,
        ActionItemMutation,
    ),
)
Subscription = merge_types(
    "Subscription", (IncidentSubscription, AlertSubscription, StatusPageSubscription, PostmortemSubscription)
)


class FirebreakSchema(strawberry.Schema):
    def process_errors(self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None) -> None:
        for error in errors:
            original = error.original_error
            if original is None or isinstance(original, DomainError):
                continue
            request_id = _request_id(execution_context)
            log.error(
                "unexpected error in %s (request %s)",
                ".".join(str(p) for p in error.path or ()),
                request_id,
                exc_info=original,
            )


def _request_id(execution_context: ExecutionContext | None) -> str:
    context: Any = getattr(execution_context, "context", None)
    return getattr(context, "request_id", "-")


def build_schema(*, introspection: bool = True) -> strawberry.Schema:
    extensions: list[Any] = [lambda: ParserCache(maxsize=512), lambda: ValidationCache(maxsize=512)]
    if not introspection:
        from strawberry.extensions import DisableIntrospection

        extensions.append(DisableIntrospection)
    schema = FirebreakSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=[
            Incident,
            TimelineEvent,
            User,
            Service,
            ApiToken,
            Alert,
            Integration,
            StatusComponent,
            ComponentGroup,
            Maintenance,
            StatusUpdate,
            Postmortem,
            PostmortemTemplate,
            ActionItem,
        ],
        extensions=extensions,
        config=StrawberryConfig(disable_field_suggestions=not introspection, scalar_map=SCALAR_MAP),
    )
    _fast_paths(schema)
    return schema


def _fast_paths(schema: strawberry.Schema) -> None:
    """Cheaper resolution for the two per-field costs that dominate large pages.

    Strawberry resolves a plain attribute through three calls and checks every object value
    against each interface it implements. Our fields without resolvers are plain attributes and
    our resolvers return instances of the concrete type, so one `getattr` and one `isinstance`
    give the same answers (tests cover both through the contract operations).
    """
    for graphql_type in schema._schema.type_map.values():
        if not isinstance(graphql_type, GraphQLObjectType) or graphql_type.name.startswith("__"):
            continue
        definition = graphql_type.extensions.get("strawberry-definition")
        origin = getattr(definition, "origin", None)
        if graphql_type.is_type_of is not None and origin is not None:
            graphql_type.is_type_of = _instance_of(origin)
        root = graphql_type.name in ("Query", "Mutation", "Subscription")
        for field in graphql_type.fields.values():
            strawberry_field = field.extensions.get("strawberry-definition")
            if strawberry_field is None:
                continue
            if getattr(field.resolve, "_is_default", False):
                field.resolve = _attribute(strawberry_field.python_name)
            elif not root and not field.args and _plain_method(strawberry_field):
                field.resolve = _method(strawberry_field.base_resolver)


def _plain_method(strawberry_field: Any) -> bool:
    """A resolver on an object type taking only `self` and maybe `info` (which it uses only for
    `info.context`): the GraphQL resolve info serves as well as Strawberry's Info."""
    resolver = strawberry_field.base_resolver
    if resolver is None or resolver.self_parameter is None or strawberry_field.extensions:
        return False
    return {p.name for p in resolver.signature.parameters.values()} <= {"self", "info"}


def _method(resolver: Any) -> Any:
    function = resolver._unbound_wrapped_func
    if resolver.info_parameter is not None:

        def resolve_with_info(source: Any, info: Any) -> Any:
            return function(source, info)

        return resolve_with_info

    def resolve(source: Any, _info: Any) -> Any:
        return function(source)

    return resolve


def _instance_of(cls: type) -> Any:
    def is_type_of(obj: Any, _info: Any) -> bool:
        return isinstance(obj, cls)

    return is_type_of


def _attribute(name: str) -> Any:
    def resolve(source: Any, _info: Any) -> Any:
        return getattr(source, name)

    resolve._is_default = True  # type: ignore[attr-defined]
    return resolve


def export_sdl() -> str:
    return build_schema().as_str() + "\n"
