"""Bounds every input value meets before any resolver sees it, whether written in the document
or sent as variables: no list holds more than MAX_LIST_INPUT items and no text contains NUL
(U+0000, which PostgreSQL text cannot store). A breach is a BAD_USER_INPUT error naming the
argument or variable path; finer rules (lengths, control characters, smaller lists) belong to
the domain, which names the input field."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from graphql import (
    ArgumentNode,
    GraphQLError,
    ListValueNode,
    Node,
    ObjectFieldNode,
    StringValueNode,
    ValidationRule,
)

MAX_LIST_INPUT = 100


def bad_input(message: str, field: str, nodes: Node | None = None) -> GraphQLError:
    return GraphQLError(message, nodes, extensions={"code": "BAD_USER_INPUT", "field": field})


def _problem(value: Any) -> str | None:
    if isinstance(value, str) and "\x00" in value:
        return "must not contain NUL characters (U+0000)"
    if isinstance(value, list) and len(value) > MAX_LIST_INPUT:
        return f"takes at most {MAX_LIST_INPUT} items"
    return None


def _walk(value: Any, path: str) -> Iterator[tuple[str, Any]]:
    yield path, value
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str) and "\x00" in key:
                yield f"{path}.<key>", key
            yield from _walk(item, f"{path}.{key}")
    elif isinstance(value, list) and len(value) <= MAX_LIST_INPUT:
        for index, item in enumerate(value):
            yield from _walk(item, f"{path}[{index}]")


def variable_errors(variables: dict[str, Any] | None) -> list[GraphQLError]:
    """The first breach in the variables, as an error naming where it is (`$input.title`)."""
    for path, value in _walk(variables or {}, ""):
        problem = _problem(value)
        if problem is not None:
            field = "$" + path.lstrip(".")
            return [bad_input(f"Variable {field} {problem}", field)]
    return []


class InputBounds(ValidationRule):
    """The same bounds for values written in the document."""

    def enter_list_value(self, node: ListValueNode, _key: Any, parent: Any, _path: Any, ancestors: list[Any]) -> None:
        if len(node.values) > MAX_LIST_INPUT:
            field = _field_path([*ancestors, parent])
            self.report_error(bad_input(f"{field} takes at most {MAX_LIST_INPUT} items", field, node))

    def enter_string_value(
        self, node: StringValueNode, _key: Any, parent: Any, _path: Any, ancestors: list[Any]
    ) -> None:
        if "\x00" in node.value:
            field = _field_path([*ancestors, parent])
            self.report_error(bad_input(f"{field} must not contain NUL characters (U+0000)", field, node))


def _field_path(ancestors: list[Any]) -> str:
    names = [a.name.value for a in ancestors if isinstance(a, (ArgumentNode, ObjectFieldNode))]
    return ".".join(names) or "value"
