"""A school's compiled roster: finds where a message names a member of staff or a pupil.

Built once per school (`SchoolProfile.build`) into token lookups, so matching a message costs a
dictionary lookup per word. Fuzzy matching (small misspellings) runs on the word after a title
("Mr Mos"), and on capitalised words that are not everyday words against the surnames too
distinctive to be mistaken for one ("Okonkow" for Okonkwo), never on every word.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from rules.custom import CustomRule, CustomRules
from rules.lexicon import Lexicon, load_lexicon, normaliser
from rules.normalise import Normalised, Normaliser, Token, tokenise
from rules.roster import StaffMember, check_name

_FUZZY_CUTOFF = 85.0  # rapidfuzz ratio: "mos" ~ "moss" (86), "shaw" !~ "shah" (75)
# A bare capitalised word may be a misspelt surname: two letters swapped in one of five letters
# or more, or any one-letter slip in one of seven or more ("Carer" is a word, not "Carter").
_DISTINCTIVE_LEN = 5
_DISTINCTIVE_SLIP_LEN = 7
_MEMO_SIZE = 20_000
_NEXT_WORD = re.compile(r"[ \t]+([a-z0-9]+(?:'[a-z]+)?)")
_POINTING = frozenset(("that", "this"))
_CLOSING = frozenset(("", ",", ".", "!", "?", ";"))
_CAMEL = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")


class Kind(StrEnum):
    SURNAME = "surname"
    FIRST = "first name"
    FULL = "full name"
    ALIAS = "alias"
    ROLE = "role"
    PUPIL = "pupil"


@dataclass(frozen=True, slots=True)
class _Name:
    words: tuple[str, ...]
    kind: Kind
    ids: tuple[str, ...]  # staff ids, or the pupil's name
    common: bool  # an everyday word too: needs a title or clear person context


@dataclass(frozen=True, slots=True)
class Mention:
    """A person of the roster named in the normalised text [start, end)."""

    start: int
    end: int
    first_token: int
    last_token: int
    staff_ids: tuple[str, ...] = ()
    pupil: str | None = None
    via: str = "name"
    tag_words: tuple[str, ...] = ()  # the other words of a hashtag ("out" in #CarterOut)


@dataclass(frozen=True, slots=True)
class SchoolProfile:
    """A school's roster compiled for matching. Immutable; share it freely."""

    school_id: str
    staff: tuple[StaffMember, ...]
    pupils: tuple[str, ...]
    _index: Mapping[str, tuple[_Name, ...]] = field(repr=False, compare=False)
    _surnames: tuple[str, ...] = field(repr=False, compare=False)
    # Surnames no everyday word resembles, for bare misspellings; and all surnames by their
    # letters, for two swapped letters ("Feild").
    _distinctive: tuple[str, ...] = field(repr=False, compare=False)
    _by_letters: Mapping[str, tuple[str, ...]] = field(repr=False, compare=False)
    _long_distinctive: tuple[str, ...] = field(repr=False, compare=False)
    # Capitalised words found not to be a misspelt surname (a bounded memo, shared by threads:
    # adding to a set is atomic).
    _not_misspelt: set[str] = field(repr=False, compare=False)
    _tag_names: tuple[tuple[str, _Name], ...] = field(repr=False, compare=False)
    _tag_pairs: Mapping[str, tuple[int, ...]] = field(repr=False, compare=False)  # see _tag_at
    _by_id: Mapping[str, StaffMember] = field(repr=False, compare=False)
    _school_names: tuple[tuple[str, ...], ...] = field(repr=False, compare=False, default=())
    _school_tags: tuple[str, ...] = field(repr=False, compare=False, default=())  # "stmarys"
    custom: CustomRules = field(repr=False, compare=False, default=CustomRules())  # its own rules

    @classmethod
    def build(
        cls,
        school_id: str,
        staff: Sequence[StaffMember],
        pupils: Sequence[str] = (),
        *,
        names: Sequence[str] = (),
        custom: Sequence[CustomRule] = (),
    ) -> SchoolProfile:
        """Compile a school's roster. `names` are what the school is called ("Riverside Primary
        School"), so that "Riverside is a joke" reads as a complaint about the school. `custom`
        are the school's own rules (rules.custom). Raises RosterError (a ValueError) naming an
        entry that is not a name."""
        for member in staff:
            member.check()  # "(a+)+$" as an alias would name whoever writes an "a"
        for pupil in pupils:
            check_name(pupil, "pupil")
        lex = load_lexicon()
        people = _roster_names(staff, pupils, lex, normaliser())
        school_names = _school_names(names, lex)
        index: dict[str, list[_Name]] = {}
        for person in people:
            index.setdefault(person.words[0], []).append(person)
        surnames = tuple(sorted({n.words[0] for n in people if n.kind is Kind.SURNAME}))
        ordinary = lex.names.common_words | lex.names.first_names | set(lex.known_words)
        distinctive = tuple(
            s for s in surnames if len(s) >= _DISTINCTIVE_LEN and s.isalpha() and s not in ordinary
        )
        tag_names = _hashtag_names(people, lex)
        by_letters: dict[str, list[str]] = {}
        for surname in surnames:
            by_letters.setdefault("".join(sorted(surname)), []).append(surname)
        return cls(
            school_id=school_id,
            staff=tuple(staff),
            pupils=tuple(pupils),
            _index=MappingProxyType(
                {k: tuple(sorted(v, key=lambda n: -len(n.words))) for k, v in index.items()}
            ),
            _surnames=surnames,
            _distinctive=distinctive,
            _long_distinctive=tuple(s for s in distinctive if len(s) >= _DISTINCTIVE_SLIP_LEN),
            _not_misspelt=set(ordinary) if distinctive else set(),
            _by_letters=MappingProxyType({k: tuple(v) for k, v in by_letters.items()}),
            _tag_names=tag_names,
            _tag_pairs=_first_pairs(tag_names),
            _by_id=MappingProxyType({s.id: s for s in staff}),
            _school_names=school_names,
            _school_tags=tuple(
                sorted({"".join(w) for w in school_names if len("".join(w)) >= 5}, key=len)[::-1]
            ),
            custom=CustomRules.build(custom),
        )

    def member(self, staff_id: str) -> StaffMember | None:
        return self._by_id.get(staff_id)

    def find_school(self, doc: Normalised, tokens: Sequence[Token]) -> list[tuple[int, int]]:
        """Token ranges [first, last] where the text names the school itself, and hashtags
        campaigning against it (#BrookfieldFail, #ShameOnStMarys)."""
        found: list[tuple[int, int]] = []
        for i, tok in enumerate(tokens):
            if found and i <= found[-1][1]:
                continue
            if self._school_tags and tok.start and doc.text[tok.start - 1] == "#":
                if self._against_school(doc, tok):
                    found.append((i, i))
                continue
            for words in self._school_names:
                if words[0] == tok.text:
                    end = _words_match(doc, tokens, i, words)
                    if end is not None:
                        found.append((i, end))
                        break
        return found

    def _against_school(self, doc: Normalised, tok: Token) -> bool:
        negative = load_lexicon().names.hashtag_negative
        for tag in self._school_tags:
            at = tok.text.find(tag)
            if at < 0:
                continue
            rest = tok.text[:at] + " " + tok.text[at + len(tag) :]
            parts = {p.lower() for p in _CAMEL.findall(doc.span(tok.start, tok.end).text)}
            return bool((set(rest.split()) | parts) & negative)
        return False

    def find_mentions(self, doc: Normalised, tokens: Sequence[Token]) -> list[Mention]:
        """Every roster person the text names, left to right, without overlaps."""
        lex = load_lexicon()
        titles, index, text = lex.names.titles, self._index, doc.text
        found: list[Mention] = []
        i = 0
        while i < len(tokens):
            tok = tokens[i]
            tagged = tok.start > 0 and text[tok.start - 1] in "#@"
            if not tagged and tok.text not in index and tok.text not in titles:
                if (
                    self._distinctive
                    and len(tok.text) >= _DISTINCTIVE_LEN
                    and doc.is_capitalised(tok.start)
                ):
                    mention = self._misspelt_at(doc, tokens, i, lex)
                    if mention is not None:
                        found.append(mention)
                i += 1  # most words: one set lookup and on
                continue
            mention = self._tag_at(doc, tokens, i, lex) or self._name_at(doc, tokens, i, lex)
            if mention is None:
                i += 1
                continue
            found.append(mention)
            i = mention.last_token + 1
        return found

    # -- matching -------------------------------------------------------------------------

    def _name_at(
        self, doc: Normalised, tokens: Sequence[Token], i: int, lex: Lexicon
    ) -> Mention | None:
        names = lex.names
        word = tokens[i].text
        titled = word in names.titles and _adjacent(doc, tokens, i, title=True)
        best: tuple[int, _Name, int] | None = None  # (end token, name, start token)
        if titled:
            for name in self._index.get(tokens[i + 1].text, ()):
                if name.kind in (Kind.SURNAME, Kind.FIRST, Kind.FULL):
                    end = _words_match(doc, tokens, i + 1, name.words)
                    if end is not None and (best is None or end > best[0]):
                        best = (end, name, i)
        for name in self._index.get(word, ()):
            end = _words_match(doc, tokens, i, name.words)
            if end is None or (best is not None and end <= best[0]):
                continue
            if self._acceptable(doc, tokens, i, end, name, lex):
                best = (end, name, i)
        if best is None and titled:
            fuzzy = self._fuzzy_surname(tokens[i + 1].text, lex)
            if fuzzy is not None:
                best = (i + 1, fuzzy, i)
        if best is None:
            return None
        end, name, start = best
        return self._mention(tokens, start, end, name, titled=titled and start == i)

    def _acceptable(
        self, doc: Normalised, tokens: Sequence[Token], i: int, end: int, name: _Name, lex: Lexicon
    ) -> bool:
        names = lex.names
        before = tokens[i - 1].text if i > 0 and _adjacent(doc, tokens, i - 1) else ""
        after = _next_word(doc, tokens, end)  # "hasn't" whole, not "hasn"
        apostrophe = doc.text[tokens[end].end : tokens[end].end + 2]
        possessive = apostrophe == "'s" or (apostrophe[:1] == "'" and tokens[end].text[-1] == "s")
        if possessive:
            after = "s"
        if name.kind in (Kind.ALIAS, Kind.FULL):
            return True
        if name.kind is Kind.FIRST:
            # A first name alone is too common to mean a member of staff, unless the words
            # around it say where they work or what they do ("Jo in the office", "Sam the
            # TA", "Sam (TA)", "TA Sam").
            start = tokens[i].start
            return bool(
                lex.names.at_work.match(doc.text, tokens[end].end)
                or lex.names.title_before.search(doc.text, max(0, start - 32), start)
            )
        if name.kind is Kind.ROLE:
            if after in names.role_stop_after:
                return False
            return not name.common or before in names.determiners or possessive
        capital = doc.is_capitalised(tokens[i].start)
        if before in names.not_person_before:
            child = name.kind is Kind.PUPIL and after in names.child_nouns
            # "that Zielinski", and "..., that Fisher" with nothing after it: a capitalised
            # surname pointed at.
            pointed = before in _POINTING and name.kind is Kind.SURNAME
            closing = doc.text[tokens[end].end : tokens[end].end + 1] in _CLOSING
            pointed = pointed and (closing or not name.common)
            return (after in names.person_after or child or pointed) and capital
        if name.kind is Kind.PUPIL:
            return capital or not name.common
        # A bare surname: another person's first name before it means another person.
        if before in names.first_names or (
            before
            and capital
            and doc.is_capitalised(tokens[i - 1].start)
            and before not in names.titles
            and not _sentence_start(doc, tokens, i - 1)
        ):
            return False
        if not name.common:
            # In lower case from someone who otherwise writes names with capitals, a surname
            # is probably the everyday word it also is ("a carter", "the turner prize").
            return capital or not _writes_capitals(doc)
        if self._paired(doc, tokens, i, end, lex):
            return True
        person = after in names.person_after or possessive
        if capital:
            return person or not _sentence_start(doc, tokens, i)
        # From someone who writes nothing with a capital, only a clear person context will do:
        # "wood hasn't got a clue", "king's class is chaos" (not "hope so", "king size").
        if not doc.original.islower():
            return False
        if possessive:
            return _next_word(doc, tokens, end + 1) in names.person_owns
        return after in names.person_acts

    def _paired(
        self, doc: Normalised, tokens: Sequence[Token], i: int, end: int, lex: Lexicon
    ) -> bool:
        """Two of the school's staff surnames joined by "and", then what a person does: "marsh
        and king knew for weeks" names both, however everyday the words ("the marsh and the
        king" has no such verb; "king and queen of the castle" no second surname)."""
        acts = lex.names.person_after | {"both"}

        def surname(k: int) -> bool:
            names = self._index.get(tokens[k].text, ())
            return any(n.kind is Kind.SURNAME and len(n.words) == 1 for n in names)

        if (
            end + 2 < len(tokens)
            and tokens[end + 1].text == "and"
            and _adjacent(doc, tokens, end)
            and _adjacent(doc, tokens, end + 1)
            and surname(end + 2)
        ):
            return _next_word(doc, tokens, end + 2) in acts
        if (
            i >= 2
            and tokens[i - 1].text == "and"
            and _adjacent(doc, tokens, i - 2)
            and _adjacent(doc, tokens, i - 1)
            and surname(i - 2)
        ):
            return _next_word(doc, tokens, end) in acts
        return False

    def _misspelt_at(
        self, doc: Normalised, tokens: Sequence[Token], i: int, lex: Lexicon
    ) -> Mention | None:
        """A capitalised word that is a small misspelling of a distinctive surname, where
        the writer could mean nothing else ("Okonkow is a bully")."""
        tok = tokens[i]
        if tok.text in self._not_misspelt:
            return None
        name = self._fuzzy_surname(tok.text, lex, self._distinctive)
        if name is None:
            if len(self._not_misspelt) < _MEMO_SIZE:
                self._not_misspelt.add(tok.text)  # "Reminder", "Happy": asked again and again
            return None
        if not self._acceptable(doc, tokens, i, i, name, lex):
            return None
        return self._mention(tokens, i, i, name, titled=False)

    def _fuzzy_surname(
        self, word: str, lex: Lexicon, candidates: Sequence[str] | None = None
    ) -> _Name | None:
        names = lex.names
        if len(word) < 3 or not word.isalpha() or word in names.not_names or word in names.titles:
            return None
        pool = self._surnames if candidates is None else candidates
        slips = pool if candidates is None else self._long_distinctive
        hit = process.extractOne(word, slips, scorer=fuzz.ratio, score_cutoff=_FUZZY_CUTOFF)
        surname = hit[0] if hit is not None and abs(len(hit[0]) - len(word)) <= 2 else None
        if surname is None and len(word) >= 4:
            # Two letters swapped ("Feild") costs ratio a lot but is the commonest slip of all.
            surname = next(
                (
                    s
                    for s in self._by_letters.get("".join(sorted(word)), ())
                    if s in pool and OSA.distance(s, word) == 1
                ),
                None,
            )
        if surname is None:
            return None
        for name in self._index.get(surname, ()):
            if name.kind is Kind.SURNAME:
                return name
        return None

    def _tag_at(
        self, doc: Normalised, tokens: Sequence[Token], i: int, lex: Lexicon
    ) -> Mention | None:
        """#CarterOut, #sackMrsPatel, @MrCarter: one token behind a '#' or '@'.

        CamelCase tags are split into words, so any surname counts ("#KingOut"); a tag in
        one case is searched for names distinctive enough to find inside other letters."""
        tok = tokens[i]
        if tok.start == 0 or doc.text[tok.start - 1] not in "#@":
            return None
        parts = [p.lower() for p in _CAMEL.findall(doc.span(tok.start, tok.end).text)]
        if len(parts) > 1:
            for k, part in enumerate(parts):
                for name in self._index.get(part, ()):
                    if name.kind in (Kind.SURNAME, Kind.PUPIL, Kind.ROLE):
                        rest = tuple(parts[:k] + parts[k + 1 :])
                        return self._tag_mention(tok, i, name, rest)
        joined = tok.text
        # Only the names starting with two letters the tag has, in the same order as all of them.
        pairs = self._tag_pairs
        tried = set(pairs.get("", ()))
        for j in range(len(joined) - 1):
            tried.update(pairs.get(joined[j : j + 2], ()))
        for k in sorted(tried):
            needle, name = self._tag_names[k]
            at = joined.find(needle)
            if at >= 0:
                rest = tuple(w for w in (joined[:at], joined[at + len(needle) :]) if w)
                return self._tag_mention(tok, i, name, rest)
        return None

    def _tag_mention(self, tok: Token, i: int, name: _Name, rest: tuple[str, ...]) -> Mention:
        if name.kind is Kind.PUPIL:
            return Mention(tok.start - 1, tok.end, i, i, pupil=name.ids[0], via="hashtag")
        return Mention(tok.start - 1, tok.end, i, i, name.ids, None, "hashtag", rest)

    def _mention(
        self, tokens: Sequence[Token], start: int, end: int, name: _Name, *, titled: bool
    ) -> Mention:
        span_start, span_end = tokens[start].start, tokens[end].end
        if name.kind is Kind.PUPIL:
            return Mention(span_start, span_end, start, end, pupil=name.ids[0], via="name")
        ids = name.ids
        if titled and len(ids) > 1:
            title = tokens[start].text
            same = tuple(s for s in ids if self._by_id[s].title.casefold().rstrip(".") == title)
            ids = same or ids
        return Mention(span_start, span_end, start, end, staff_ids=ids, via=name.kind.value)


