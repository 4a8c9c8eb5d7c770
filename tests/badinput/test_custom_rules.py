"""A school's own rules from its config: they flag like built-in rules, they cannot hang the bot
whatever the pattern, and a pattern RE2 refuses is one config error line."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings

from adapters.local import LocalPlatform
from bench.common import EngineFailures
from bot.app import App
from bot.cli import main
from bot.clock import ManualClock
from bot.config import Config, ConfigError, parse_config
from bot.moderator import build_profile
from rules import Category, Clause, RulesEngine, SchoolProfile, Severity
from rules.custom import compile_pattern
from rules.normalise import MAX_CHARS
from tests.badinput.text import messages

EXAMPLE = Path(__file__).resolve().parents[2] / "config.example.yaml"

SCHOOL = """\
schools:
  - id: riverside
    name: Riverside Primary School
    staff:
      - {id: carter, title: Mr, first: James, last: Carter}
    slt:
      - {name: Mrs Shah, local: slt-shah}
    chats:
      - {platform: local, id: year3, name: Year 3 Parents}
    custom_rules:
"""
RULES = """\
      - id: no-fundraising-links
        pattern: "gofundme\\\\.com/\\\\S+"
        category: private
        severity: low
        clause: privacy
        reason: a fundraising link
      - id: no-raffles
        words: [raffle tickets, Tombola]
        category: complaint
        reason: a raffle, which the school asks parents to run through the PTA
"""
# Nested repetition: Python's re backtracks for ever over many words that end in "!".
NESTED = """\
      - id: words-and-more-words
        pattern: "^(\\\\w+\\\\s?)*$"
        category: abuse
        severity: high
        clause: respect
        reason: nothing but words
"""


def profile(rules: str = RULES) -> SchoolProfile:
    [school] = parse_config(SCHOOL + rules, "school.yaml").schools
    return build_profile(school)


def unchecked_profile(rules: str) -> SchoolProfile:
    """The profile of rules straight from the config model, without the loader's checks: for
    a rule the loader refuses (one that flags everyday messages), to try the engine on it."""
    [school] = Config.model_validate(yaml.safe_load(SCHOOL + rules)).schools
    return build_profile(school)


def test_a_custom_pattern_flags_with_its_own_rule(engine: RulesEngine) -> None:
    text = "Please give to the PTA: https://GoFundMe.com/f/Help-Our-School!"
    [finding] = engine.evaluate(text, profile()).findings
    assert finding.rule_id == "no-fundraising-links"
    assert (finding.category, finding.severity, finding.clause) == (
        Category.PRIVATE,
        Severity.LOW,
        Clause.PRIVACY,
    )
    assert finding.reason == "This message contains a fundraising link."
    # Matched on the normalised text, quoted from what was written.
    assert finding.span.text == "GoFundMe.com/f/Help-Our-School!"
    assert text[finding.span.start : finding.span.end] == finding.span.text


def test_custom_words_are_whole_words_in_any_spelling(engine: RulesEngine) -> None:
    school = profile()
    verdict = engine.evaluate("Selling RAFFLE-TICKETS and a t0mbola at the gate.", school)
    assert [(f.rule_id, f.span.text) for f in verdict.findings] == [
        ("no-raffles", "RAFFLE-TICKETS"),
        ("no-raffles", "t0mbola"),
    ]
    assert {f.clause for f in verdict.findings} == {Clause.COMPLAINTS}  # the category's
    assert {f.severity for f in verdict.findings} == {Severity.MEDIUM}  # the default
    assert not engine.evaluate("the tombolas and raffles were fun", school).flagged


def test_a_pattern_with_nested_repetition_cannot_hang_the_bot(engine: RulesEngine) -> None:
    """Python's re needs about four times as long for every two more words here (see
    bench/bench_bad_input.py): a capped message of them would take longer than the universe
    has existed. That this test finishes is the proof."""
    with pytest.raises(ConfigError, match="would flag everyday messages"):
        profile(NESTED)  # "nothing but words" is most of what parents write
    school = unchecked_profile(NESTED)
    assert compile_pattern(r"(a+)+$").search("a" * 50_000 + "!") is None
    words = "ab " * (MAX_CHARS // 3) + "!"
    assert not engine.evaluate(words, school).flagged
    [finding] = engine.evaluate("ab ab ab", school).findings
    assert (finding.rule_id, finding.span.text) == ("words-and-more-words", "ab ab ab")


@given(messages)
@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_custom_rules_never_make_the_core_fail(
    engine: RulesEngine, rules_failures: EngineFailures, text: str
) -> None:
    verdict = engine.evaluate(text, CUSTOM)
    assert rules_failures.records == []
    for finding in verdict.findings:
        span = finding.span
        assert 0 <= span.start < span.end <= min(len(text), MAX_CHARS)
        assert text[span.start : span.end] == span.text


CUSTOM = profile()


async def test_a_custom_rule_reminds_the_sender_and_alerts_slt(tmp_path: Path) -> None:
    config: Config = parse_config(
        SCHOOL + RULES + f"local: {{}}\nstorage: {{path: '{tmp_path / 'db.sqlite3'}'}}\n",
        "school.yaml",
    )
    clock = ManualClock()
    local = LocalPlatform(clock=clock)
    parent = LocalPlatform.user("p-amy", "Amy")
    async with App(config, [local], clock=clock) as app:
        await local.send("year3", parent, "Tombola on Friday, bring prizes")
        await app.drain()
        [incident] = await app.store.incidents()
        assert incident.categories == ("complaint",)
        [reminder] = [s.text for s in local.seen_by(parent.user_id) if s.kind == "reminder"]
        [alert] = [s.text for s in local.seen_by("slt-shah") if s.kind == "alert"]
    assert config.schools[0].policy.clause(Clause.COMPLAINTS) in reminder
    assert "a raffle, which the school asks parents to run through the PTA" in alert


@pytest.mark.parametrize(
    ("pattern", "reason"),
    [
        (r"(a)\1", "invalid escape sequence: \\1"),
        ("(?=gofundme)", "invalid perl operator: (?="),
        ("(?<!my )number", "invalid perl operator: (?<!"),
        ("(gofundme", "missing ): (gofundme"),
        ("[z-a]", "invalid character class range: z-a"),
        ("a{1001}", "invalid repetition size: {1001}"),
    ],
    ids=["backreference", "lookahead", "lookbehind", "unbalanced", "range", "repetition"],
)
def test_a_pattern_re2_refuses_is_one_config_error(
    pattern: str, reason: str, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "school.yaml"
    bad = f"""\
      - id: bad-one
        category: complaint
        reason: something
        pattern: '{pattern}'
