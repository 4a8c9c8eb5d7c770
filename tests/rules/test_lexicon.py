"""The data files under rules/data/: well-formed, and used the way the engine expects."""

from __future__ import annotations

import re

import pytest

from rules import Category, RulesEngine, SchoolProfile
from rules.lexicon import LexiconError, Mode, Pattern, load_lexicon


def test_every_rule_has_a_readable_reason_that_quotes_no_listed_word() -> None:
    lex = load_lexicon()
    slurs = {w for w in lex.words_in("SLUR") | lex.words_in("INSULT_STRONG") if len(w) > 3}
    rules = [t.rule for terms in lex.terms.values() for t in terms]
    rules += [p.rule for p in lex.phrases]
    assert len(rules) > 50
    for rule in rules:
        assert len(rule.reason) > 5, rule.id
        words = set(re.findall(r"[a-z]+", rule.reason.casefold()))
        assert not words & slurs, rule.id


def test_slurs_are_flagged_wherever_they_appear() -> None:
    lex = load_lexicon()
    for terms in lex.terms.values():
        for term in terms:
            if term.rule.category is Category.DISCRIMINATION:
                assert term.rule.mode is Mode.ALWAYS, term


@pytest.mark.parametrize("word", ["cunt", "wanker", "nigger", "pikey", "faggot", "spastic"])
def test_listed_words_hidden_inside_longer_words_are_not_matched(
    engine: RulesEngine, empty_school: SchoolProfile, word: str
) -> None:
    assert engine.evaluate(f"you {word}", empty_school).flagged
    assert not engine.evaluate(f"the {word}ford and {word}ley roads", empty_school).flagged


def test_the_allow_list_protects_place_and_dish_names(
    engine: RulesEngine, empty_school: SchoolProfile
) -> None:
    for text in ("Dick Whittington", "spotted dick", "blue tit", "faggots and peas"):
        assert not engine.evaluate(f"We loved the {text}", empty_school).flagged
    assert engine.evaluate("what a dick", empty_school).flagged


def test_every_phrase_pattern_compiles() -> None:
    """Patterns compile when first searched: this is where a broken one is caught."""
    phrases = load_lexicon().phrases
    patterns = [
        p
        for phrase in phrases
        for p in (*phrase.patterns, *phrase.unless, *phrase.context, *phrase.cleared_by)
    ] + [p for phrase in phrases for p in phrase.cleared_unless]
    assert len(patterns) > 600
    for pattern in patterns:
        assert pattern.compiled.pattern == pattern.source


def test_a_broken_pattern_is_named_when_compiled() -> None:
    broken = Pattern("(?:unclosed", "rules/data/phrases/abuse.yaml: entry abuse.example/x")
    with pytest.raises(LexiconError, match=r"entry abuse\.example/x: bad pattern"):
        broken.search("any text")
