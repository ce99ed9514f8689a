"""Blameless language review: find blameful or hindsight phrasing in postmortem text.

The phrases live in one data file, `blameless_language.toml` next to this module; admins add
to it (or override it) with a file of their own named by FIREBREAK_BLAMELESS_PATTERNS. Pure
apart from reading those files: no framework imports. Findings inform, never block.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from app.postmortems.enums import FindingCategory

BUILTIN_FILE = Path(__file__).with_name("blameless_language.toml")
PERSON = "{person}"
_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


class LanguageRulesError(ValueError):
    """A patterns file is unusable; the message says which entry and why."""


@dataclass(frozen=True)
class Rule:
    id: str
    category: FindingCategory
    regex: str
    suggestion: str


@dataclass(frozen=True)
class Rules:
    rules: tuple[Rule, ...]
    references: tuple[str, ...]


@dataclass(frozen=True)
class Finding:
    section: str
    offset: int  # in characters (Unicode code points) from the start of the section's text
    length: int
    phrase: str
    category: FindingCategory
    rule: str
    suggestion: str


def parse(text: str, *, source: str) -> tuple[list[dict[str, Any]], list[str]]:
    """The raw entries and person references of one patterns file, checked for shape."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise LanguageRulesError(f"{source}: not valid TOML ({error})") from None
    people = data.get("people", {})
    references = people.get("references", []) if isinstance(people, dict) else None
    if not isinstance(references, list) or not all(isinstance(r, str) and r.strip() for r in references):
        raise LanguageRulesError(f"{source}: [people] references must be a list of non-empty strings")
    entries = data.get("patterns", [])
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise LanguageRulesError(f"{source}: patterns must be [[patterns]] tables")
    for entry in entries:
        _check_entry(entry, source)
    for reference in references:
        _compile(reference, source=f"{source}: person reference {reference!r}")
    return entries, references


def _check_entry(entry: Mapping[str, Any], source: str) -> None:
    rule_id = entry.get("id")
    if not isinstance(rule_id, str) or not _ID.match(rule_id):
        raise LanguageRulesError(f"{source}: every pattern needs an id (a lowercase slug), got {rule_id!r}")
    where = f"{source}: pattern {rule_id!r}"
    unknown = set(entry) - {"id", "category", "regex", "suggestion", "enabled"}
    if unknown:
        raise LanguageRulesError(f"{where}: unknown keys {', '.join(sorted(unknown))}")
    if not isinstance(entry.get("enabled", True), bool):
        raise LanguageRulesError(f"{where}: enabled must be true or false")
    if entry.get("enabled", True) is False and set(entry) <= {"id", "enabled"}:
        return  # only turns a shipped pattern off
    if entry.get("category") not in {c.value for c in FindingCategory}:
        raise LanguageRulesError(f"{where}: category must be one of {', '.join(c.value for c in FindingCategory)}")
    for key in ("regex", "suggestion"):
        if not isinstance(entry.get(key), str) or not entry[key].strip():
            raise LanguageRulesError(f"{where}: {key} must be a non-empty string")
    _compile(entry["regex"].replace(PERSON, "(?:someone)"), source=where)


def _compile(regex: str, *, source: str) -> re.Pattern[str]:
    try:
        return re.compile(regex, re.IGNORECASE)
    except re.error as error:
        raise LanguageRulesError(f"{source}: invalid regular expression ({error})") from None


def load(extra: Path | None = None) -> Rules:
    """The shipped rules, with the entries of `extra` added (same id: replaced; enabled = false: removed)."""
    entries, references = parse(BUILTIN_FILE.read_text(encoding="utf-8"), source=BUILTIN_FILE.name)
    merged: dict[str, dict[str, Any]] = {e["id"]: e for e in entries}
    if extra is not None:
        try:
            text = extra.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise LanguageRulesError(f"{extra}: cannot read it ({error})") from None
        more, more_references = parse(text, source=str(extra))
        for entry in more:
            if entry.get("enabled", True) is False:
                merged.pop(entry["id"], None)
            else:
                merged[entry["id"]] = entry
        references = [*references, *more_references]
    rules = tuple(
        Rule(e["id"], FindingCategory(e["category"]), e["regex"], e["suggestion"].strip()) for e in merged.values()
    )
    return Rules(rules, tuple(references))


_configured: Path | None = None
_current: Rules | None = None


def configure(extra: Path | None) -> None:
    """Use the shipped rules plus `extra` from now on (read at the next use)."""
    global _configured, _current
    _configured, _current = extra, None


def current_rules() -> Rules:
    global _current
    if _current is None:
        _current = load(_configured)
    return _current


def person_names(full_names: Sequence[str]) -> tuple[str, ...]:
    """The names to recognise as people: each full name and its first word (3 letters or more)."""
    names: set[str] = set()
    for full in full_names:
        full = " ".join(full.split())
        if len(full) >= 2:
            names.add(full)
        first = full.split(" ", 1)[0] if full else ""
        if len(first) >= 3 and first[0].isupper():
            names.add(first)
    return tuple(sorted(names, key=lambda n: (-len(n), n)))


@lru_cache(maxsize=32)
def _compiled(rules: Rules, names: tuple[str, ...]) -> tuple[tuple[Rule, re.Pattern[str]], ...]:
    alternatives = [*rules.references, *(f"(?-i:{re.escape(n)})" for n in names), r"@[\w-]+(?:\.[\w-]+)*"]
    person = r"(?<![\w@])(?:" + "|".join(alternatives) + r")(?!\w)"
    return tuple((rule, re.compile(rule.regex.replace(PERSON, person), re.IGNORECASE)) for rule in rules.rules)


def analyze(
    texts: Sequence[tuple[str, str]], *, people: Sequence[str] = (), rules: Rules | None = None
) -> list[Finding]:
    """Findings in each `(section, text)`, in order of section then offset. `people` are the
    full names of people who may be mentioned (recognised in addition to pronouns and roles)."""
    compiled = _compiled(rules or current_rules(), person_names(people))
    findings: list[Finding] = []
    for section, text in texts:
        if not text:
            continue
        candidates = [
            (m.start(), m.end(), rule)
            for rule, pattern in compiled
            for m in pattern.finditer(text)
            if m.end() > m.start()
        ]
        candidates.sort(key=lambda c: (c[0], -c[1]))
        end_of_last = -1
        for start, end, rule in candidates:
            if start < end_of_last:
                continue  # overlaps a finding already kept
            end_of_last = end
            findings.append(
                Finding(section, start, end - start, text[start:end], rule.category, rule.id, rule.suggestion)
            )
    return findings
