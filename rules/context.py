"""One message made ready for matching: its words, its sentences and clauses, and the people
and school it names masked out, so that patterns can say "a member of staff" ({STAFF})."""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from dataclasses import dataclass

from rules.lexicon import MASK_NAMED, MASK_PUPIL, MASK_SCHOOL, MASK_STAFF, NameWords
from rules.normalise import Normalised, Token
from rules.profile import Mention

_SENTENCE = re.compile(r"[.!?]+(?=[\s\"')\]]|$)|[;\n]+")
_CLAUSE = re.compile(
    r"[.!?]+(?=[\s\"')\]]|$)|[;\n,:()]+|\s[-\u2013\u2014]\s"
    r"|\b(?:but|because|cos|coz|although|though|whereas|while|whilst|as long as|so long as)\b"
    r"|\bso(?= (?:i|i'm|we|he|she|they|it|you|the|my|our|now|then)\b)"  # "so" joining clauses
)
# A word of the masked text, or a masked person (the masks are control characters).
WORD = re.compile(r"[a-z0-9']+|[\x01\x02\x03]+")
PERSON_MASKS = MASK_STAFF + MASK_PUPIL + MASK_NAMED
_ASIDE = re.compile(r" ?\([^()\n.!?]{1,24}\)")
# The longest stretch read as one sentence. Checks look at a remark's whole sentence and clause
# for its subject, warmth or laughter; a run-on message repeating a phrase with no break at all
# would make each remark's look cost the whole message, and the message the square of its
# length. Past this, a sentence (and the clause it ends) is cut at a space: no natural sentence
# of the test sets, evaluation sets or 25,000 tweets is half as long (the longest is 148).
LONGEST_SENTENCE = 300


@dataclass(frozen=True, slots=True)
class Context:
    """Everything one evaluation works on. Offsets are into the normalised text."""

    doc: Normalised
    tokens: tuple[Token, ...]
    mentions: tuple[Mention, ...]
    masked: str  # doc.text with roster people, other first names and the school masked
    sentences: tuple[tuple[int, int], ...]
    clauses: tuple[tuple[int, int], ...]
    sentence_starts: tuple[int, ...]
    clause_starts: tuple[int, ...]
    school_tokens: frozenset[int]  # tokens naming the school itself

    def sentence_of(self, pos: int) -> int:
        return max(0, bisect.bisect_right(self.sentence_starts, pos) - 1)

    def clause_of(self, pos: int) -> int:
        return max(0, bisect.bisect_right(self.clause_starts, pos) - 1)

    def sentence(self, pos: int) -> tuple[int, int]:
        return self.sentences[self.sentence_of(pos)]

    def clause(self, pos: int) -> tuple[int, int]:
        return self.clauses[self.clause_of(pos)]

    def words(self, start: int, end: int) -> list[str]:
        return WORD.findall(self.masked, start, end)


def build_context(
    doc: Normalised,
    tokens: tuple[Token, ...],
    mentions: Sequence[Mention],
    school: Sequence[tuple[int, int]],
    names: NameWords,
) -> Context:
    """Mask the people in the text (roster mentions, first names of anyone else) and the
    school's own name, and find its sentences and clauses."""
    masks = [(m.start, m.end, MASK_STAFF if m.staff_ids else MASK_PUPIL) for m in mentions]
    taken = {i for m in mentions for i in range(m.first_token, m.last_token + 1)}
    school_tokens: set[int] = set()
    for first, last in school:
        if not taken.intersection(range(first, last + 1)):
            masks.append((tokens[first].start, tokens[last].end, MASK_SCHOOL))
            school_tokens.update(range(first, last + 1))
    taken |= school_tokens
    for tok in tokens:
        if (
            tok.text in names.first_names
            and tok.n not in taken
            and (tok.text not in names.common_words or doc.is_capitalised(tok.start))
        ):
            masks.append((tok.start, tok.end, MASK_NAMED))
    pieces, at = [], 0
    for start, end, mark in sorted(masks):
        pieces += [doc.text[at:start], mark * (end - start)]
        at = end
    masked = _with_asides("".join(pieces) + doc.text[at:], mentions)
    sentences = _segments(_SENTENCE, masked)
    natural = {m.end() for m in _SENTENCE.finditer(masked)}
    cuts = {end for _, end in sentences[:-1]} - natural  # where a long sentence was cut
    clauses = _segments(_CLAUSE, masked, cuts)
    return Context(
        doc=doc,
        tokens=tokens,
        mentions=tuple(mentions),
        masked=masked,
        sentences=sentences,
        clauses=clauses,
        sentence_starts=tuple(s for s, _ in sentences),
        clause_starts=tuple(s for s, _ in clauses),
        school_tokens=frozenset(school_tokens),
    )


def _with_asides(masked: str, mentions: Sequence[Mention]) -> str:
    """A short aside in brackets right after a member of staff ("Mrs Shah (head)", "Mr Moss
    (year 5)") is part of naming them, so it neither splits the clause nor stands between
    them and what is said of them."""
    for m in mentions:
        if not m.staff_ids:
            continue
        aside = _ASIDE.match(masked, m.end)
        if aside and not any(c in aside.group() for c in (MASK_PUPIL, MASK_NAMED)):
            masked = masked[: m.end] + MASK_STAFF * len(aside.group()) + masked[aside.end() :]
    return masked


def _segments(
    pattern: re.Pattern[str], text: str, cuts: set[int] | None = None
) -> tuple[tuple[int, int], ...]:
    """The stretches ending at each match of `pattern` (and at `cuts`), the last running to the
    end of the text; none longer than LONGEST_SENTENCE."""
    ends = [m.end() for m in pattern.finditer(text)]
    if cuts:
        ends = sorted(set(ends) | cuts)
    out: list[tuple[int, int]] = []
    at = 0
    for end in ends:
        out += _cut(text, at, end)
        at = end
    out += _cut(text, at, max(len(text), at))
    return tuple(out)


def _cut(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """[start, end) in pieces of at most LONGEST_SENTENCE characters, each ending after a space
    where there is one."""
    out = []
    while end - start > LONGEST_SENTENCE:
        space = text.rfind(" ", start + 1, start + LONGEST_SENTENCE)
        cut = space + 1 if space > start else start + LONGEST_SENTENCE
        out.append((start, cut))
        start = cut
    out.append((start, end))
    return out
