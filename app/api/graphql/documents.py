"""Facts about a parsed document needed before execution: the root fields of an operation,
and whether every selection set selects something."""

from __future__ import annotations

from graphql import DocumentNode, FieldNode, GraphQLError, OperationDefinitionNode, ValidationRule
from graphql.language import FragmentDefinitionNode, FragmentSpreadNode, InlineFragmentNode, SelectionSetNode


def root_fields(operation: OperationDefinitionNode, document: DocumentNode) -> set[str]:
    """Names of the fields selected at the root of `operation`, through fragments."""
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    return _collect(operation.selection_set, fragments, set())


def _collect(selection_set: SelectionSetNode, fragments: dict[str, FragmentDefinitionNode], seen: set[str]) -> set[str]:
    names: set[str] = set()
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            names.add(selection.name.value)
        elif isinstance(selection, InlineFragmentNode):
            names |= _collect(selection.selection_set, fragments, seen)
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            if name in seen or name not in fragments:
                continue
            seen.add(name)
            names |= _collect(fragments[name].selection_set, fragments, seen)
    return names


class NonEmptySelectionSets(ValidationRule):
    """`{ }` parses (graphql-core accepts it) but selects nothing: the spec's grammar needs a field."""

    def enter_selection_set(self, node: SelectionSetNode, *_: object) -> None:
        if not node.selections:
            self.report_error(GraphQLError("A selection set must select at least one field", node))
