"""The rules engine: decides, explainably, whether a message breaks the code of conduct.

One pass per message: normalise, find the roster people it names, look up words, try only the
phrase patterns whose anchor words occur, then decide from context whom each negative remark is
about. Pure and deterministic; `evaluate` never raises.
"""

from __future__ import annotations

import bisect
import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from rules.lexicon import (
    MASK_NAMED,
    MASK_PUPIL,
    MASK_SCHOOL,
    MASK_STAFF,
    About,
    Lexicon,
    Mode,
    Phrase,
    Rule,
    load_lexicon,
    normaliser,
)
from rules.model import DEFAULT_CLAUSE, Category, Finding, Severity, Verdict
from rules.normalise import Normalised, Token, tokenise
from rules.private import Owner, find_private
from rules.profile import Mention, SchoolProfile

log = logging.getLogger(__name__)

_SENTENCE = re.compile(r"[.!?]+(?=[\s\"')\]]|$)|[;\n]+")
_CLAUSE = re.compile(r"[.!?]+(?=[\s\"')\]]|$)|[;\n,:()]+|\s[-\u2013\u2014]\s|\bbut\b")
_WORD = re.compile(r"[a-z0-9']+|[\x01\x02\x03]+")
_REPORTED = re.compile(
    r"(?<![a-z])(?:said|says|say|told|tells|asked|asks|explained|explains|mentioned|announced|"
    r"confirmed|reckons|thinks|wrote|emailed|replied|warned|reminded|informed|let us know|"
    r"sent|is sending|posted|reported|spoke|talked|assured)(?![a-z])"
)
_PRONOUN = re.compile(r"(?<![a-z'])(?:he|she|him|her|his|he's|she's)(?![a-z])")
_RELATIVE = re.compile(r"^'?s? ?(?:mum|mom|mam|mummy|dad|daddy|mother|father|parents|nan|gran)")
_DIRECT = (Mode.ALWAYS, Mode.AIMED)
_OWN = ("my", "our", "mine")
_PRONOUNS = frozenset(("he", "she", "they", "him", "her", "he's", "she's", "they're", "hes"))
_POINTING = frozenset(("that", "this", "the", "those", "these", "thats", "that's"))
_SEVERITY_FLOOR = Severity.MEDIUM  # staff or pupils named negatively: SLT always hears of it


@dataclass(frozen=True, slots=True)
class _Hit:
    """A matched term or phrase in the normalised text [start, end)."""

    rule: Rule
    start: int
    end: int
    about: About = About.ANYONE
    framed: bool = False  # the match itself contains a masked person ("Mrs Shah is a snake")


@dataclass(frozen=True, slots=True)
class _Text:
    """Everything one evaluation works on."""

    doc: Normalised
    tokens: tuple[Token, ...]
    masked: str  # doc.text with roster people and first names masked
    sentences: tuple[tuple[int, int], ...]
    clauses: tuple[tuple[int, int], ...]
    sentence_starts: tuple[int, ...]
    clause_starts: tuple[int, ...]
    school_tokens: frozenset[int]  # tokens naming the school itself

    def sentence_of(self, pos: int) -> int:
        return max(0, bisect.bisect_right(self.sentence_starts, pos) - 1)

    def clause_of(self, pos: int) -> int:
        return max(0, bisect.bisect_right(self.clause_starts, pos) - 1)