# -- building ------------------------------------------------------------------------------


def _roster_names(
    staff: Sequence[StaffMember], pupils: Sequence[str], lex: Lexicon, norm: Normaliser
) -> list[_Name]:
    common = lex.names.common_words

    def words(text: str) -> tuple[str, ...]:
        return tuple(t.text for t in tokenise(norm(text)))

    by_words: dict[tuple[tuple[str, ...], Kind], list[str]] = {}

    def add(text: str, kind: Kind, ident: str) -> None:
        w = words(text)
        if w:
            by_words.setdefault((w, kind), []).append(ident)

    for s in staff:
        for last in {s.last, "".join(words(s.last))}:  # O'Connor is also written OConnor
            add(last, Kind.SURNAME, s.id)
            add(last + "s", Kind.SURNAME, s.id)  # "Mr Carters letters": a missing apostrophe
        if s.title and "-" in s.last:  # Mrs Smith-Jones may be "Mrs Smith" or "Mrs Jones"
            for part in s.last.split("-"):
                add(f"{s.title} {part}", Kind.ALIAS, s.id)
        if s.first:
            add(s.first, Kind.FIRST, s.id)
            add(f"{s.first} {s.last}", Kind.FULL, s.id)
        titles = {s.title} if s.title else set()
        for title in titles:
            add(f"{title} {s.last[:1]}", Kind.ALIAS, s.id)  # "Mrs P"
        for alias in s.aliases:
            add(alias, Kind.ALIAS, s.id)
        for role in s.roles:
            for variant in _role_variants(role, lex):
                add(variant, Kind.ROLE, s.id)
    for pupil in pupils:
        add(pupil, Kind.PUPIL, pupil)

    max_role_holders = lex.names.max_role_holders
    names: list[_Name] = []
    for (w, kind), ids in by_words.items():
        unique = tuple(dict.fromkeys(ids))
        if kind is Kind.ROLE and len(unique) > max_role_holders:
            continue  # "teacher" shared by many: names nobody in particular
        # "Hopes" (Miss Hope's, without the apostrophe) is as everyday a word as "hope".
        everyday = w[0] in common or (w[0][-1:] == "s" and w[0][:-1] in common)
        is_common = len(w) == 1 and (everyday or (kind is Kind.ROLE and w[0].isalpha()))
        if kind is Kind.ROLE and len(w) == 1:
            is_common = w[0] in lex.names.ambiguous_roles
        names.append(_Name(w, kind, unique, is_common))
    return names


