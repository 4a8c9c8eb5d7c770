"""The normaliser undoes disguises and keeps a map back to the original text."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rules.lexicon import normaliser
from rules.normalise import MAX_CHARS, tokenise

# Text built from pieces that exercise every rewrite: leetspeak, stars, spacing, repeats,
# look-alikes, zero-width characters, ligatures and arbitrary Unicode.
_PIECES = st.sampled_from(
    [
        "sh1t",
        "f*ck",
        "c.u.n.t",
        "f u c k",
        "stuuupid",
        "moronnnn",
        "d\u0456ckhead",
        "id\u200diot",
        "\ufb01ne",
        "Stra\u00dfe",
        "Mr Carter's",
        "07700 900456",
        " ",
        ".",
        "3pm",
        "y3",
        "\u0130",
        "e\u0301",
        "\U0001f602",
        "w@nker",
        "n1gg3r",
        "p a k i",
    ]
)
_TEXT = st.one_of(st.text(), st.lists(st.one_of(_PIECES, st.text(max_size=3))).map("".join))


@given(_TEXT)
@settings(max_examples=400, deadline=None)
def test_every_normalised_character_maps_back_into_the_original(text: str) -> None:
    doc = normaliser()(text)
    assert len(doc.starts) == len(doc.ends) == len(doc.text)
    for i in range(len(doc.text)):
        assert 0 <= doc.starts[i] < doc.ends[i] <= len(doc.original)
        if i:
            assert doc.starts[i] >= doc.starts[i - 1]  # order is kept
    for a in range(0, len(doc.text), 3):
        for b in range(a + 1, min(len(doc.text), a + 7) + 1):
            span = doc.span(a, b)
            assert text[span.start : span.end] == span.text
            assert span.text  # never an empty quote


@pytest.mark.parametrize(
    ("written", "word"),
    [
        ("sh1t", "shit"),
        ("b1tch", "bitch"),
        ("w@nker", "wanker"),
        ("f*ck", "fuck"),
        ("c**t", "cunt"),
        ("d\u0456ckhead", "dickhead"),  # Cyrillic i
        ("\u0455\u0442\u0443pid", "stypid"),  # look-alikes are mapped letter by letter
        ("id\u200biot", "idiot"),  # zero-width space
        ("MORONNNN", "moron"),
        ("stuuuupid", "stupid"),
        ("\uff46\uff55\uff43\uff4b", "fuck"),  # full-width letters
        ("\U0001d41f\U0001d42e\U0001d41c\U0001d424", "fuck"),  # mathematical bold
        ("Turn3r", "turner"),
    ],
)
def test_disguised_spellings_are_undone(written: str, word: str) -> None:
    assert word in [t.text for t in tokenise(normaliser()(f"you {written} there"))]


@pytest.mark.parametrize(
    ("written", "joined"),
    [("f u c k", "fuck"), ("c.u.n.t", "cunt"), ("p a k i", "paki"), ("s-t-f-u", "stfu")],
)
def test_spaced_letters_are_joined_when_they_spell_a_listed_word(written: str, joined: str) -> None:
    doc = normaliser()(f"you {written} mate")
    token = next(t for t in tokenise(doc) if t.text == joined)
    assert doc.span(token.start, token.end).text == written


@pytest.mark.parametrize("text", ["a b c d", "I a m here", "Year 3 at 3pm", "the 5th of May"])
def test_ordinary_letters_and_numbers_are_left_alone(text: str) -> None:
    assert normaliser()(text).text == text.lower()


def test_the_analysed_length_is_capped() -> None:
    doc = normaliser()("x" * (MAX_CHARS * 3))
    assert len(doc.original) == MAX_CHARS
