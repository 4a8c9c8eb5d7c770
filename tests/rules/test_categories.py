"""Each category with positive and negative cases (tests/rules/corpus.py: Oakfield's roster)."""

from __future__ import annotations

import pytest

from rules import RulesEngine, SchoolProfile
from tests.rules import corpus

POSITIVES = [
    pytest.param(text, cats, staff, id=f"{group}: {text[:40]}")
    for group, cases in [
        ("abuse", corpus.ABUSE),
        ("threat", corpus.THREAT),
        ("discrimination", corpus.DISCRIMINATION),
        ("staff", corpus.STAFF_CASES),
        ("pupil", corpus.PUPIL),
        ("private", corpus.PRIVATE),
        ("complaint", corpus.COMPLAINT),
    ]
    for text, cats, staff in cases
]


@pytest.mark.parametrize(("text", "categories", "staff"), POSITIVES)
def test_breaches_are_flagged_with_their_category_and_staff(
    engine: RulesEngine,
    school: SchoolProfile,
    text: str,
    categories: tuple[str, ...],
    staff: tuple[str, ...],
) -> None:
    verdict = engine.evaluate(text, school)
    assert set(categories) <= set(verdict.categories), verdict.findings
    assert set(staff) <= set(verdict.staff), verdict.findings


@pytest.mark.parametrize("text", [pytest.param(t, id=t[:50]) for (t,) in corpus.NEGATIVES])
def test_ordinary_messages_are_not_flagged(
    engine: RulesEngine, school: SchoolProfile, text: str
) -> None:
    verdict = engine.evaluate(text, school)
    assert not verdict.flagged, [(f.rule_id, f.span.text) for f in verdict.findings]


@pytest.mark.parametrize(
    "text",
    ["what a c.u.n.t", "you n1gger", "the p a k i family", "she's a gyppo", "you retard"],
)
def test_reasons_describe_slurs_without_repeating_them(
    engine: RulesEngine, school: SchoolProfile, text: str
) -> None:
    verdict = engine.evaluate(text, school)
    assert verdict.flagged
    for finding in verdict.findings:
        assert finding.span.text.casefold() not in finding.reason.casefold()
        for word in ("cunt", "nigger", "paki", "gyppo", "retard"):
            assert word not in finding.reason.casefold()


def test_evidence_quotes_what_was_written(engine: RulesEngine, school: SchoolProfile) -> None:
    text = "honestly Mr Br0wn is a \u200bc\u200bl\u200bo\u200bw\u200bn"
    verdict = engine.evaluate(text, school)
    (finding,) = [f for f in verdict.findings if f.category == "staff"]
    assert finding.staff_id == "brown"
    assert finding.span.text == text[finding.span.start : finding.span.end]
    assert finding.span.text.startswith("Mr Br0wn")


def test_insults_aimed_at_staff_are_reported_as_staff(
    engine: RulesEngine, school: SchoolProfile
) -> None:
    verdict = engine.evaluate("Mrs Patel is useless", school)
    assert verdict.categories == ("staff",)
    assert "Mrs Patel" in verdict.reasons[0]


@pytest.mark.parametrize(
    "text",
    [
        "Mrs Patel is a nasty cow",
        "Mr King is a complete tw@t",
        "tell Mrs P to f*** off",
        "Mr Brown is a d1ckhead",
        "the head is a fucking idiot",
        "Miss Wood can go fuck herself",
    ],
)
def test_name_calling_aimed_at_staff_is_abuse_as_well(
    engine: RulesEngine, school: SchoolProfile, text: str
) -> None:
    verdict = engine.evaluate(text, school)
    assert {"staff", "abuse"} <= set(verdict.categories), verdict.findings
    assert verdict.staff


def test_a_negated_remark_about_staff_is_not_flagged(
    engine: RulesEngine, school: SchoolProfile
) -> None:
    assert not engine.evaluate("Mr Brown isn't rude at all, he's lovely", school).flagged
    assert engine.evaluate("Mr Brown is rude", school).flagged


@pytest.mark.parametrize(
    ("text", "staff"),
    [
        ("Mr Brown is lovely but Miss Wood is useless", ("wood",)),
        ("Mr Brown and Miss Wood are both useless", ("brown", "wood")),
        ("Mr Brown, Miss Wood and Mr King are a joke", ("brown", "wood", "king")),
        ("Mr Hill is fine. She is a liar though, the SENCo", ("young",)),
        ("I spoke to Mr Hill. He is a bully.", ("hill",)),
    ],
)
def test_a_remark_goes_to_the_member_of_staff_it_is_about(
    engine: RulesEngine, school: SchoolProfile, text: str, staff: tuple[str, ...]
) -> None:
    assert engine.evaluate(text, school).staff == staff


def test_an_insult_aimed_at_someone_else_does_not_name_staff_negatively(
    engine: RulesEngine, school: SchoolProfile
) -> None:
    verdict = engine.evaluate("Mr Brown had to deal with that idiot dad again", school)
    assert verdict.categories == ("abuse",)
    assert verdict.mentioned_staff == ("brown",)


@pytest.mark.parametrize(
    ("text", "flagged"),
    [
        ("Sharon you're a laughing stock", True),  # "laughing" is part of the insult
        ("you're a joke, everyone laughs at you", True),  # laughing at someone is derision
        ("he's such a clown, always making everyone laugh", False),  # laughing along
        ("I'm a laughing stock in these shorts lol", False),
    ],
)
def test_laughter_makes_a_mild_remark_banter_only_when_it_is_shared(
    engine: RulesEngine, school: SchoolProfile, text: str, flagged: bool
) -> None:
    assert engine.evaluate(text, school).flagged == flagged


@pytest.mark.parametrize(
    ("text", "flagged"),
    [
        ("#OakfieldFail", True),
        ("#ShameOnOakfield", True),
        ("#oakfieldout", True),
        ("#OakfieldProud of our netball team", False),
        ("#Oakfield sports day was ace", False),
    ],
)
def test_hashtags_campaigning_against_the_school_are_complaints(
    engine: RulesEngine, text: str, flagged: bool
) -> None:
    school = SchoolProfile.build("oakfield", [], names=["Oakfield Primary School"])
    verdict = engine.evaluate(text, school)
    assert verdict.flagged == flagged, verdict.findings
    assert not flagged or verdict.categories == ("complaint",)


@pytest.mark.parametrize("text", ["I'm gonna k!ll him", "i will st4b her", "I'll sh00t him"])
def test_violent_verbs_in_disguise_are_threats(
    engine: RulesEngine, school: SchoolProfile, text: str
) -> None:
    assert "threat" in engine.evaluate(text, school).categories