def _school_names(names: Sequence[str], lex: Lexicon) -> tuple[tuple[str, ...], ...]:
    """A school's names as parents write them: in full, and without the kind of school
    ("Riverside Primary School" -> "Riverside Primary", "Riverside"), "St" and "Saint" alike."""
    generic = lex.names.school_words
    forms: set[tuple[str, ...]] = set()
    for name in names:
        words = [t.text for t in tokenise(normaliser()(name))]
        kinds = [w for w in words if w in lex.names.school_kinds]
        while words:
            forms.add(tuple(words))
            if words[-1] not in generic:
                break
            words = words[:-1]
        forms.update((*words, kind) for kind in kinds)  # "St Mary's Primary"
    out: set[tuple[str, ...]] = set()
    for form in forms:
        joined = tuple((" ".join(form) + " ").replace(" s ", "s ").split())
        for variant in (form, joined):  # "St Mary's" is also written "St Marys"
            out.add(variant)
            if variant[0] in ("st", "saint"):
                out.add(("saint" if variant[0] == "st" else "st", *variant[1:]))
    # A one-word name that is an everyday word ("Heath") is too risky alone.
    out = {w for w in out if w and (len(w) > 1 or w[0] not in lex.names.common_words)}
    return tuple(sorted(out, key=len, reverse=True))


