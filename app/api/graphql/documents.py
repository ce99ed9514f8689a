"""Cached facts about a GraphQL document, needed before execution: operation type and root fields."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from graphql import FieldNode, GraphQLError, OperationDefinitionNode, parse
from graphql.language import FragmentSpreadNode, InlineFragmentNode, SelectionSetNode, FragmentDefinitionNode


@dataclass(frozen=True)
class Operation:
    type: str | None  # "query" | "mutation" | "subscription"; None when not determinable
    root_fields: frozenset[str]


@lru_cache(maxsize=1024)
def analyze(query: str, operation_name: str | None) -> Operation | None:
    """None when the document does not parse (execution reports the syntax error)."""
    try:
        document = parse(query)
    except GraphQLError:
        return None
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    if operation_name is not None:
        operations = [o for o in operations if o.name and o.name.value == operation_name]
    if len(operations) != 1:
        return Operation(type=None, root_fields=frozenset())
    operation = operations[0]
    return Operation(
        type=operation.operation.value,
        root_fields=frozenset(_root_fields(operation.selection_set, fragments, set())),
    )


def _root_fields(
    selection_set: SelectionSetNode, fragments: dict[str, FragmentDefinitionNode], seen: set[str]
) -> set[str]:
    names: set[str] = set()
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            names.add(selection.name.value)
        elif isinstance(selection, InlineFragmentNode):
            names |= _root_fields(selection.selection_set, fragments, seen)
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            if name in seen or name not in fragments:
                continue
            seen.add(name)
            names |= _root_fields(fragments[name].selection_set, fragments, seen)
    return names
