"""Templates and postmortem content: the default template, and the checks every piece of
content passes before it is stored. Pure: no I/O, no framework imports."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from app.errors import ValidationFailed
from app.postmortems.enums import FactorCategory, SectionKind
from app.text import TEXT_MAX, multi_line, single_line

MAX_SECTIONS = 30
MAX_WHYS = 10
MAX_FACTORS = 30
WHY_MAX = 2_000
FACTOR_MAX = 5_000
GUIDANCE_MAX = 2_000
_KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
# Revisions name what they changed by section key or by one of these.
RESERVED_KEYS = frozenset({"title", "whys", "timeline", "authors", "reviewers", "status"})

DEFAULT_TEMPLATE_NAME = "Standard postmortem"
DEFAULT_TEMPLATE_DESCRIPTION = "The sections of a blameless postmortem: what happened, why, and what we learned."

K = SectionKind
DEFAULT_SECTIONS: tuple[dict[str, str], ...] = tuple(
    {"key": key, "title": title, "kind": kind.value, "guidance": guidance}
    for key, title, kind, guidance in (
        ("summary", "Summary", K.TEXT, "What happened, in a few sentences a newcomer understands."),
        (
            "customer_impact",
            "Customer impact",
            K.TEXT,
            "Who was affected, how, and for how long. Numbers where you have them.",
        ),
        (
            "detection",
            "Detection",
            K.TEXT,
            "How did we find out? Could we have found out sooner, and what would tell us?",
        ),
        ("response", "Response", K.TEXT, "Who responded and how; what helped and what slowed the response."),
        ("recovery", "Recovery", K.TEXT, "What restored service, and how we knew it was restored."),
        (
            "root_cause",
            "Root cause analysis",
            K.FIVE_WHYS,
            "Ask why until you reach something the organisation can change. Systems, not people.",
        ),
        (
            "contributing_factors",
            "Contributing factors",
            K.CONTRIBUTING_FACTORS,
            "The conditions that made this possible or worse.",
        ),
        ("what_went_well", "What went well", K.TEXT, "Practices and tools worth keeping."),
        (
            "what_went_wrong",
            "What went wrong",
            K.TEXT,
            "Where the system (technical or human) did not support the people in it.",
        ),
        (
            "where_we_got_lucky",
            "Where we got lucky",
            K.TEXT,
            "What could have made this worse, and did not only by chance.",
        ),
        (
            "lessons_learned",
            "Lessons learned",
            K.TEXT,
            "What we now know, and what we will do about it (see the action items).",
        ),
    )
)


@dataclass(frozen=True)
class TemplateSection:
    key: str
    title: str
    kind: SectionKind
    guidance: str = ""

    def as_dict(self) -> dict[str, str]:
        return {"key": self.key, "title": self.title, "kind": self.kind.value, "guidance": self.guidance}


def check_template_sections(sections: Sequence[TemplateSection]) -> list[dict[str, str]]:
    """Validated sections as stored: 1 to 30, unique slug keys, at most one 5-whys and one
    contributing-factors section."""
    if not sections:
        raise ValidationFailed("A template needs at least one section", field="sections")
    if len(sections) > MAX_SECTIONS:
        raise ValidationFailed(f"A template has at most {MAX_SECTIONS} sections", field="sections")
    seen: set[str] = set()
    stored = []
    for index, section in enumerate(sections):
        where = f"sections[{index}]"
        key = section.key.strip()
        if not _KEY.match(key):
            raise ValidationFailed(f"{where}.key must be a lowercase slug such as customer_impact", field="sections")
        if key in RESERVED_KEYS:
            raise ValidationFailed(f"{where}.key {key!r} is reserved", field="sections")
        if key in seen:
            raise ValidationFailed(f"Section key {key!r} is used twice", field="sections")
        seen.add(key)
        title = single_line(section.title, field="sections", max_length=100)
        guidance = multi_line(section.guidance, field="sections", max_length=GUIDANCE_MAX)
        stored.append(TemplateSection(key, title, section.kind, guidance).as_dict())
    for kind in (K.FIVE_WHYS, K.CONTRIBUTING_FACTORS):
        if sum(1 for s in sections if s.kind is kind) > 1:
            raise ValidationFailed(f"A template has at most one {kind.value} section", field="sections")
    return stored


def sections_from_template(template_sections: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """A new postmortem's sections: the template's, each with an empty body."""
    return [{**section, "body": ""} for section in template_sections]


def has_kind(sections: Sequence[dict[str, Any]], kind: SectionKind) -> bool:
    return any(s.get("kind") == kind.value for s in sections)


def check_body(body: str, *, field: str) -> str:
    return multi_line(body, field=field, max_length=TEXT_MAX)


@dataclass(frozen=True)
class Why:
    question: str
    answer: str

    def as_dict(self) -> dict[str, str]:
        return {"question": self.question, "answer": self.answer}


def check_whys(whys: Sequence[Why]) -> list[dict[str, str]]:
    """The ordered 5-whys chain: each step a question and its answer (the answer may wait)."""
    if len(whys) > MAX_WHYS:
        raise ValidationFailed(f"At most {MAX_WHYS} whys", field="whys")
    return [
        Why(
            multi_line(w.question, field="whys", max_length=WHY_MAX, required=True).strip(),
            multi_line(w.answer, field="whys", max_length=WHY_MAX).strip(),
        ).as_dict()
        for w in whys
    ]


@dataclass(frozen=True)
class Factor:
    category: FactorCategory
    description: str

    def as_dict(self) -> dict[str, str]:
        return {"category": self.category.value, "description": self.description}


def check_factors(factors: Sequence[Factor]) -> list[dict[str, str]]:
    if len(factors) > MAX_FACTORS:
        raise ValidationFailed(f"At most {MAX_FACTORS} contributing factors", field="contributingFactors")
    return [
        Factor(
            f.category,
            multi_line(f.description, field="contributingFactors", max_length=FACTOR_MAX, required=True).strip(),
        ).as_dict()
        for f in factors
    ]
