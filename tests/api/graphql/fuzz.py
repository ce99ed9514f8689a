"""Strategies for fuzzing the GraphQL API: documents generated from the exported schema (valid
and schema-violating), with arguments lifted into variables, hostile values and damaged text;
and the checks every answer must pass."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import graphql
from graphql import (
    DocumentNode,
    FieldNode,
    NameNode,
    OperationDefinitionNode,
    VariableDefinitionNode,
    VariableNode,
    parse_type,
    print_ast,
    value_from_ast_untyped,
)
from hypothesis import strategies as st
from hypothesis_graphql import Mode, mutations, nodes, queries

from app.ids import to_global_id
from app.pagination import encode_keys
from tests.conftest import ROOT

SCHEMA = graphql.build_schema((ROOT / "schema.graphql").read_text())
NODE_TYPES = (
    "Incident", "TimelineEvent", "User", "Service", "ApiToken", "Alert", "Integration", "StatusComponent",
    "ComponentGroup", "Maintenance", "StatusUpdate", "Postmortem", "PostmortemTemplate", "ActionItem",
)  # fmt: skip

CONTROL = "".join(map(chr, [*range(0, 32), 127, 0x85, 0x9F]))
NASTY_STRINGS = (
    "", " ", "\x00", "a\x00b", "title\x00", "\x1b[31mred", "line\nbreak", "tab\there", "\r\n", "\u202eevil",
    "\ufeff", "\u2028", "%s%n", "'; DROP TABLE incidents; --", "<script>alert(1)</script>", "{{7*7}}",
    "\\", '"', "null", "😀" * 50, "x" * 201, "x" * 2_001, "y" * 20_001, "${jndi:ldap://x}", "../../etc/passwd",
)  # fmt: skip
NASTY_NUMBERS = (
    0,
    -1,
    1,
    100,
    101,
    2**31 - 1,
    -(2**31),
    2**31,
    2**53 + 1,
    2**63,
    -(2**63) - 1,
    10**30,
    1.5,
    -0.0,
    1e308,
)
CURSORS = tuple(
    encode_keys(kind, *values)
    for kind in ("incident", "event", "audit", "alert", "postmortem", "revision", "user", "service", "actionitem")
    for values in ((2**31,), (2**63,), (10**30,), (-1,), (2**40, 2**40), (0, 1), (3_000_000, 1))
) + ("INC-²", "INC-٣", "INC-99999999999999999999", "INC--1", "inc-1 ")
WEIRD_PKS = ("0", "-1", "²", "٣", "1e3", " 1", "1 ", "9" * 18, "9" * 19, "9" * 40, "00001", "0x10", "1.0", "", "\x00")

# What a masked answer must never show: Python internals, SQL, driver names, file paths.
LEAKS = re.compile(
    r"Traceback|File \"|\.py\b|site-packages|/work/|/usr/lib|\b(?:Type|Key|Attribute|Index|Value|Overflow|Integrity|"
    r"Operational|Programming|Assertion|Runtime|Unicode(?:Encode|Decode)?|ZeroDivision|Lookup|Name)Error\b|"
    r"Exception\b|asyncpg|aiosqlite|sqlite3|tortoise|psycopg|strawberry\.|graphql\.|\bSELECT\b.*\bFROM\b|"
    r"\bINSERT INTO\b|\bUPDATE\b.*\bSET\b|\bDELETE FROM\b|violates .* constraint|syntax error at or near|"
    r"invalid byte sequence|out of range for type|<coroutine|<built-in|object at 0x",
)


def ids_strategy(real_ids: list[str]) -> st.SearchStrategy[str]:
    weird = st.builds(
        to_global_id, st.sampled_from(NODE_TYPES), st.sampled_from(WEIRD_PKS) | st.integers(10**6, 10**19).map(str)
    )
    return st.sampled_from(real_ids) | weird | st.text(max_size=30) | st.sampled_from(NASTY_STRINGS)


def strings() -> st.SearchStrategy[str]:
    return (
        st.text(max_size=40)
        | st.sampled_from(NASTY_STRINGS)
        | st.sampled_from(CURSORS)
        | st.text(alphabet=st.sampled_from(CONTROL + "ab \n"), max_size=20)
    )


def date_times() -> st.SearchStrategy[str]:
    zones = st.sampled_from([UTC, timezone(timedelta(hours=14)), timezone(timedelta(hours=-12, minutes=-30))])
    aware = st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=zones).map(
        datetime.isoformat
    )
    naive = st.datetimes().map(datetime.isoformat)
    edge = st.sampled_from(
        [
            "0001-01-01T00:00:00+14:00",
            "9999-12-31T23:59:59-14:00",
            "2026-01-01",
            "2026-13-01T00:00:00Z",
            "now",
            "",
            "Z",
            "2026-01-01T00:00:00+25:00",
        ]
    )
    return aware | naive | edge


def dates() -> st.SearchStrategy[str]:
    return st.dates().map(lambda d: d.isoformat()) | st.sampled_from(
        ["0001-01-01", "9999-12-31", "2026-02-30", "tomorrow", "", "2026-01-01T00:00:00Z"]
    )


def scalars(real_ids: list[str]) -> dict[str, st.SearchStrategy[graphql.ValueNode]]:
    ints = st.integers(-(2**31), 2**31 - 1) | st.sampled_from(
        [n for n in NASTY_NUMBERS if isinstance(n, int) and abs(n) < 2**31]
    )
    return {
        "ID": ids_strategy(real_ids).map(nodes.String),
        "String": strings().map(nodes.String),
        "Int": ints.map(nodes.Int),
        "DateTime": date_times().map(nodes.String),
        "Date": dates().map(nodes.String),
        "JSON": st.just(graphql.ObjectValueNode(fields=())),
    }


def documents(real_ids: list[str], mode: Mode) -> st.SearchStrategy[DocumentNode]:
    custom = scalars(real_ids)
    return st.one_of(
        queries(SCHEMA, custom_scalars=custom, print_ast=lambda d: d, mode=mode),
        mutations(SCHEMA, custom_scalars=custom, print_ast=lambda d: d, mode=mode),
    )


@st.composite
def requests(draw: st.DrawFn, real_ids: list[str], mode: Mode) -> tuple[str, dict[str, Any]]:
    """A generated document with some arguments of its root fields lifted into variables of the
    argument's declared type."""
    document = draw(documents(real_ids, mode))
    operation = document.definitions[0]
    assert isinstance(operation, OperationDefinitionNode)
    root = SCHEMA.get_root_type(operation.operation)
    assert root is not None
    definitions: list[VariableDefinitionNode] = []
    variables: dict[str, Any] = {}
    selections = []
    for selection in operation.selection_set.selections:
        if not isinstance(selection, FieldNode) or selection.name.value not in root.fields:
            selections.append(selection)
            continue
        field = root.fields[selection.name.value]
        arguments = []
        for argument in selection.arguments or ():
            declared = field.args.get(argument.name.value)
            if declared is None or not draw(st.booleans()):
                arguments.append(argument)
                continue
            name = f"v{len(definitions)}"
            definitions.append(
                VariableDefinitionNode(
                    variable=VariableNode(name=NameNode(value=name)), type=parse_type(str(declared.type))
                )
            )
            variables[name] = value_from_ast_untyped(argument.value)
            arguments.append(graphql.ArgumentNode(name=argument.name, value=VariableNode(name=NameNode(value=name))))
        selections.append(replace(selection, arguments=tuple(arguments)))
    operation = replace(
        operation,
        variable_definitions=tuple(definitions),
        selection_set=replace(operation.selection_set, selections=tuple(selections)),
    )
    return print_ast(replace(document, definitions=(operation,))), variables