def _role_variants(role: str, lex: Lexicon) -> set[str]:
    """The role as written, its synonyms, abbreviations ("HoY 10") and ways of writing a year
    group ("Y3 teacher")."""
    key = " ".join(role.casefold().split())
    out = {key}
    for group in lex.names.role_synonyms:
        if key in group:
            out.update(group)
    for variant in list(out):
        for phrase, abbreviations in lex.names.role_abbreviations:
            if re.search(rf"\b{re.escape(phrase)}\b", variant):
                for short in abbreviations:
                    shortened = re.sub(rf"\b{re.escape(phrase)}\b", short, variant)
                    out.update((shortened, re.sub(rf"\b{short} (\d+)\b", rf"{short}\1", shortened)))
    spelt = lex.names.number_words
    for variant in list(out):
        m = re.search(r"\byear (\d+)\b", variant)
        if m:
            n = m.group(1)
            words = f"year {spelt[int(n)]}" if int(n) < len(spelt) else f"year {n}"
            for form in (f"yr {n}", f"y{n}", f"yr{n}", f"year{n}", words):
                out.add(variant[: m.start()] + form + variant[m.end() :])
    return out


def _hashtag_names(names: Sequence[_Name], lex: Lexicon) -> tuple[tuple[str, _Name], ...]:
    """Strings to look for inside a one-case hashtag: titled surnames always, other names only
    if distinctive (not an everyday word, four letters or more)."""
    out: dict[str, _Name] = {}
    for name in names:
        joined = "".join(name.words)
        if name.kind is Kind.SURNAME:
            for title in lex.names.titles:
                out.setdefault(title + joined, name)
        if name.kind is not Kind.FIRST and not name.common and len(joined) >= 4:
            out.setdefault(joined, name)
    return tuple(sorted(out.items(), key=lambda kv: -len(kv[0])))


