"""Blameless language review: true positives on blameful and hindsight phrasing, nothing on
neutral postmortem text, exact offsets, and the patterns file admins extend."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.config import ConfigError, load_settings
from app.postmortems import language
from app.postmortems.enums import FindingCategory as C

PEOPLE = ["Dave Smith", "Alice Jones", "Bob Lee"]


@pytest.mark.parametrize(
    ("text", "phrase", "category", "rule"),
    [
        ("The outage was caused by human error.", "human error", C.BLAME, "human-error"),
        ("Root cause: operator error during the failover.", "operator error", C.BLAME, "human-error"),
        (
            "Dave Smith caused the outage by pushing a bad config.",
            "Dave Smith caused",
            C.PERSON_AS_CAUSE,
            "person-caused",
        ),
        ("Then Dave forgot to renew the certificate.", "Dave forgot", C.PERSON_AS_CAUSE, "person-caused"),
        (
            "The on-call engineer failed to acknowledge the page.",
            "The on-call engineer failed to",
            C.PERSON_AS_CAUSE,
            "person-caused",
        ),
        ("We failed to notice the disk filling up.", "We failed to", C.PERSON_AS_CAUSE, "person-caused"),
        ("Someone ignored the alert for an hour.", "Someone ignored", C.PERSON_AS_CAUSE, "person-caused"),
        ("The regression was introduced by @mallory.", "introduced by @mallory", C.PERSON_AS_CAUSE, "caused-by-person"),
        ("Checkout broke because of Alice's mistake.", "Alice's mistake", C.PERSON_AS_CAUSE, "person-fault"),
        ("Honestly it was Bob’s fault.", "Bob’s fault", C.PERSON_AS_CAUSE, "person-fault"),
        ("It was the vendor's fault.", "vendor's fault", C.BLAME, "fault"),
        ("Nobody is to blame, but still.", "to blame", C.BLAME, "fault"),
        ("This was a careless change to production.", "careless", C.BLAME, "careless"),
        ("A negligent review let it through.", "negligent", C.BLAME, "careless"),
        ("It came down to poor judgement under pressure.", "poor judgement", C.BLAME, "judgement"),
        ("The engineer should have checked the dashboard first.", "should have", C.HINDSIGHT, "should-have"),
        ("That shouldn't have been deployed on a Friday.", "shouldn't have", C.HINDSIGHT, "should-have"),
        ("In hindsight this was easily avoidable.", "easily avoidable", C.HINDSIGHT, "avoidable"),
        ("It could easily have been prevented.", "could easily have been prevented", C.HINDSIGHT, "avoidable"),
    ],
)
def test_true_positives(text: str, phrase: str, category: C, rule: str) -> None:
    findings = language.analyze([("summary", text)], people=PEOPLE)
    assert [(f.phrase, f.category, f.rule) for f in findings] == [(phrase, category, rule)]
    finding = findings[0]
    assert text[finding.offset : finding.offset + finding.length] == phrase and finding.section == "summary"
    assert finding.suggestion


NEUTRAL = """Between 14:02 and 15:10 UTC, 12% of checkout requests failed with HTTP 500 after payments v2.31 was deployed.
The database cluster is fault-tolerant, but a faulty disk on the primary caused a failover that took 40 seconds.
The nightly export job failed to start because the disk was full, and the health check failed to detect the stale cache.
We deployed the fix at 14:30; the on-call engineer acknowledged the page within two minutes.
Alerts should page the payments team when the error rate exceeds 2%. User errors (HTTP 4xx) rose to 5%.
We ran git blame on the configuration file to find the change and its review. This is a blameless review.
We got lucky: the retry budget absorbed most failures. Lazy loading of the catalog hid the problem for a while.
The error budget was exhausted. Dave deployed v2.32 with the revert at 15:05. Human review of migrations is now required.
A replica failed over automatically. Kafka failed to rebalance the consumer group. The team met at 15:00 to plan.
The client should retry with backoff; timeouts should be shorter than the load balancer's. Faults were injected in staging.
Alice wrote the runbook and Bob reviewed it. The reviewer approved the change after the tests passed.
"""


def test_no_false_positives_on_neutral_text() -> None:
    assert language.analyze([("summary", NEUTRAL)], people=PEOPLE) == []


def test_sections_and_offsets_in_longer_text() -> None:
    text = "Impact was high.\nThe root cause was human error; Dave should have known."
    findings = language.analyze([("title", "Fine"), ("detection", ""), ("whys[0].answer", text)], people=PEOPLE)
    assert [(f.section, f.offset, f.phrase) for f in findings] == [
        ("whys[0].answer", text.index("human error"), "human error"),
        ("whys[0].answer", text.index("should have"), "should have"),
    ]


def test_names_are_people_only_as_written() -> None:
    # Users' names are recognised case-sensitively: "will" and "Will" differ.
    assert language.analyze([("s", "Will failed to page the team.")], people=["Will Turner"])
    assert not language.analyze([("s", "The job will failed to start.")], people=["Will Turner"])
    assert not language.analyze([("s", "Dave failed to start.")], people=[])  # an unknown name is not a person


def test_the_patterns_file_can_be_extended(tmp_path: Path) -> None:
    extra = tmp_path / "patterns.toml"
    extra.write_text(
        """
