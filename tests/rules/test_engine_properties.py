"""Properties of `evaluate` for any input: it never raises and always quotes the original."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rules import Category, RulesEngine, SchoolProfile, Severity
from rules.normalise import MAX_CHARS

_WORDS = st.sampled_from(
    [
        "Mr", "Mrs", "Brown", "brown", "Wood", "Patel's", "#sackMrsPatel", "@MrBrown", "the",
        "head", "SENCo", "is", "a", "useless", "c.u.n.t", "f*ck", "idiot", "I'll", "punch",
        "him", "07911 123456", "lives", "on", "Mill", "Lane", "school", "shambles", "Oliver",
        "nasty", "p a k i", "\u200d", "\u0456", ",", ".", "!", "\n", "\U0001f602", "kys",
        "not", "lovely", "said", "my", "I'm", "such", "an",
    ]
)  # fmt: skip
_MESSAGES = st.one_of(
    st.text(max_size=300),
    st.lists(st.one_of(_WORDS, st.text(max_size=4)), max_size=40).map(" ".join),
)


@given(_MESSAGES)
@settings(
    max_examples=500, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_evaluate_never_raises_and_every_span_quotes_the_original(
    engine: RulesEngine, school: SchoolProfile, text: str
) -> None:
    verdict = engine.evaluate(text, school)
    for finding in verdict.findings:
        span = finding.span
        assert 0 <= span.start < span.end <= len(text)
        assert text[span.start : span.end] == span.text
        assert finding.reason
        assert finding.severity in Severity
    assert verdict.flagged == bool(verdict.findings)
    assert set(verdict.staff) <= set(verdict.mentioned_staff)


def test_severity_follows_the_codes(engine: RulesEngine, school: SchoolProfile) -> None:
    threat = engine.evaluate("I'll punch her in the face", school)
    slur = engine.evaluate("the p a k i family", school)
    staff = engine.evaluate("Mr Brown is a muppet", school)
    mild = engine.evaluate("what a muppet", school)
    complaint = engine.evaluate("this school is a shambles", school)
    assert threat.severity is Severity.HIGH
    assert slur.severity is Severity.HIGH
    assert staff.severity is Severity.MEDIUM  # staff named negatively: at least medium
    assert mild.severity is Severity.LOW
    assert complaint.severity is Severity.LOW
    assert Category.STAFF in staff.categories


def test_findings_carry_the_clause_of_their_category(
    engine: RulesEngine, school: SchoolProfile
) -> None:
    verdict = engine.evaluate("Mr Brown is a liar and I'll smash his face in", school)
    clauses = {f.category: f.clause for f in verdict.findings}
    assert clauses[Category.STAFF] == "staff"
    assert clauses[Category.THREAT] == "threats"


def test_a_huge_message_is_analysed_in_bounded_length(
    engine: RulesEngine, school: SchoolProfile
) -> None:
    """Read whole up to the longest message a platform allows (Slack's 40,000 characters),
    and no further."""
    text = "the trip is on Friday. " * 1800 + " you idiot"
    assert len(text) > MAX_CHARS
    assert not engine.evaluate(text, school).flagged  # beyond the analysed length
    assert engine.evaluate("you idiot " + text, school).flagged
    assert engine.evaluate(text[-MAX_CHARS:], school).flagged


def test_pathological_messages_are_still_evaluated(
    engine: RulesEngine, school: SchoolProfile
) -> None:
    # single letters by the thousand, dotted words, repeated letters: all within the cap
    assert not engine.evaluate("a " * 3000, school).flagged
    assert engine.evaluate("c.u.n.t." * 600, school).flagged
    assert not engine.evaluate("o" * 5000, school).flagged
