"""Loads the front-end contract: each operation with the fragments it needs, ready to send."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from graphql import FragmentDefinitionNode, FragmentSpreadNode, OperationDefinitionNode, parse, visit
from graphql.language import Visitor

CONTRACT = Path(__file__).resolve().parents[1] / "frontend-contract"


@cache
def fragments() -> dict[str, str]:
    found: dict[str, str] = {}
    for path in sorted((CONTRACT / "fragments").glob("*.graphql")):
        text = path.read_text(encoding="utf-8")
        for definition in parse(text).definitions:
            assert isinstance(definition, FragmentDefinitionNode), path
            found[definition.name.value] = text
    return found


@cache
def operation_files() -> dict[str, Path]:
    """Operation name -> file, for every query, mutation and subscription document."""
    files: dict[str, Path] = {}
    for path in sorted(CONTRACT.glob("*/*.graphql")):
        if path.parent.name == "fragments":
            continue
        definitions = parse(path.read_text(encoding="utf-8")).definitions
        operations = [d for d in definitions if isinstance(d, OperationDefinitionNode)]
        assert len(operations) == 1 and operations[0].name, f"{path}: one named operation per file"
        assert path.stem == operations[0].name.value, f"{path}: file named after its operation"
        files[path.stem] = path
    return files


def _spreads(text: str) -> set[str]:
    names: set[str] = set()

    class Collect(Visitor):
        def enter_fragment_spread(self, node: FragmentSpreadNode, *_: object) -> None:
            names.add(node.name.value)

    visit(parse(text), Collect())
    return names


@cache
def document(name: str) -> str:
    """The operation `name` with every fragment it uses, transitively."""
    text = operation_files()[name].read_text(encoding="utf-8")
    needed: list[str] = []
    pending = list(_spreads(text))
    while pending:
        fragment = pending.pop()
        if fragment in needed:
            continue
        needed.append(fragment)
        pending.extend(_spreads(fragments()[fragment]))
    texts = dict.fromkeys(fragments()[f] for f in sorted(needed))
    return "\n".join([text, *texts])
