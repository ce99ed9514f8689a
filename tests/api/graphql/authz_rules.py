"""The authorization matrix: for every root field of the schema, who may call it.

Each `Rule` names a root field, the access it needs, a minimal valid operation and how to build
its variables against the matrix's seeded data, and — for fields that reach incident data — a
probe against a private incident run by a responder who is not one of its members.
`tests/api/graphql/test_authorization_matrix.py` runs every rule for every caller; the table in
docs/security.md is rendered from these rules:

    python -m tests.api.graphql.authz_rules --markdown
"""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tests.api.graphql.authz_world import World


class Caller(str, Enum):
    ANONYMOUS = "anonymous"
    READ_TOKEN = "read-scoped token"
    VIEWER = "VIEWER"
    RESPONDER = "RESPONDER"
    ADMIN = "ADMIN"


CALLERS = tuple(Caller)


class Outcome(str, Enum):
    ALLOWED = "allowed"
    UNAUTHENTICATED = "unauthenticated"
    FORBIDDEN = "forbidden"
    NOT_FOUND = "not found"  # as if the private incident did not exist
    OMITTED = "omitted"  # answered, with the private incident left out
    NOT_APPLICABLE = "—"


class Access(str, Enum):
    PUBLIC = "public"  # no token needed
    READ = "read"  # any user, any scope
    OWN = "own"  # any user for their own objects, with the write scope; admins for anyone's
    RESPOND = "respond"  # RESPONDER or ADMIN, with the write scope
    ADMIN = "admin"  # ADMIN, with the admin scope


_A, _U, _F = Outcome.ALLOWED, Outcome.UNAUTHENTICATED, Outcome.FORBIDDEN
EXPECTED: dict[Access, dict[Caller, Outcome]] = {
    Access.PUBLIC: dict.fromkeys(CALLERS, _A),
    Access.READ: {**dict.fromkeys(CALLERS, _A), Caller.ANONYMOUS: _U},
    Access.OWN: {
        **dict.fromkeys(CALLERS, _A),
        Caller.ANONYMOUS: _U,
        Caller.READ_TOKEN: _F,
    },  # a read token changes nothing
    Access.RESPOND: {
        Caller.ANONYMOUS: _U,
        Caller.READ_TOKEN: _F,
        Caller.VIEWER: _F,
        Caller.RESPONDER: _A,
        Caller.ADMIN: _A,
    },
    Access.ADMIN: {**dict.fromkeys(CALLERS, _F), Caller.ANONYMOUS: _U, Caller.ADMIN: _A},
}

Variables = Callable[["World", Caller], Awaitable[dict[str, Any]]]


async def no_variables(_world: World, _caller: Caller) -> dict[str, Any]:
    return {}


@dataclass(frozen=True)
class Private:
    """An operation on a private incident (or what hangs off it), by a non-member responder
    (expected: `outcome`) and by a member (expected: allowed, and for reads the data shows)."""

    outcome: Outcome
    variables: Variables
    document: str | None = None  # the rule's own by default
    member_sees: bool = True  # False: members get something else too (say so where it is used)
    only_private: bool = False  # it selects only private data: a non-member's counts are 0


@dataclass(frozen=True)
class Rule:
    field: str
    access: Access
    document: str
    variables: Variables = no_variables
    private: tuple[Private, ...] = ()
    note: str = ""
    overrides: Mapping[Caller, Outcome] = field(default_factory=dict)

    def expected(self, caller: Caller) -> Outcome:
        return self.overrides.get(caller, EXPECTED[self.access][caller])

    @property
    def non_member(self) -> Outcome:
        outcomes = {p.outcome for p in self.private}
        if not outcomes:
            return Outcome.NOT_APPLICABLE
        return Outcome.NOT_FOUND if Outcome.NOT_FOUND in outcomes else Outcome.OMITTED


def _table(kind: str) -> dict[str, Rule]:
    from tests.api.graphql import authz_alerts, authz_identity, authz_incidents, authz_postmortems, authz_statuspage

    modules = (authz_identity, authz_incidents, authz_alerts, authz_statuspage, authz_postmortems)
    rules: dict[str, Rule] = {}
    for module in modules:
        for rule in getattr(module, kind):
            assert rule.field not in rules, f"{rule.field} has two rules"
            rules[rule.field] = rule
    return rules


def queries() -> dict[str, Rule]:
    return _table("QUERIES")


def mutations() -> dict[str, Rule]:
    return _table("MUTATIONS")


def subscriptions() -> dict[str, Rule]:
    return _table("SUBSCRIPTIONS")


def markdown() -> str:
    """The roles × operations table of docs/security.md."""
    header = ["Operation", *(c.value for c in CALLERS), "non-member, private incident"]
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    for kind, rules in (("query", queries()), ("mutation", mutations()), ("subscription", subscriptions())):
        for name in sorted(rules):
            rule = rules[name]
            cells = [f"`{name}` ({kind})", *(rule.expected(c).value for c in CALLERS), rule.non_member.value]
            if rule.note:
                cells[0] += f" — {rule.note}"
            lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


TABLE_START = "<!-- authorization-matrix:start -->"
TABLE_END = "<!-- authorization-matrix:end -->"
SECURITY_DOC = Path(__file__).resolve().parents[3] / "docs" / "security.md"


def rendered_doc(text: str) -> str:
    """`text` (docs/security.md) with its generated table replaced by the current one."""
    before, start, rest = text.partition(TABLE_START)
    _, end, after = rest.partition(TABLE_END)
    assert start and end, f"docs/security.md must hold {TABLE_START} … {TABLE_END}"
    return f"{before}{TABLE_START}\n{markdown()}{TABLE_END}{after}"


def main(argv: list[str]) -> int:
    if argv == ["--markdown"]:
        sys.stdout.write(markdown())
        return 0
    if argv == ["--write"]:
        SECURITY_DOC.write_text(rendered_doc(SECURITY_DOC.read_text()))
        return 0
    sys.stderr.write("usage: python -m tests.api.graphql.authz_rules --markdown | --write\n")
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))


# -- building rules ----------------------------------------------------------------------------


def ids(**names: str) -> Variables:
    """Variables taken from the world's ids: `ids(id="incident")`."""

    async def build(world: World, _caller: Caller) -> dict[str, Any]:
        return {name: world.ids[key] for name, key in names.items()}

    return build


def given(**values: Any) -> Variables:
    """An `input` of constants and world ids (`"@incident"` is `world.ids["incident"]`)."""

    async def build(world: World, _caller: Caller) -> dict[str, Any]:
        return {"input": {k: _resolve(world, v) for k, v in values.items()}}

    return build


def _resolve(world: World, value: Any) -> Any:
    if isinstance(value, str) and value.startswith("@"):
        return world.ids[value[1:]]
    if isinstance(value, list):
        return [_resolve(world, v) for v in value]
    return value


def mutation(name: str, input_type: str, selection: str = "") -> str:
    return (
        f"mutation($input: {input_type}!) {{ {name}(input: $input) {{ {selection} errors {{ code message field }} }} }}"
    )
