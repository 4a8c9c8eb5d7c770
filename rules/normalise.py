"""Normalise a message once, keeping a map from every normalised character back to the original.

Matching happens on the normalised text; evidence is always quoted from the original through
the map, so a reminder shows exactly what the person wrote.

Steps, in order:
1. per character: Unicode NFKC, case-fold, accents dropped, look-alike Cyrillic/Greek letters to
   Latin, zero-width, format and unseen control characters removed, curly apostrophes to "'";
2. leetspeak inside words ("sh1t", "turn3r", "w@nker") and starred words ("f*ck") resolved;
3. letters repeated three or more times collapsed ("stuuupid", "moronnnn");
4. spaced or dotted letters joined when they spell a known word ("f u c k", "c.u.n.t").
Steps 2-4 only run when a cheap scan finds something to do, so ordinary chat stays fast.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

from rules.model import Span

MAX_CHARS = 40_000  # the longest message any platform allows (Slack); each is read whole

_APOSTROPHES = str.maketrans({c: "'" for c in "\u2018\u2019\u201b\u02bc\u0060\u00b4\u2032"})
_DROP = frozenset({"Cf", "Mn", "Me", "Cs", "Co", "Cn"})

# Characters a leet word may contain besides letters, and what each stands for.
_LEET_DIGITS = {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "9": "g"}
_LEET_SYMBOLS = {"@": "a", "$": "s", "!": "i", "|": "l", "€": "e", "+": "t"}
# Where a letter meets a digit or symbol: the word around it may be leetspeak.
_LEET_SEED = re.compile(r"[a-z][0-9@$!|€+*]|[0-9@$!|€+*][a-z]")
_RUN_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789@$!|€+*")
_LETTERS = frozenset("abcdefghijklmnopqrstuvwxyz")
# Numbers with a unit or an ordinal, class names and years: never leetspeak ("3pm", "y3", "5th").
_NUMERIC_WORD = re.compile(
    r"\d+(?:st|nd|rd|th|am|pm|s|k|m|p|x|g|kg|km|ml|l|cm|mm|mins?|hrs?|yrs?|yo|ish|d|h|mph|gb|mb)"
    r"|[a-z]{1,2}\d+|\d+[a-z]|[a-z]+\d+"
)
_ELONGATED = re.compile(r"([a-z])\1{2,}")
_SPACED = re.compile(r"(?<![a-z0-9'])[a-z0-9](?:[ .\-_*/]{1,2}[a-z0-9](?![a-z0-9])){2,}")
_NEEDS_WORK = re.compile(
    r"[a-z][0-9@$!|€+*]|[0-9@$€*][a-z]|([a-z])\1\1"
    r"|(?<![a-z0-9'])[a-z0-9][ .\-_*/]{1,2}[a-z0-9][ .\-_*/]{1,2}[a-z0-9](?![a-z0-9])"
)


@dataclass(frozen=True, slots=True)
class Normalised:
    """`text` is the normalised form of `original`; character i of `text` came from
    `original[starts[i]:ends[i]]`."""

    original: str
    text: str
    starts: tuple[int, ...]
    ends: tuple[int, ...]

    def span(self, start: int, end: int) -> Span:
        """The original text behind normalised characters [start, end)."""
        if end <= start:
            start = min(max(start, 0), len(self.text) - 1) if self.text else 0
            end = start + 1
        a = self.starts[start] if self.text else 0
        b = self.ends[end - 1] if self.text else 0
        return Span(a, b, self.original[a:b])

    def is_capitalised(self, start: int) -> bool:
        """Whether the original letter behind normalised character `start` is upper case."""
        return self.original[self.starts[start] : self.ends[start]][:1].isupper()


class Normaliser:
    """Normalises text; `known` words (the lexicon's) decide which disguised spellings to undo
    where a spelling could also be innocent."""

    def __init__(self, known: Sequence[str], confusables: Mapping[str, str]) -> None:
        self._known = frozenset(known)
        self._longest = max((len(w) for w in known), default=0)
        self._squeezed: dict[str, str] = {}
        for w in known:
            if _squeeze(w) != w:
                self._squeezed.setdefault(_squeeze(w), w)
        by_len: dict[int, list[str]] = {}
        for word in known:  # data order: the commonest reading of "f*ck" comes first
            by_len.setdefault(len(word), []).append(word)
        self._by_len = by_len
        table = {ord(k): v for k, v in confusables.items()}
        self._fold_char = _char_folder(table)

    def __call__(self, text: str) -> Normalised:
        text = text[:MAX_CHARS]
        if not _SPECIAL.search(text):
            folded = _fold_ascii(text)
            starts = list(range(len(folded)))
            ends = [i + 1 for i in starts]
        else:
            folded, starts, ends = self._fold(text)
        if _NEEDS_WORK.search(folded):
            folded, starts, ends = _rewrite(folded, starts, ends, self._leet_edits(folded))
            folded, starts, ends = _rewrite(folded, starts, ends, self._elongation_edits(folded))
            folded, starts, ends = _rewrite(folded, starts, ends, self._spacing_edits(folded))
        return Normalised(text, folded, tuple(starts), tuple(ends))

    def _fold(self, text: str) -> tuple[str, list[int], list[int]]:
        """Fold character by character, but runs of plain ASCII in one go (most of any message)."""
        out: list[str] = []
        starts: list[int] = []
        at = 0
        for m in _SPECIAL.finditer(text):
            out.append(_fold_ascii(text[at : m.start()]))
            starts.extend(range(at, m.start()))
            for i in range(m.start(), m.end()):
                piece = self._fold_char(text[i])
                out.append(piece)
                starts.extend([i] * len(piece))
            at = m.end()
        out.append(_fold_ascii(text[at:]))
        starts.extend(range(at, len(text)))
        return "".join(out), starts, [s + 1 for s in starts]

    def _leet_edits(self, text: str) -> list[_Edit]:
        edits: list[_Edit] = []
        for at, end in _runs(text, _LEET_SEED, _RUN_CHARS):
            run = text[at:end]
            lead = len(run) - len(run.lstrip("@!|*+"))
            core = run[lead:].rstrip("!|*+@$")
            if not core or core.isalpha() or not any(c.isalpha() for c in core):
                continue
            if _NUMERIC_WORD.fullmatch(core):
                continue
            word = self._unleet(core)
            if word is not None and word != core:
                edits.append(_Edit(at + lead, at + lead + len(core), word, positional=True))
        return edits

    def _unleet(self, core: str) -> str | None:
        chars = []
        symbol = False
        for i, c in enumerate(core):
            if c in _LEET_DIGITS and (i < len(core) - 1):
                chars.append(_LEET_DIGITS[c])
            elif c in _LEET_SYMBOLS and 0 < i < len(core) - 1:
                chars.append(_LEET_SYMBOLS[c])
                symbol = True
            else:
                chars.append(c)
        word = "".join(chars)
        if "*" in word:
            return self._unstar(word)
        if symbol and _collapse(word) not in self._known:
            return None  # "wow!!that" is punctuation, not a disguised word
        return word

    def _unstar(self, word: str) -> str | None:
        """Resolve starred letters ("f*ck", "c**t") against the lexicon, else leave them."""
        if word.strip("*") == "" or word.count("*") > len(word) - 1:
            return None
        for candidate in self._by_len.get(len(word), ()):
            if all(w == "*" or w == c for w, c in zip(word, candidate, strict=True)):
                return candidate
        return None

    def _elongation_edits(self, text: str) -> list[_Edit]:
        edits: list[_Edit] = []
        for start, end in _runs(text, _ELONGATED, _LETTERS):
            word = text[start:end]
            collapsed = _collapse(word)
            if collapsed not in self._known:
                collapsed = self._squeezed.get(_squeeze(word), collapsed)
            edits.append(_Edit(start, end, collapsed, positional=False))
        return edits

    def _spacing_edits(self, text: str) -> list[_Edit]:
        """Join letters written apart ("f u c k") where they spell a known word, longest first;
        words are at most `_longest` letters, which keeps long runs of single letters cheap."""
        edits: list[_Edit] = []
        for m in _SPACED.finditer(text):
            letters = "".join(_LEET_DIGITS.get(c, c) for c in m.group() if c.isalnum())
            places = [m.start() + i for i, c in enumerate(m.group()) if c.isalnum()]
            i = 0
            while i < len(letters) - 2:
                for j in range(min(len(letters), i + self._longest), i + 2, -1):
                    word = letters[i:j]
                    if word in self._known or _collapse(word) in self._known:
                        picks = tuple(places[i:j])
                        edits.append(_Edit(picks[0], picks[-1] + 1, word, picks=picks))
                        i = j
                        break
                else:
                    i += 1
        return edits


@dataclass(frozen=True, slots=True)
class _Edit:
    """Replace normalised [start, end) with `text`. `positional`: character k maps to the k-th
    old one; `picks`: character k maps to old position picks[k]; else all map to the range."""

    start: int
    end: int
    text: str
    positional: bool = False
    picks: tuple[int, ...] = ()


def _runs(text: str, seed: re.Pattern[str], chars: frozenset[str]) -> list[tuple[int, int]]:
    """The maximal runs of `chars` around each match of `seed` (a cheap pattern), in order."""
    runs: list[tuple[int, int]] = []
    for m in seed.finditer(text):
        if runs and m.start() < runs[-1][1]:
            continue
        start, end = m.start(), m.end()
        while start > 0 and text[start - 1] in chars:
            start -= 1
        while end < len(text) and text[end] in chars:
            end += 1
        runs.append((start, end))
    return runs


def _rewrite(
    text: str, starts: list[int], ends: list[int], edits: list[_Edit]
) -> tuple[str, list[int], list[int]]:
    if not edits:
        return text, starts, ends
    out: list[str] = []
    new_starts: list[int] = []
    new_ends: list[int] = []
    at = 0
    for e in edits:
        out.append(text[at : e.start])
        new_starts.extend(starts[at : e.start])
        new_ends.extend(ends[at : e.start])
        out.append(e.text)
        for k in range(len(e.text)):
            if e.picks:
                new_starts.append(starts[e.picks[k]])
                new_ends.append(ends[e.picks[k]])
            elif e.positional:
                new_starts.append(starts[e.start + k])
                new_ends.append(ends[e.start + k])
            else:
                new_starts.append(starts[e.start])
                new_ends.append(ends[e.end - 1])
        at = e.end
    out.append(text[at:])
    new_starts.extend(starts[at:])
    new_ends.extend(ends[at:])
    return "".join(out), new_starts, new_ends


def _char_folder(confusables: Mapping[int, str]) -> Callable[[str], str]:
    @lru_cache(maxsize=8192)
    def fold(c: str) -> str:
        if c == "\n":
            return c
        if unicodedata.category(c) == "Cc":  # tabs and the like are spaces; the rest unseen
            return " " if c.isspace() else ""
        folded = unicodedata.normalize("NFKC", c).casefold()
        decomposed = unicodedata.normalize("NFKD", folded)
        kept = "".join(ch for ch in decomposed if unicodedata.category(ch) not in _DROP)
        return kept.translate(confusables).translate(_APOSTROPHES)

    return fold


# Characters folded one at a time: beyond ASCII, and controls other than tabs and newlines.
_SPECIAL = re.compile(r"[^\t\n\r\x0b\x0c\x20-\x7e]+")
_ASCII_FOLD = str.maketrans({"`": "'", "\t": " ", "\r": " ", "\x0b": " ", "\x0c": " "})


def _fold_ascii(text: str) -> str:
    """ASCII needs no Unicode work: lower case, one apostrophe, tabs and returns as spaces."""
    return text.lower().translate(_ASCII_FOLD)


def _collapse(word: str) -> str:
    return _ELONGATED.sub(r"\1", word)


def _squeeze(word: str) -> str:
    return re.sub(r"([a-z])\1+", r"\1", word)


class Token(NamedTuple):
    """A word of the normalised text: letters and digits between any other characters.
    (A named tuple: a message has hundreds and they are made fast.)"""

    n: int  # its place among the message's words
    start: int
    end: int
    text: str


_TOKEN = re.compile(r"[a-z0-9]+")


def tokenise(doc: Normalised) -> tuple[Token, ...]:
    make = tuple.__new__  # skips NamedTuple's argument handling: hundreds per message
    found = _TOKEN.finditer(doc.text)
    return tuple([make(Token, (i, m.start(), m.end(), m.group())) for i, m in enumerate(found)])
