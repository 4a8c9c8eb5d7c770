"""The rules core on hostile text: it never fails, it reads a capped length, and characters a
reader cannot see change nothing.

"Never raises" alone proves little, since `evaluate` catches its own failures; these tests
assert that it never had to (nothing logged under `rules`)."""

from __future__ import annotations

import random
from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from bench.common import EngineFailures
from rules import RulesEngine, SchoolProfile, Verdict
from rules.normalise import MAX_CHARS
from tests.badinput.text import (
    EMOJI,
    HIDDEN_CONTROLS,
    INVISIBLE,
    RTL,
    WHITESPACE_CONTROLS,
    blank,
    emoji_only,
    messages,
    rtl_only,
)

FUZZ = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
MEGABYTE = 1_000_000

# Flagged messages of every category, none relying on a phone number or address (whose
# digits an inserted character would split: that is a different message).
FLAGGED = (
    "you stupid cow",
    "Mr Carter is useless and should be sacked",
    "I'll punch her in the face at pickup",
    "Noah is a nasty little brat",
    "what a c.u.n.t",
    "f*ck off Sharon",
    "this school is a shambles",
    "the p a k i family",
)


def findings(verdict: Verdict) -> list[tuple[str, str]]:
    return sorted((f.category.value, f.rule_id) for f in verdict.findings)


def assert_quotes_within_cap(text: str, verdict: Verdict) -> None:
    for finding in verdict.findings:
        span = finding.span
        assert 0 <= span.start < span.end <= min(len(text), MAX_CHARS)
        assert text[span.start : span.end] == span.text


@given(messages)
@FUZZ
def test_any_text_is_judged_without_a_failure(
    engine: RulesEngine, school: SchoolProfile, rules_failures: EngineFailures, text: str
) -> None:
    verdict = engine.evaluate(text, school)
    assert rules_failures.records == []
    assert_quotes_within_cap(text, verdict)
    assert engine.evaluate(text, school) == verdict  # deterministic


@given(messages.filter(bool), st.integers(min_value=1, max_value=3))
@FUZZ
def test_only_the_capped_length_is_read(
    engine: RulesEngine,
    school: SchoolProfile,
    rules_failures: EngineFailures,
    text: str,
    extra: int,
) -> None:
    long = text * (MAX_CHARS // len(text) + extra)
    verdict = engine.evaluate(long, school)
    assert rules_failures.records == []
    assert_quotes_within_cap(long, verdict)
    assert verdict == engine.evaluate(long[:MAX_CHARS], school)


def _megabyte(kind: str) -> str:
    """A message of at least a megabyte in UTF-8, made of one kind of text."""
    pick = random.Random(kind)
    pieces: Callable[[], str] = {
        "printable": lambda: pick.choice("abc XYZ.,!?'0123\n"),
        "code points": lambda: chr(pick.randrange(0x110000)),
        "one word": lambda: "a",
        "spaced letters": lambda: "a ",
        "emoji": lambda: pick.choice(EMOJI),
        "right to left": lambda: pick.choice(RTL) + " ",
        "controls": lambda: pick.choice(HIDDEN_CONTROLS + WHITESPACE_CONTROLS),
        "invisible": lambda: pick.choice(INVISIBLE),
        "insults": lambda: "you stupid cow. ",
    }[kind]
    parts: list[str] = []
    size = 0
    while size < MEGABYTE:
        parts.append(pieces())
        size += len(parts[-1].encode("utf-8", "surrogatepass"))
    return "".join(parts)


@pytest.mark.parametrize(
    "kind",
    [
        "printable",
        "code points",
        "one word",
        "spaced letters",
        "emoji",
        "right to left",
        "controls",
        "invisible",
        "insults",
    ],
)
def test_a_megabyte_message_is_read_up_to_the_cap(
    engine: RulesEngine, school: SchoolProfile, rules_failures: EngineFailures, kind: str
) -> None:
    text = _megabyte(kind)
    verdict = engine.evaluate(text, school)
    assert rules_failures.records == []
    assert_quotes_within_cap(text, verdict)
    assert verdict.flagged == (kind == "insults")


def test_abuse_beyond_the_cap_is_not_read_but_before_it_is(
    engine: RulesEngine, school: SchoolProfile
) -> None:
    filler = "See you all at the summer fair on Saturday. " * (MEGABYTE // 44)
    assert not engine.evaluate(filler + "you stupid cow", school).flagged
    verdict = engine.evaluate("you stupid cow. " + filler, school)
    assert "stupid cow" in {f.span.text for f in verdict.findings}
    assert all(f.span.end <= len("you stupid cow") for f in verdict.findings)


@given(st.one_of(st.just(""), blank, emoji_only, rtl_only))
@FUZZ
def test_empty_blank_emoji_and_right_to_left_text_is_not_flagged(
    engine: RulesEngine, school: SchoolProfile, rules_failures: EngineFailures, text: str
) -> None:
    assert engine.evaluate(text, school) == Verdict()
    assert rules_failures.records == []


def _insert(text: str, extra: str, at: list[int]) -> str:
    """`text` with `extra` inserted before each position in `at` (all within letters)."""
    out = text
    for position in sorted(at, reverse=True):
        out = out[:position] + extra + out[position:]
    return out


def _inside_words(text: str) -> list[int]:
    return [i for i in range(1, len(text)) if text[i - 1].isalpha() and text[i].isalpha()]


@given(
    st.sampled_from(FLAGGED),
    st.sampled_from(INVISIBLE + HIDDEN_CONTROLS),
    st.data(),
)
@FUZZ
def test_invisible_characters_hide_nothing(
    engine: RulesEngine, school: SchoolProfile, text: str, hidden: str, data: st.DataObject
) -> None:
    """A zero-width space, a direction mark or a control character inside words: the reader
    sees the same message, and so does the rules core."""
    at = data.draw(st.lists(st.sampled_from(_inside_words(text)), min_size=1, max_size=5))
    expected = findings(engine.evaluate(text, school))
    assert expected
    assert findings(engine.evaluate(_insert(text, hidden, at), school)) == expected


@given(st.sampled_from(FLAGGED), st.sampled_from(WHITESPACE_CONTROLS), st.data())
@FUZZ
def test_whitespace_controls_are_spaces(
    engine: RulesEngine, school: SchoolProfile, text: str, space: str, data: st.DataObject
) -> None:
    gaps = [i for i, c in enumerate(text) if c == " "]
    assume(gaps)
    at = data.draw(st.lists(st.sampled_from(gaps), min_size=1, max_size=3, unique=True))
    changed = "".join(space if i in at else c for i, c in enumerate(text))
    assert findings(engine.evaluate(changed, school)) == findings(engine.evaluate(text, school))