"""
    path.write_text(SCHOOL + RULES.split("      - id: no-raffles")[0] + bad, "utf-8")
    assert main(["check-config", str(path)]) == 2
    err = capfd.readouterr().err  # file descriptors: RE2 itself logs nothing either
    assert "Traceback" not in err
    assert err.splitlines() == [
        f"{path}:20: schools[0].custom_rules[1].pattern: RE2 cannot use this pattern: {reason}"
    ]


@pytest.mark.parametrize(
    ("rule", "line", "problem"),
    [
        (
            "      - {id: nothing, category: complaint, reason: x}\n",
            11,
            "schools[0].custom_rules[0]: give a pattern or words to match",
        ),
        (
            "      - {id: a, category: complaint, reason: x, words: [b]}\n"
            "      - {id: a, category: abuse, reason: y, words: [c]}\n",
            12,
            "schools[0].custom_rules[1].id: custom rule id 'a' is used twice",
        ),
        (
            "      - {id: a, category: fundraising, reason: x, words: [b]}\n",
            11,
            "schools[0].custom_rules[0].category: 'fundraising' is not one of abuse, threat, "
            "discrimination, staff, pupil, private, complaint",
        ),
        (
            "      - {id: a, category: private, reason: x, words: [b], clause: privcy}\n",
            11,
            "schools[0].custom_rules[0].clause: 'privcy' is not one of respect, threats, "
            "discrimination, staff, pupils, privacy, complaints, closure; did you mean 'privacy'?",
        ),
    ],
    ids=["nothing to match", "same id", "unknown category", "unknown clause"],
)
def test_other_custom_rule_mistakes(
    rule: str, line: int, problem: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "school.yaml"
    path.write_text(SCHOOL + rule, "utf-8")
    assert main(["check-config", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.splitlines() == [f"{path}:{line}: {problem}"]


def test_the_example_config_shows_custom_rules_that_work(engine: RulesEngine) -> None:
    """The commented example in config.example.yaml, uncommented, is valid and flags."""
    lines = EXAMPLE.read_text("utf-8").splitlines()
    start = lines.index("    # custom_rules:") + 1
    block = []
    for line in lines[start:]:
        if not line.startswith("    #   "):
            break
        block.append("      " + line.removeprefix("    #   "))
    school = profile("\n".join(block) + "\n")
    verdict = engine.evaluate("Raffle tickets at gofundme.com/f/pta", school)
    assert {f.rule_id for f in verdict.findings} == {"no-fundraising-links", "no-raffles"}
