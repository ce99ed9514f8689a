"""Limits on what one GraphQL document may ask for: depth, aliases and a cost budget that
counts list sizes. Checked once per document (the check is cached with its validation)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationRule,
    get_named_type,
)
from graphql.validation import ValidationContext
from strawberry.extensions.max_aliases import create_validator as max_aliases
from strawberry.extensions.query_depth_limiter import create_validator as max_depth

from app.pagination import MAX_PAGE

PLAIN_LIST_SIZE = 10  # what a list without pagination arguments is assumed to hold
DEFAULT_PAGE = 50


@dataclass(frozen=True)
class QueryLimits:
    depth: int = 10
    aliases: int = 30
    tokens: int = 5000
    cost: int = 25_000

    def rules(self) -> list[type[ValidationRule]]:
        return [max_depth(self.depth, None), max_aliases(self.aliases), cost_rule(self.cost)]


def cost_rule(budget: int) -> type[ValidationRule]:
    class CostLimit(ValidationRule):
        """Every field costs 1 for each time it can appear: a field under a list of n costs n."""

        def enter_operation_definition(self, node: OperationDefinitionNode, *_: Any) -> None:
            context: ValidationContext = self.context
            root = context.schema.get_root_type(node.operation)
            if root is None:
                return
            fragments = {d.name.value: d for d in context.document.definitions if isinstance(d, FragmentDefinitionNode)}
            cost = _cost(node.selection_set, root, fragments, 1, set())
            if cost > budget:
                context.report_error(
                    GraphQLError(
                        f"The query may return up to {cost} fields, over the budget of {budget}: "
                        "ask for smaller pages (`first`) or fewer nested lists",
                        node,
                        extensions={"code": "QUERY_TOO_COSTLY", "cost": cost, "budget": budget},
                    )
                )

    return CostLimit


def _cost(
    selection_set: SelectionSetNode | None,
    parent: Any,
    fragments: dict[str, FragmentDefinitionNode],
    multiplier: int,
    seen: set[str],
    page: int | None = None,
) -> int:
    """`page`: the page size of the connection `parent` is, which its `edges`/`nodes` hold."""
    if selection_set is None or not isinstance(parent, (GraphQLObjectType, GraphQLInterfaceType)):
        return 0
    total = 0
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            field = parent.fields.get(selection.name.value)
            if field is None:
                continue  # __typename and friends, or an error another rule reports
            named = get_named_type(field.type)
            total += multiplier
            if getattr(named, "name", "").endswith("Connection"):
                total += _cost(selection.selection_set, named, fragments, multiplier, seen, _page_size(selection))
            else:
                size = (
                    page if page is not None and selection.name.value in ("edges", "nodes") else _list_size(field.type)
                )
                total += _cost(selection.selection_set, named, fragments, multiplier * size, seen)
        elif isinstance(selection, InlineFragmentNode):
            total += _cost(selection.selection_set, parent, fragments, multiplier, seen, page)
        elif isinstance(selection, FragmentSpreadNode) and selection.name.value not in seen:
            fragment = fragments.get(selection.name.value)
            if fragment is not None:
                total += _cost(
                    fragment.selection_set, parent, fragments, multiplier, seen | {selection.name.value}, page
                )
    return total


def _page_size(node: FieldNode) -> int:
    for argument in node.arguments or ():
        if argument.name.value in ("first", "last"):
            value = argument.value
            return int(value.value) if isinstance(value, IntValueNode) else MAX_PAGE  # a variable: assume the most
    return DEFAULT_PAGE


def _list_size(field_type: Any) -> int:
    unwrapped = field_type.of_type if isinstance(field_type, GraphQLNonNull) else field_type
    return PLAIN_LIST_SIZE if isinstance(unwrapped, GraphQLList) else 1