def _first_pairs(needles: Sequence[tuple[str, _Name]]) -> Mapping[str, tuple[int, ...]]:
    """The places of the strings to look for, by their first two letters ("" for shorter)."""
    out: dict[str, list[int]] = {}
    for k, (needle, _) in enumerate(needles):
        out.setdefault(needle[:2] if len(needle) >= 2 else "", []).append(k)
    return MappingProxyType({pair: tuple(places) for pair, places in out.items()})


# -- token helpers -------------------------------------------------------------------------

_GAP = re.compile(r"[ \t'\-]{1,3}")
_TITLE_GAP = re.compile(r"\.?[ \t]{0,3}")


def _adjacent(doc: Normalised, tokens: Sequence[Token], i: int, *, title: bool = False) -> bool:
    """Whether token i+1 follows token i within the same phrase."""
    if i + 1 >= len(tokens):
        return False
    gap = doc.text[tokens[i].end : tokens[i + 1].start]
    return bool((_TITLE_GAP if title else _GAP).fullmatch(gap))


def _words_match(
    doc: Normalised, tokens: Sequence[Token], i: int, words: tuple[str, ...]
) -> int | None:
    """The index of the last token if `words` are the tokens from i on, else None."""
    end = i + len(words) - 1
    if end >= len(tokens):
        return None
    for k, w in enumerate(words):
        if tokens[i + k].text != w or (k and not _adjacent(doc, tokens, i + k - 1)):
            return None
    return end


_CAPITALISED_WORD = re.compile(r"(?<=[a-z,] )[A-Z][a-z]+")


def _writes_capitals(doc: Normalised) -> bool:
    """Whether the writer capitalises words inside sentences (names, places) at all."""
    return bool(_CAPITALISED_WORD.search(doc.original))


def _next_word(doc: Normalised, tokens: Sequence[Token], i: int) -> str:
    """The word after token i in the same phrase, with its contraction ("hasn't")."""
    m = _NEXT_WORD.match(doc.text, tokens[i].end)
    return m.group(1) if m else ""


def _sentence_start(doc: Normalised, tokens: Sequence[Token], i: int) -> bool:
    before = doc.text[: tokens[i].start].rstrip(" \t\"'(#@")
    return not before or before[-1] in ".!?\n:;"
