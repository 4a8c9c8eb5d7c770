"""Long messages: the rules core reads each one whole, up to the longest message a platform
allows, and its work grows in proportion to the length, even for a phrase repeated with no
sentence break (which once took work growing with the cube of the length: 16 s for 4,000
characters, with every platform's alerts waiting behind it).

Work is counted, not timed: the number of Python and built-in function calls one evaluation
makes, the same on every machine."""

from __future__ import annotations

import sys
from types import FrameType
from typing import Any

import pytest

from bench.bench_slow_inputs import KNOWN_SLOW
from rules import Category, RulesEngine, SchoolProfile, StaffMember
from rules.normalise import MAX_CHARS

STAFF = (
    StaffMember("hughes", "Miss", "Ruth", "Hughes", ("headteacher", "head")),
    StaffMember("cox", "Mrs", "Helen", "Cox", ("SENCo",)),
    StaffMember("carter", "Mr", "James", "Carter", ("deputy head",)),
)
# Each took seconds to a minute at 4,000 characters (the slow-input benchmark's list).
SLOWEST = KNOWN_SLOW
ABUSE = "Miss Hughes is a useless idiot and should be sacked"
# The longest message each platform lets a member post.
PLATFORM_LIMITS = {"telegram": 4096, "discord": 2000, "discord nitro": 4000, "slack": 40_000}
FILLERS = {
    "zero-width spaces": "\u200b",
    "spaces": " ",
    "pleasant filler": "Lovely to see everyone at the fair, thanks for all the cakes! ",
}


@pytest.fixture(scope="module")
def school() -> SchoolProfile:
    return SchoolProfile.build("riverside", STAFF, ("Noah",))


def repeated(phrase: str, size: int) -> str:
    return (phrase * (size // len(phrase) + 1))[:size]


def work(engine: RulesEngine, text: str, school: SchoolProfile) -> int:
    """Function calls made while evaluating `text`."""
    calls = 0

    def count(frame: FrameType, event: str, arg: Any) -> None:
        nonlocal calls
        calls += event in ("call", "c_call")

    sys.setprofile(count)
    try:
        engine.evaluate(text, school)
    finally:
        sys.setprofile(None)
    return calls


@pytest.mark.parametrize("phrase", SLOWEST)
def test_work_grows_in_proportion_to_the_length(
    engine: RulesEngine, school: SchoolProfile, phrase: str
) -> None:
    engine.evaluate(repeated(phrase, 4000), school)  # memos filled: both runs start alike
    short, long = (
        work(engine, repeated(phrase, 4000), school),
        work(engine, repeated(phrase, 16_000), school),
    )
    assert engine.evaluate(repeated(phrase, 16_000), school).flagged
    assert long / short < 4 * 1.25, f"16 KB cost {long / short:.1f} times 4 KB"


@pytest.mark.parametrize("phrase", SLOWEST)
def test_a_repeated_phrase_costs_no_more_per_character_than_once_said(
    engine: RulesEngine, school: SchoolProfile, phrase: str
) -> None:
    """1 KB against 4 KB too: before messages were read whole, 16 KB was cut to 4 KB."""
    engine.evaluate(repeated(phrase, 1000), school)
    short, long = (
        work(engine, repeated(phrase, 1000), school),
        work(engine, repeated(phrase, 4000), school),
    )
    assert long / short < 4 * 1.25, f"4 KB cost {long / short:.1f} times 1 KB"


@pytest.mark.parametrize("platform", PLATFORM_LIMITS)
@pytest.mark.parametrize("filler", FILLERS)
def test_abuse_after_filler_is_found_up_to_the_platform_limit(
    engine: RulesEngine, school: SchoolProfile, platform: str, filler: str
) -> None:
    """What readers see is the abusive sentence; what comes before it may be anything."""
    padding = repeated(FILLERS[filler], PLATFORM_LIMITS[platform] - len(ABUSE) - 1)
    text = padding + " " + ABUSE
    assert len(text) == PLATFORM_LIMITS[platform] <= MAX_CHARS
    verdict = engine.evaluate(text, school)
    assert Category.STAFF in verdict.categories
    assert verdict.staff == ("hughes",)
    for finding in verdict.findings:
        assert finding.span.start > len(padding)
        assert text[finding.span.start : finding.span.end] == finding.span.text
