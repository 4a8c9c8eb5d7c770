"""What the learned stage reads of a message."""

from __future__ import annotations

import itertools

from hypothesis import given
from hypothesis import strategies as st

from learned.features import PIECE_CHARS, PUPIL, STAFF, ngrams, pieces, prepare, prepared_pieces
from rules import Named, Span


def named(text: str, words: str, staff: bool = True) -> Named:
    start = text.index(words)
    span = Span(start, start + len(words), words)
    return Named(span, ("hughes",)) if staff else Named(span, (), words)


def test_roster_people_become_placeholders() -> None:
    text = "Mrs Hughes shouted at Noah AGAIN"
    people = (named(text, "Mrs Hughes"), named(text, "Noah", staff=False))
    assert prepare(text, people) == f"{STAFF} shouted at {PUPIL} again"


def test_invisible_characters_repeats_and_spacing_are_folded() -> None:
    assert prepare("so\u200b\u200bo   stuuuupid\n\nreally") == "soo stuupid really"
    assert prepare("\uff33\uff28\uff2f\uff35\uff34") == "shout"  # full-width letters, NFKC


def test_word_and_character_ngrams() -> None:
    grams = list(ngrams("you idiot"))
    assert " y" in grams
    assert "idiot" in grams
    assert "\tyou idiot" in grams
    assert "\tidiot" in grams


@given(st.text(alphabet=st.sampled_from("ab \n.,"), max_size=3 * PIECE_CHARS))
def test_pieces_cover_the_text_in_order_and_stay_short(text: str) -> None:
    cut = pieces(text)
    if len(text) <= PIECE_CHARS:
        assert cut == [(0, len(text))]
        return
    assert all(0 <= a < b <= len(text) for a, b in cut)
    assert all(b <= c for (_, b), (c, _) in itertools.pairwise(cut))
    assert all(b - a <= PIECE_CHARS for a, b in cut)
    covered = "".join(text[a:b] for a, b in cut)
    assert covered.split() == text.split() or not text.strip()


def test_a_long_message_is_read_in_pieces_with_names_kept_in_their_piece() -> None:
    filler = "lovely day at the park with the kids. " * 40
    text = filler + "Mrs Hughes is a useless idiot"
    people = (named(text, "Mrs Hughes"),)
    read = prepared_pieces(text, people)
    assert len(read) > 1
    start, end, last = read[-1]
    assert text[start:end].strip() == "Mrs Hughes is a useless idiot"
    assert last == f"{STAFF} is a useless idiot"
