"""Reading a resolver's sub-selection ahead of execution, through fragments."""

from __future__ import annotations

from collections.abc import Iterable

from strawberry.types.nodes import FragmentSpread, InlineFragment, SelectedField, Selection


def fields(selections: Iterable[Selection]) -> dict[str, list[SelectedField]]:
    """Every field selected directly under `selections`, by name (aliases of a name grouped)."""
    found: dict[str, list[SelectedField]] = {}
    for selection in selections:
        if isinstance(selection, SelectedField):
            found.setdefault(selection.name, []).append(selection)
        elif isinstance(selection, (FragmentSpread, InlineFragment)):
            for name, selected in fields(selection.selections).items():
                found.setdefault(name, []).extend(selected)
    return found


def path(selected: Iterable[SelectedField], *names: str) -> list[SelectedField]:
    """The fields reached by following `names` down from `selected` (all aliases)."""
    current = list(selected)
    for name in names:
        current = [child for field in current for child in fields(field.selections).get(name, [])]
    return current


def children(selected: Iterable[SelectedField]) -> dict[str, list[SelectedField]]:
    """The union of the sub-fields of several selections of the same field."""
    merged: dict[str, list[SelectedField]] = {}
    for field in selected:
        for name, found in fields(field.selections).items():
            merged.setdefault(name, []).extend(found)
    return merged
