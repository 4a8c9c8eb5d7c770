"""Finding the lexicon's words and phrases, and private details, in a message.

Terms are looked up word by word. Phrase patterns are only tried near their anchor words: within
the anchor's sentence and no further than a phrase's length away, so a long message costs what
its suspicious parts cost.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from rules.context import PERSON_MASKS, Context
from rules.lexicon import MASK_PUPIL, MASK_STAFF, About, Lexicon, Mode, Pattern, Phrase, Rule
from rules.model import DEFAULT_CLAUSE, Category
from rules.private import Owner, find_private

_REACH = 150  # characters either side of an anchor word that a phrase may extend over
_TERM_GAP = re.compile(r"[ \t\-']{1,3}")


@dataclass(frozen=True, slots=True)
class Hit:
    """A matched term or phrase in the normalised text [start, end)."""

    rule: Rule
    start: int
    end: int
    about: About = About.ANYONE
    framed: bool = False  # the match itself contains a masked person ("Mrs Shah is a snake")
    word: bool = False  # a single listed word or fixed phrase, not a phrase pattern
    # The phrase entry that matched (rules/data/phrases/), for reports: two entries of a rule
    # matching the same words are one hit.
    entry: str = field(default="", compare=False)


def term_hits(ctx: Context, lex: Lexicon) -> list[Hit]:
    """Listed words and fixed phrases, skipping names and allow-listed phrases."""
    tokens = ctx.tokens
    skip = {i for m in ctx.mentions for i in range(m.first_token, m.last_token + 1)}
    skip |= _allowed(ctx, lex)
    hits: list[Hit] = []
    for tok in tokens:
        if tok.n in skip:
            continue
        for term in lex.terms.get(tok.text, ()):
            if term.rule.mode is Mode.CLASS:
                continue
            last = _follows(ctx, tok.n, term.words)
            if last is not None and not skip.intersection(range(tok.n, last + 1)):
                hits.append(Hit(term.rule, tok.start, tokens[last].end, word=True))
    return hits


def phrase_hits(ctx: Context, lex: Lexicon) -> list[Hit]:
    """Phrase patterns, each tried only around the words that anchor it."""
    has_staff = any(m.staff_ids for m in ctx.mentions)
    has_pupil = any(m.pupil for m in ctx.mentions)
    where: dict[str, list[int]] = {}  # word or class -> indices of tokens holding it
    for tok in ctx.tokens:
        where.setdefault(tok.text, []).append(tok.n)
        for cls in lex.word_classes.get(tok.text, ()):
            where.setdefault(cls, []).append(tok.n)
        if tok.n in ctx.school_tokens:
            where.setdefault("SCHOOLNAME", []).append(tok.n)
    todo: dict[tuple[int, int], tuple[Phrase, int]] = {}
    for key in where:
        for phrase, i in lex.patterns_by_anchor.get(key, ()):
            todo.setdefault((id(phrase), i), (phrase, i))
    reach, seen = _Reach(ctx), _Seen(ctx)
    hits: list[Hit] = []
    # Many patterns share their anchors (and a rule's `also`): their windows are worked out once.
    spans: dict[tuple[frozenset[str], frozenset[str]], list[tuple[int, int]]] = {}
    for phrase, i in todo.values():
        if (phrase.about is About.STAFF and not has_staff) or (
            phrase.about is About.PUPIL and not has_pupil
        ):
            continue
        anchors = (phrase.pattern_anchors[i], phrase.also)
        windows = spans.get(anchors)
        if windows is None:
            allowed = reach.sentences(_held(where, phrase.also)) if phrase.also else None
            windows = spans[anchors] = reach.windows(_held(where, anchors[0]), allowed)
        pattern = phrase.patterns[i]
        for w0, w1 in windows:
            if pattern.search(ctx.masked, w0, w1) is not None:  # most windows: no match at all
                hits.extend(_match(ctx, seen, phrase, i, w0, w1))
    return hits


class _Reach:
    """The stretch of text a phrase anchored at each token may cover: its sentence, and no
    further than `_REACH` characters either side. Worked out once per message, and only for
    the tokens that anchor something."""

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx
        self._place: dict[int, tuple[int, int, int]] = {}  # token -> (sentence, w0, w1)
        self._cache: dict[tuple[frozenset[int], frozenset[int] | None], list[tuple[int, int]]] = {}

    def _at(self, n: int) -> tuple[int, int, int]:
        place = self._place.get(n)
        if place is None:
            ctx, tok = self._ctx, self._ctx.tokens[n]
            sentence = ctx.sentence_of(tok.start)
            s0, s1 = ctx.sentences[sentence]
            place = (sentence, max(s0, tok.start - _REACH), min(s1, tok.end + _REACH))
            self._place[n] = place
        return place

    def sentences(self, tokens: set[int]) -> frozenset[int]:
        return frozenset(self._at(n)[0] for n in tokens)

    def windows(self, tokens: set[int], sentences: frozenset[int] | None) -> list[tuple[int, int]]:
        """Merged stretches around `tokens`, only in `sentences` if given."""
        key = (frozenset(tokens), sentences)
        found = self._cache.get(key)
        if found is None:
            merged: list[tuple[int, int]] = []
            for n in sorted(tokens):
                sentence, w0, w1 = self._at(n)
                if sentences is not None and sentence not in sentences:
                    continue
                if merged and w0 <= merged[-1][1]:
                    merged[-1] = (merged[-1][0], max(merged[-1][1], w1))
                else:
                    merged.append((w0, w1))
            found = self._cache[key] = merged
        return found


def private_hits(ctx: Context, lex: Lexicon, owner: Callable[[int], Owner]) -> list[Hit]:
    """Phone numbers, e-mail addresses and profile links that someone else owns.
    `owner(pos)` says whose the thing at normalised offset `pos` is."""
    doc = ctx.doc

    def to_norm(offset: int) -> int:
        return min(bisect.bisect_left(doc.starts, offset), len(doc.text))

    hits = []
    for item in find_private(doc.original, lambda offset: owner(to_norm(offset)), lex.private):
        start, end = to_norm(item.start), to_norm(item.end)
        if start < end:
            category = Category.PRIVATE
            rule = Rule(
                item.rule.rule,
                category,
                item.rule.severity,
                DEFAULT_CLAUSE[category],
                item.rule.reason,
                Mode.ALWAYS,
            )
            hits.append(Hit(rule, start, end))
    return hits


def _match(ctx: Context, seen: _Seen, phrase: Phrase, i: int, w0: int, w1: int) -> Iterable[Hit]:
    """The hits of the phrase's pattern `i` in text[w0:w1]."""
    for m in phrase.patterns[i].finditer(ctx.masked, w0, w1):
        start, end = m.span()
        s0, s1 = ctx.sentence(start)
        if start == end or any(seen.overlaps(p, start, end, s0, s1) for p in phrase.unless):
            continue
        if phrase.context and not any(seen.found(p, s0, s1) for p in phrase.context):
            continue
        if phrase.cleared_by and seen.cleared(phrase) and not seen.about_staff(s0, end):
            continue
        framed = any(c in m.group() for c in (MASK_STAFF, MASK_PUPIL))
        yield Hit(phrase.rule, start, end, phrase.about, framed, entry=phrase.entries[i].id)