class RulesEngine:
    """Loads rules/data/ once; `evaluate` is then pure lookups and pre-compiled patterns."""

    def __init__(self) -> None:
        self._lex = load_lexicon()
        self._normalise = normaliser()
        lex = self._lex
        self._self = frozenset(lex.words_in("SELF"))
        self._things = frozenset(lex.words_in("NOT_PERSON"))
        self._other = frozenset(lex.words_in("OTHER") | lex.words_in("PERSON_NOUN"))
        self._negators = frozenset(lex.words_in("NEGATOR"))
        self._positive = frozenset(lex.words_in("POSITIVE"))
        self._mirth = frozenset(lex.words_in("MIRTH"))
        self._mirth_marks = tuple(w for w in self._mirth if not w.isascii())

    def evaluate(self, text: str, profile: SchoolProfile) -> Verdict:
        """The verdict on one message. Never raises: a failure is logged (without the text)
        and the message is treated as not flagged."""
        try:
            return self._evaluate(text, profile)
        except Exception:  # the bot must never crash on a message
            log.exception("rules engine failed on a message of %d characters", len(text))
            return Verdict()

    # -- the pipeline -------------------------------------------------------------------------

    def _evaluate(self, text: str, profile: SchoolProfile) -> Verdict:
        doc = self._normalise(text)
        tokens = tokenise(doc)
        mentions = profile.find_mentions(doc, tokens)
        ctx = self._context(doc, tokens, mentions, profile.find_school(doc, tokens))
        has_staff = any(m.staff_ids for m in mentions)
        has_pupil = any(m.pupil for m in mentions)
        hits = self._term_hits(ctx, mentions)
        hits += self._phrase_hits(ctx, has_staff=has_staff, has_pupil=has_pupil)
        hits += self._private_hits(ctx)
        direct = [h for h in hits if h.rule.mode in _DIRECT and not self._not_aimed(ctx, h)]
        findings: list[Finding] = []
        about_person: set[int] = set()  # sentences whose insults are about a named person
        for mention, hit in self._staff_targets(ctx, mentions, hits, direct):
            findings.append(self._person_finding(ctx, profile, mention, hit))
            about_person.add(ctx.sentence_of(hit.start))
        for mention, hit in self._pupil_targets(ctx, mentions, hits, direct):
            findings.append(self._person_finding(ctx, profile, mention, hit))
            about_person.add(ctx.sentence_of(hit.start))
        for hit in direct:
            if hit.rule.category is Category.ABUSE and ctx.sentence_of(hit.start) in about_person:
                continue  # reported as naming a member of staff or a pupil negatively
            findings.append(self._finding(ctx, hit))
        staff_named = tuple(dict.fromkeys(s for m in mentions for s in m.staff_ids))
        return Verdict(_dedupe(findings), staff_named)

    def _context(
        self,
        doc: Normalised,
        tokens: tuple[Token, ...],
        mentions: Sequence[Mention],
        school: Sequence[tuple[int, int]],
    ) -> _Text:
        """Mask the people in the text (roster mentions, first names of anyone else) and the
        school's own name."""
        masks = [(m.start, m.end, MASK_STAFF if m.staff_ids else MASK_PUPIL) for m in mentions]
        taken = {i for m in mentions for i in range(m.first_token, m.last_token + 1)}
        school_tokens: set[int] = set()
        for first, last in school:
            if not taken.intersection(range(first, last + 1)):
                masks.append((tokens[first].start, tokens[last].end, MASK_SCHOOL))
                school_tokens.update(range(first, last + 1))
        taken |= school_tokens
        names = self._lex.names
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
        masked = "".join(pieces) + doc.text[at:]
        sentences, clauses = _segments(_SENTENCE, masked), _segments(_CLAUSE, masked)
        return _Text(
            doc,
            tokens,
            masked,
            sentences,
            clauses,
            tuple(s for s, _ in sentences),
            tuple(s for s, _ in clauses),
            frozenset(school_tokens),
        )

    def _term_hits(self, ctx: _Text, mentions: Sequence[Mention]) -> list[_Hit]:
        lex = self._lex
        tokens = ctx.tokens
        skip = {i for m in mentions for i in range(m.first_token, m.last_token + 1)}
        skip |= _allowed(ctx, lex)
        hits: list[_Hit] = []
        for tok in tokens:
            if tok.n in skip:
                continue
            for term in lex.terms.get(tok.text, ()):
                last = _follows(ctx, tok.n, term.words)
                if last is not None and not skip.intersection(range(tok.n, last + 1)):
                    hits.append(_Hit(term.rule, tok.start, tokens[last].end))
        return [h for h in hits if h.rule.mode is not Mode.CLASS]

    def _phrase_hits(self, ctx: _Text, *, has_staff: bool, has_pupil: bool) -> list[_Hit]:
        """Try each pattern only near its anchor words: within their sentence, and no further
        than a phrase's length away, so a long message costs what its flagged parts cost."""
        lex = self._lex
        where: dict[str, list[int]] = {}  # word or class -> indices of tokens holding it
        for tok in ctx.tokens:
            where.setdefault(tok.text, []).append(tok.n)
            for cls in lex.word_classes.get(tok.text, ()):
                where.setdefault(cls, []).append(tok.n)
            if tok.n in ctx.school_tokens:
                where.setdefault("SCHOOLNAME", []).append(tok.n)
        phrases = {id(p): p for key in where for p in lex.phrases_by_anchor.get(key, ())}
        hits: list[_Hit] = []
        windows: dict[tuple[frozenset[str], frozenset[str]], list[tuple[int, int]]] = {}
        for phrase in phrases.values():
            if (phrase.about is About.STAFF and not has_staff) or (
                phrase.about is About.PUPIL and not has_pupil
            ):
                continue
            for pattern, anchors in zip(phrase.patterns, phrase.pattern_anchors, strict=True):
                key = (anchors, phrase.also)
                if key not in windows:  # patterns often share anchors: work them out once
                    windows[key] = _windows(ctx, where, anchors, phrase.also)
                for w0, w1 in windows[key]:
                    hits.extend(self._match(ctx, phrase, pattern, w0, w1))
        return hits

    def _match(
        self, ctx: _Text, phrase: Phrase, pattern: re.Pattern[str], w0: int, w1: int
    ) -> Iterable[_Hit]:
        masked = ctx.masked
        for m in pattern.finditer(masked, w0, w1):
            start, end = m.span()
            s0, s1 = ctx.sentences[ctx.sentence_of(start)]
            if start == end or _overlaps_any(phrase.unless, masked, start, end, s0, s1):
                continue
            if phrase.context and not any(p.search(masked, s0, s1) for p in phrase.context):
                continue
            framed = any(c in m.group() for c in (MASK_STAFF, MASK_PUPIL))
            yield _Hit(phrase.rule, start, end, phrase.about, framed)

    def _private_hits(self, ctx: _Text) -> list[_Hit]:
        doc = ctx.doc

        def to_norm(offset: int) -> int:
            return min(bisect.bisect_left(doc.starts, offset), len(doc.text))

        def owner_of(offset: int) -> Owner:
            return self._owner(ctx, to_norm(offset))

        hits = []
        for item in find_private(doc.original, owner_of, self._lex.private):
            start, end = to_norm(item.start), to_norm(item.end)
            if start < end:
                rule = Rule(
                    item.rule.rule,
                    Category.PRIVATE,
                    item.rule.severity,
                    DEFAULT_CLAUSE[Category.PRIVATE],
                    item.rule.reason,
                    Mode.ALWAYS,
                )
                hits.append(_Hit(rule, start, end))
        return hits

    # -- whose is it ------------------------------------------------------------------------

    def _owner(self, ctx: _Text, pos: int) -> Owner:
        """Whose the thing at `pos` is, from the nearest telling word before it in its sentence."""
        s0, _ = ctx.sentences[ctx.sentence_of(pos)]
        window = ctx.masked[max(s0, pos - 60) : pos]
        words = self._lex.private
        best: tuple[int, Owner] = (-1, Owner.UNKNOWN)
        for pattern, owner in (
            (words.own_cues, Owner.WRITER),
            (words.public_cues, Owner.PUBLIC),
            (words.other_cues, Owner.OTHER),
        ):
            for m in pattern.finditer(window):
                if m.start() >= best[0]:
                    best = (m.start(), owner)
        for m in re.finditer(r"[\x01\x02\x03]+", window):
            if m.start() >= best[0]:
                best = (m.start(), Owner.OTHER)
        return best[1]

    def _not_aimed(self, ctx: _Text, hit: _Hit) -> bool:
        """An `aimed` remark that is not aimed at another person: its nearest subject before it
        is the writer or a thing ("I'm an idiot", "our dog is a pig"), or a mild remark made
        fondly ("he's such a clown, always making everyone laugh")."""
        if hit.rule.mode is not Mode.AIMED:
            return False
        c0, _ = ctx.clauses[ctx.clause_of(hit.start)]
        mild = hit.rule.severity is Severity.LOW and hit.rule.category is Category.ABUSE
        if mild and self._kindly(ctx, hit.start):
            return True
        words = _WORD.findall(ctx.masked[c0 : hit.start])
        thing = False  # "our dog is a pig", unless a person comes before: "whoever ... my drive"
        for k in range(len(words) - 1, -1, -1):
            word = words[k]
            if word in self._things:
                thing = True
            elif word in self._self or (word in _OWN and hit.rule.category is Category.PRIVATE):
                return not thing or hit.rule.category is Category.PRIVATE
            elif word in _POINTING and not thing and hit.rule.category is Category.ABUSE:
                return False  # "I hate that cow": aimed at whoever "that" points to
            elif word[0] in "\x01\x02\x03" or word in self._other:
                # "my son has ADHD": the writer's own family's matters are theirs to share, and
                # "my husband is a muppet" is family teasing, not abuse
                own = k > 0 and words[k - 1] in _OWN
                if word in _PRONOUNS and hit.rule.category is Category.PRIVATE:
                    own = self._own_family_before(ctx, c0)  # "my son ... he has autism"
                return own and (hit.rule.category is Category.PRIVATE or mild)
        return thing

    def _own_family_before(self, ctx: _Text, pos: int) -> bool:
        """Whether the person last named before `pos` in its sentence is the writer's family."""
        s0, _ = ctx.sentences[ctx.sentence_of(pos)]
        words = _WORD.findall(ctx.masked[s0:pos])
        for k in range(len(words) - 1, 0, -1):
            if words[k][0] in "\x01\x02\x03":
                return False
            if words[k] in self._other and words[k] not in _PRONOUNS:
                return words[k - 1] in _OWN
        return False

    # -- whom is it about -------------------------------------------------------------------

    def _staff_targets(
        self,
        ctx: _Text,
        mentions: Sequence[Mention],
        hits: Sequence[_Hit],
        direct: Sequence[_Hit],
    ) -> Iterable[tuple[Mention, _Hit]]:
        """(staff mention, negative remark) pairs: a remark in the mention's sentence, or in the
        next sentence when that one says "he"/"she" and names nobody else."""
        direct_set = set(direct)
        cues = [
            h
            for h in hits
            if h.about is not About.PUPIL
            and (
                (h.rule.mode is Mode.CUE and h.rule.category is not Category.PRIVATE)
                or (h in direct_set and h.rule.category is not Category.COMPLAINT)
            )
        ]
        staff = [m for m in mentions if m.staff_ids]
        for m in staff:
            if m.via == "hashtag" and set(m.tag_words) & self._lex.names.hashtag_negative:
                yield m, _Hit(_HASHTAG_RULE, m.start, m.end, About.STAFF, True)
                continue
            sentence = ctx.sentence_of(m.start)
            for h in cues:
                hs = ctx.sentence_of(h.start)
                linked = hs == sentence + 1 and self._linked(ctx, hs, mentions)
                if (hs == sentence or linked) and self._counts(ctx, m, h, direct_set):
                    yield m, h
                    break

    def _pupil_targets(
        self,
        ctx: _Text,
        mentions: Sequence[Mention],
        hits: Sequence[_Hit],
        direct: Sequence[_Hit],
    ) -> Iterable[tuple[Mention, _Hit]]:
        """(pupil mention, negative remark) pairs: the pupil is the subject of a remark in the
        same clause (or a pupil rule in the same sentence), with no member of staff in between."""
        direct_set = set(direct)
        cues = [
            h
            for h in hits
            if h.about is not About.STAFF
            and h.rule.category not in (Category.PRIVATE, Category.COMPLAINT)
            and (h.rule.mode is Mode.CUE or h in direct_set)
        ]
        for m in (m for m in mentions if m.pupil):
            if _RELATIVE.match(ctx.masked[m.end : m.end + 12]):
                continue  # "Isla's mum ...": about the parent, not the child
            clause, sentence = ctx.clause_of(m.start), ctx.sentence_of(m.start)
            for h in cues:
                near = ctx.clause_of(h.start) == clause or (
                    h.about is About.PUPIL and ctx.sentence_of(h.start) == sentence
                )
                if not near or (h.start < m.start and not h.framed and h.about is not About.PUPIL):
                    continue
                between = ctx.masked[min(m.end, h.start) : max(m.start, h.start)]
                if MASK_STAFF in between:
                    continue
                if self._counts(ctx, m, h, direct_set):
                    yield m, h
                    break

    def _counts(self, ctx: _Text, m: Mention, h: _Hit, direct: set[_Hit]) -> bool:
        """Whether remark h is really about mention m (not negated, not reported, not kind)."""
        if h.framed and h.start <= m.start < h.end:
            return True
        if h in direct and h.rule.category is not Category.ABUSE:
            return True
        s0, _ = ctx.sentences[ctx.sentence_of(h.start)]
        before = _WORD.findall(ctx.masked[max(s0, h.start - 24) : h.start])[-2:]
        if any(w in self._negators or w.endswith("n't") for w in before):
            return False
        if m.end <= h.start and _REPORTED.search(ctx.masked, m.end, h.start):
            return False
        return not (h.rule.mode is Mode.CUE and not h.framed and self._kindly(ctx, h.start))

    def _kindly(self, ctx: _Text, pos: int) -> bool:
        """Whether the remark at `pos` is made warmly: a warm word in its clause ("lovely",
        "thanks"), or laughter anywhere in its sentence ("always making everyone laugh", 😂)."""
        s0, s1 = ctx.sentences[ctx.sentence_of(pos)]
        sentence = ctx.masked[s0:s1]
        if any(mark in sentence for mark in self._mirth_marks):
            return True
        if any(w in self._mirth for w in _WORD.findall(sentence)):
            return True
        c0, c1 = ctx.clauses[ctx.clause_of(pos)]
        return any(w in self._positive for w in _WORD.findall(ctx.masked[c0:c1]))

    def _linked(self, ctx: _Text, sentence: int, mentions: Sequence[Mention]) -> bool:
        s0, s1 = ctx.sentences[sentence]
        if any(s0 <= m.start < s1 for m in mentions):
            return False
        return bool(_PRONOUN.search(ctx.masked, s0, s1))

    # -- findings ---------------------------------------------------------------------------

    def _finding(self, ctx: _Text, hit: _Hit) -> Finding:
        rule = hit.rule
        return Finding(
            category=rule.category,
            severity=rule.severity,
            rule_id=rule.id,
            clause=rule.clause,
            span=ctx.doc.span(hit.start, hit.end),
            reason=f"This message contains {rule.reason}.",
        )

    def _person_finding(
        self, ctx: _Text, profile: SchoolProfile, mention: Mention, hit: _Hit
    ) -> Finding:
        start, end = min(mention.start, hit.start), max(mention.end, hit.end)
        _, s1 = ctx.sentences[ctx.sentence_of(mention.start)]
        if ctx.sentence_of(hit.start) != ctx.sentence_of(mention.start):
            start, end = mention.start, max(mention.end, min(hit.end, s1))
        severity = max(hit.rule.severity, _SEVERITY_FLOOR, key=lambda s: s.rank)
        if mention.pupil:
            category = Category.PUPIL
            who = f"{mention.pupil}, a pupil,"
        else:
            category = Category.STAFF
            names = [profile.member(s) for s in mention.staff_ids]
            who = " or ".join(n.display_name for n in names if n) + ", a member of staff,"
        return Finding(
            category=category,
            severity=severity,
            rule_id=f"{category.value}.named:{hit.rule.id}",
            clause=DEFAULT_CLAUSE[category],
            span=ctx.doc.span(start, end),
            reason=f"This message names {who} in a negative context: {hit.rule.reason}.",
            staff_id=mention.staff_ids[0] if mention.staff_ids else None,
            pupil=mention.pupil,
        )


