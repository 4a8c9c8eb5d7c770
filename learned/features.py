"""What the learned stage reads of a message: its text with roster people replaced by
placeholders, folded, and cut into character and word n-grams.

Training (`train/`) and the bot use this one module, so the model always sees messages the way it
was taught. Names become placeholders because a model that learnt "Hughes" would be no use at a
school without a Mrs Hughes: it learns "<member of staff> wants sacking" instead.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Sequence

from rules import Named, Span

# Private-use characters: no message means them, and Unicode normalisation leaves them alone.
STAFF = "\ue000"  # a member of staff of the school's roster
PUPIL = "\ue001"  # a pupil of the school's roster
CHAR_SIZES = (2, 3, 4, 5)
PIECE_CHARS = 600  # a longer message is read sentence by sentence, and no piece is longer

_REPEATS = re.compile(r"(.)\1{2,}")  # "sooooo" reads as "soo"
_SPACES = re.compile(r"\s+")
_WORDS = re.compile(r"[\w\ue000\ue001']+|[^\w\s]")
_SENTENCE = re.compile(r"[^.!?\n]*(?:[.!?\n]+|$)")


def prepare(text: str, named: Sequence[Named] = ()) -> str:
    """The message as the model reads it: names as placeholders, NFKC, lower case, invisible
    characters gone, long runs of one character shortened, whitespace single spaces."""
    parts: list[str] = []
    at = 0
    for person in sorted(named, key=lambda n: n.span.start):
        if person.span.start < at or person.span.end > len(text):
            continue
        parts += (text[at : person.span.start], f" {STAFF if person.staff_ids else PUPIL} ")
        at = person.span.end
    parts.append(text[at:])
    folded = unicodedata.normalize("NFKC", "".join(parts)).lower()
    visible = "".join(c for c in folded if unicodedata.category(c) != "Cf")
    return _SPACES.sub(" ", _REPEATS.sub(r"\1\1", visible)).strip()


def pieces(text: str) -> list[tuple[int, int]]:
    """[start, end) ranges of the original text to read apart: the whole of a message up to
    PIECE_CHARS, else each sentence (a run-on stretch cut at spaces into PIECE_CHARS at most),
    so a long message costs time in proportion to its length and one bad sentence is not
    diluted by pages of pleasant filler."""
    if len(text) <= PIECE_CHARS:
        return [(0, len(text))]
    out: list[tuple[int, int]] = []
    for sentence in _SENTENCE.finditer(text):
        start, end = sentence.span()
        while end - start > PIECE_CHARS:
            cut = text.rfind(" ", start + PIECE_CHARS // 2, start + PIECE_CHARS)
            cut = cut if cut > start else start + PIECE_CHARS
            out.append((start, cut))
            start = cut
        if text[start:end].strip():
            out.append((start, end))
    return out


def ngrams(prepared: str) -> Iterator[str]:
    """Character n-grams of the text padded with spaces, then word unigrams and bigrams
    (marked with a tab, which prepared text never holds)."""
    padded = f" {prepared} "
    for n in CHAR_SIZES:
        for i in range(len(padded) - n + 1):
            yield padded[i : i + n]
    words = _WORDS.findall(prepared)
    for i, word in enumerate(words):
        yield f"\t{word}"
        if i:
            yield f"\t{words[i - 1]} {word}"


def prepared_pieces(text: str, named: Sequence[Named] = ()) -> list[tuple[int, int, str]]:
    """Each piece of the message ([start, end) of the original text) as the model reads it."""
    out = []
    for start, end in pieces(text):
        inside = [
            Named(Span(n.span.start - start, n.span.end - start, n.span.text), n.staff_ids, n.pupil)
            for n in named
            if start <= n.span.start and n.span.end <= end
        ]
        out.append((start, end, prepare(text[start:end], inside)))
    return out