[people]
references = ['the SRE on shift']

[[patterns]]
id = "rockstar"
category = "BLAME"
regex = '''\\bcowboy (?:change|deploy)s?\\b'''
suggestion = "Describe the missing guard rail."

[[patterns]]
id = "should-have"
enabled = false

[[patterns]]
id = "careless"
category = "BLAME"
regex = '''\\bsloppy\\b'''
suggestion = "Our own wording."
""",
        encoding="utf-8",
    )
    rules = language.load(extra)
    ids = [r.id for r in rules.rules]
    assert "rockstar" in ids and "should-have" not in ids
    findings = language.analyze(
        [("s", "A cowboy deploy, careless and sloppy; it should have waited. The SRE on shift forgot the flag.")],
        people=[],
        rules=rules,
    )
    assert [(f.rule, f.phrase) for f in findings] == [
        ("rockstar", "cowboy deploy"),
        ("careless", "sloppy"),
        ("person-caused", "The SRE on shift forgot"),
    ]
    assert next(f for f in findings if f.rule == "careless").suggestion == "Our own wording."


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[[patterns]]\nid = 'x'\ncategory = 'BLAME'\nregex = '('\nsuggestion = 's'\n", "invalid regular expression"),
        ("[[patterns]]\nid = 'x'\ncategory = 'RUDE'\nregex = 'a'\nsuggestion = 's'\n", "category must be one of"),
        ("[[patterns]]\ncategory = 'BLAME'\nregex = 'a'\nsuggestion = 's'\n", "needs an id"),
        ("[[patterns]]\nid = 'x'\ncategory = 'BLAME'\nregex = 'a'\n", "suggestion must be"),
        ("[[patterns]]\nid = 'x'\ncategory = 'BLAME'\nregex = 'a'\nsuggestion = 's'\ntypo = 1\n", "unknown keys typo"),
        ("[people]\nreferences = 'me'\n", "references must be a list"),
        ("not toml ===", "not valid TOML"),
    ],
)
def test_a_bad_patterns_file_stops_the_start_naming_the_problem(tmp_path: Path, text: str, message: str) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        load_settings(blameless_patterns=str(bad))
    assert str(raised.value).startswith("FIREBREAK_BLAMELESS_PATTERNS: ") and message in str(raised.value)
    with pytest.raises(ConfigError):
        load_settings(blameless_patterns=str(tmp_path / "missing.toml"))


def test_the_shipped_file_loads() -> None:
    rules = language.load()
    assert {r.category for r in rules.rules} == set(C)
    assert len({r.id for r in rules.rules}) == len(rules.rules)


def test_long_adversarial_text_stays_fast() -> None:
    import time

    people = [f"Person{i} Surname{i}" for i in range(50)]
    for text in ("a." * 10_000, "@a." * 6_600, "a's " * 5_000, "the engineer " * 1_500):
        started = time.perf_counter()
        language.analyze([("summary", text)], people=people)
        assert time.perf_counter() - started < 2.0, text[:12]  # linear patterns: milliseconds, not seconds