def hostile_values() -> st.SearchStrategy[Any]:
    scalar = st.sampled_from(NASTY_STRINGS) | st.sampled_from(NASTY_NUMBERS) | st.sampled_from([True, False, None])
    return (
        st.recursive(
            scalar,
            lambda inner: (
                st.lists(inner, max_size=3)
                | st.dictionaries(st.sampled_from(["unknownField", "id", "title", ""]), inner, max_size=2)
            ),
            max_leaves=4,
        )
        | st.just(["x"] * 150)
        | st.just([{"unknown": 1}] * 120)
    )


@st.composite
def corrupted(draw: st.DrawFn, variables: dict[str, Any]) -> dict[str, Any]:
    """Replace one value somewhere in the variables (or add an unknown key) with a hostile one."""
    value: Any = json.loads(json.dumps(variables))
    if not value:
        return {"v0": draw(hostile_values())}
    container: Any = value
    while True:
        keys = list(container.keys()) if isinstance(container, dict) else list(range(len(container)))
        if not keys:
            break
        key = draw(st.sampled_from(keys))
        child = container[key]
        if isinstance(child, (dict, list)) and child and draw(st.booleans()):
            container = child
            continue
        if isinstance(container, dict) and draw(st.integers(0, 4)) == 0:
            key = "unknownField"
        container[key] = draw(hostile_values())
        break
    return value  # type: ignore[no-any-return]


def damaged(text: str) -> st.SearchStrategy[str]:
    """The document with a slice cut out, repeated or replaced by stray characters."""
    n = len(text)
    return st.tuples(
        st.integers(0, n),
        st.integers(0, min(n, 40)),
        st.text(max_size=5) | st.sampled_from(["{", "}", "(", "$", '"', "\x00", "..."]),
    ).map(lambda t: text[: t[0]] + t[2] + text[t[0] + t[1] :])


def check_answer(status: int, content_type: str, text: str) -> dict[str, Any]:
    """Every answer: no 5xx, JSON, errors with a code and no internal detail."""
    assert status < 500, f"{status}: {text[:2000]}"
    assert "json" in content_type, f"{content_type}: {text[:500]}"
    body = json.loads(text)
    assert isinstance(body, dict), text[:500]
    for error in body.get("errors") or ():
        code = (error.get("extensions") or {}).get("code")
        assert isinstance(code, str) and code, f"error without extensions.code: {error}"
        assert code != "INTERNAL_SERVER_ERROR", f"unexpected failure: {error}"
        message = error.get("message", "")
        leak = LEAKS.search(message)
        assert leak is None, f"internal detail {leak.group(0)!r} in {message[:500]!r}"
    return body
