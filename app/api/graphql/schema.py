"""The schema, assembled from each domain's query, mutation and subscription roots."""

from __future__ import annotations

import logging
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import ParserCache, ValidationCache
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext

from app.api.graphql.catalog import CatalogMutation, CatalogQuery
from app.api.graphql.identity import ApiToken, IdentityMutation, IdentityQuery, User
from app.api.graphql.incidents.mutations import IncidentMutation
from app.api.graphql.incidents.queries import IncidentQuery
from app.api.graphql.incidents.types import Incident, TimelineEvent
from app.api.graphql.node import NodeQuery
from app.api.graphql.scalars import SCALAR_MAP
from app.api.graphql.catalog import Service
from app.errors import DomainError

log = logging.getLogger("app.graphql")

Query = merge_types("Query", (IdentityQuery, NodeQuery, IncidentQuery, CatalogQuery))
Mutation = merge_types("Mutation", (IncidentMutation, CatalogMutation, IdentityMutation))


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
    return FirebreakSchema(
        query=Query,
        mutation=Mutation,
        types=[Incident, TimelineEvent, User, Service, ApiToken],
        extensions=extensions,
        config=StrawberryConfig(disable_field_suggestions=not introspection, scalar_map=SCALAR_MAP),
    )


def export_sdl() -> str:
    return build_schema().as_str() + "\n"