class _Seen:
    """What one message's sentences hold, each searched for once: a message repeating a phrase
    has as many matches as repeats, and asking its sentence again for each would cost the
    square of its length (or the cube, for a pattern that scans the sentence itself)."""

    def __init__(self, ctx: Context) -> None:
        self._masked = ctx.masked
        self._spans: dict[tuple[Pattern, int, int], tuple[list[int], list[int]]] = {}
        self._found: dict[tuple[Pattern, int, int], bool] = {}
        self._cleared: dict[int, bool] = {}
        self._people: list[int] | None = None  # offsets of masked people, in order

    def overlaps(self, pattern: Pattern, start: int, end: int, lo: int, hi: int) -> bool:
        """Whether a match of `pattern`, searched in text[lo:hi], overlaps [start, end)."""
        key = (pattern, lo, hi)
        spans = self._spans.get(key)
        if spans is None:
            matches = [m.span() for m in pattern.finditer(self._masked, lo, hi)]
            # Non-overlapping and in order, so their ends are in order too.
            spans = self._spans[key] = ([a for a, _ in matches], [b for _, b in matches])
        starts, ends = spans
        k = bisect.bisect_right(ends, start)  # the first match ending after `start`
        return k < len(starts) and starts[k] < end

    def found(self, pattern: Pattern, lo: int, hi: int) -> bool:
        key = (pattern, lo, hi)
        found = self._found.get(key)
        if found is None:
            found = self._found[key] = pattern.search(self._masked, lo, hi) is not None
        return found

    def cleared(self, phrase: Phrase) -> bool:
        """Whether the whole message shows the phrase's match is everyday talk."""
        cleared = self._cleared.get(id(phrase))
        if cleared is None:
            masked = self._masked
            cleared = any(p.search(masked) for p in phrase.cleared_by) and not any(
                p.search(masked) for p in phrase.cleared_unless
            )
            self._cleared[id(phrase)] = cleared
        return cleared

    def about_staff(self, s0: int, end: int) -> bool:
        """Whether the last person named in a match's sentence, up to its end, is a member of
        staff ("Mrs Shah lives at ...", "waiting for Mr Moss at the gate")."""
        if self._people is None:
            self._people = [i for i, c in enumerate(self._masked) if c in PERSON_MASKS]
        k = bisect.bisect_left(self._people, end) - 1
        return k >= 0 and self._people[k] >= s0 and self._masked[self._people[k]] == MASK_STAFF


def _held(where: Mapping[str, list[int]], keys: frozenset[str]) -> set[int]:
    """Indices of the tokens holding any of `keys`."""
    out: set[int] = set()
    for key in where.keys() & keys:
        out.update(where[key])
    return out


def _follows(ctx: Context, i: int, words: tuple[str, ...]) -> int | None:
    """The index of the last token when `words` are the tokens from i on (within a phrase)."""
    tokens = ctx.tokens
    last = i + len(words) - 1
    if last >= len(tokens):
        return None
    for k in range(1, len(words)):
        gap = ctx.doc.text[tokens[i + k - 1].end : tokens[i + k].start]
        if tokens[i + k].text != words[k] or not _TERM_GAP.fullmatch(gap):
            return None
    return last


def _allowed(ctx: Context, lex: Lexicon) -> set[int]:
    """Indices of tokens inside an allow-listed phrase ("Dick Whittington", "blue tit")."""
    out: set[int] = set()
    for tok in ctx.tokens:
        for words in lex.allow.get(tok.text, ()):
            last = _follows(ctx, tok.n, words)
            if last is not None:
                out.update(range(tok.n, last + 1))
    return out