_HASHTAG_RULE = Rule(
    "staff.hashtag",
    Category.STAFF,
    Severity.MEDIUM,
    DEFAULT_CLAUSE[Category.STAFF],
    "a hashtag campaign against them",
    Mode.CUE,
)


_REACH = 150  # characters either side of an anchor word that a phrase may extend over


def _held(where: Mapping[str, list[int]], keys: Iterable[str]) -> set[int]:
    """Indices of the tokens holding any of `keys`."""
    out: set[int] = set()
    for key in keys:
        out.update(where.get(key, ()))
    return out


def _windows(
    ctx: _Text, where: Mapping[str, list[int]], anchors: frozenset[str], also: frozenset[str]
) -> list[tuple[int, int]]:
    """Merged stretches of text around the anchor tokens, each within the token's sentence
    (and only in sentences holding one of `also`, if given)."""
    sentences = {ctx.sentence_of(ctx.tokens[n].start) for n in _held(where, also)} if also else None
    spans = []
    for n in sorted(_held(where, anchors)):
        tok = ctx.tokens[n]
        sentence = ctx.sentence_of(tok.start)
        if sentences is None or sentence in sentences:
            s0, s1 = ctx.sentences[sentence]
            spans.append((max(s0, tok.start - _REACH), min(s1, tok.end + _REACH)))
    merged: list[tuple[int, int]] = []
    for w0, w1 in spans:
        if merged and w0 <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], w1))
        else:
            merged.append((w0, w1))
    return merged


def _segments(pattern: re.Pattern[str], text: str) -> tuple[tuple[int, int], ...]:
    out, at = [], 0
    for m in pattern.finditer(text):
        out.append((at, m.end()))
        at = m.end()
    out.append((at, max(len(text), at)))
    return tuple(out)


def _follows(ctx: _Text, i: int, words: tuple[str, ...]) -> int | None:
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


_TERM_GAP = re.compile(r"[ \t\-']{1,3}")


def _allowed(ctx: _Text, lex: Lexicon) -> set[int]:
    """Indices of tokens inside an allow-listed phrase ("Dick Whittington", "blue tit")."""
    out: set[int] = set()
    for tok in ctx.tokens:
        for words in lex.allow.get(tok.text, ()):
            last = _follows(ctx, tok.n, words)
            if last is not None:
                out.update(range(tok.n, last + 1))
    return out


def _overlaps_any(
    patterns: Sequence[re.Pattern[str]], text: str, start: int, end: int, lo: int, hi: int
) -> bool:
    """Whether one of `patterns`, searched in text[lo:hi], overlaps [start, end)."""
    for p in patterns:
        for m in p.finditer(text, lo, hi):
            if m.start() < end and start < m.end():
                return True
    return False


def _dedupe(findings: Sequence[Finding]) -> tuple[Finding, ...]:
    """One finding per (category, person, evidence), the most severe, in text order."""
    best: dict[tuple[object, ...], Finding] = {}
    for f in findings:
        key: tuple[object, ...] = (f.category, f.staff_id, f.pupil)
        if f.category not in (Category.STAFF, Category.PUPIL):
            key += (f.span.start, f.span.end)
        old = best.get(key)
        if old is None or f.severity.rank > old.severity.rank:
            best[key] = f
    return tuple(sorted(best.values(), key=lambda f: (f.span.start, f.category.value)))
