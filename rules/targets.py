"""Whom a remark is aimed at: the writer, a thing, another parent, a member of staff, a pupil.

Context decides. "I'm such an idiot" is aimed at the writer; "our dog is a pig" at a thing;
"Mr Carter is a clown" at a member of staff; "Mr Moss is a bully, he made Harry stand outside"
at Mr Moss, not at Harry. A remark about staff that is negated ("isn't rude"), reported ("Mrs
Cox said the bullying..."), or said warmly ("lovely, thanks") names them, but not negatively.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Sequence
from itertools import takewhile

from rules.context import PERSON_MASKS, Context
from rules.lexicon import (
    MASK_PUPIL,
    MASK_STAFF,
    About,
    Lexicon,
    LexiconError,
    Mode,
    PrivateWords,
    Rule,
    alternation,
)
from rules.matching import Hit
from rules.model import DEFAULT_CLAUSE, Category, Severity
from rules.private import Owner
from rules.profile import Mention

_REPORTED = re.compile(
    r"(?<![a-z])(?:said|says|say|told|tells|asked|asks|explained|explains|mentioned|announced|"
    r"confirmed|reckons|thinks|wrote|emailed|replied|warned|reminded|informed|let us know|"
    r"sent|is sending|posted|reported|spoke|talked|assured)(?![a-z])"
)
_PRONOUN = re.compile(r"(?<![a-z'])(?:he|she|him|her|his|he's|she's)(?![a-z])")
_RELATIVE = re.compile(r"^'?s? ?(?:mum|mom|mam|mummy|dad|daddy|mother|father|parents|nan|gran)")
# Between two people named together: "Mr Moss and Mrs Cox are both useless".
_TOGETHER = re.compile(r"[\s,&/+]*(?:and|or|nor|plus|&|as well as)?[\s,]*(?:both\s+)?")
# Laughing at someone is not laughing along with them: "everyone laughs at you".
_DERISION = re.compile(r"(?<![a-z])(?:laugh(?:s|ing|ed)?|sniggering|giggling) at(?![a-z])")
_OWN = frozenset(("my", "our", "mine"))
# The writer's own child named in passing is not someone else in between ("kept our Leo in").
_OWN_CHILD = re.compile(f"(?<![a-z])(?:my|our) [{PERSON_MASKS}]+")
_SELF_AFTER = frozenset(("i'm", "im"))
_PRONOUNS = frozenset(("he", "she", "they", "him", "her", "he's", "she's", "they're", "hes"))
_POINTING = frozenset(("that", "this", "the", "those", "these", "thats", "that's"))
_ARTICLES = frozenset(("the", "a", "an"))
# How a line that goes on from the one naming someone opens ("Mrs Cox\nis a disgrace").
_CONTINUING = frozenset(("is", "was", "has", "needs", "should", "never", "always", "really"))
_HE_SHE = frozenset(("he's", "she's", "hes", "shes"))
# What may stand beside a name said on its own: "oh, that Mrs Cox", "and as for Mr Moss".
_BARE = _POINTING | frozenset(("oh", "and", "as", "for", "honestly", "seriously", "ffs", "omg"))


def _mild(rule: Rule) -> bool:
    """A low-severity insult: one that warmth, a part played or an excuse can clear."""
    return rule.severity is Severity.LOW and rule.category is Category.ABUSE


def _apostrophe_off(word: str) -> str:
    """A word without its "'s" or closing "'" ("husband's", "kids'"), else the word itself."""
    cut = word.rfind("'")
    return word[:cut] if 0 < cut >= len(word) - 2 else word


HASHTAG_RULE = Rule(
    "staff.hashtag",
    Category.STAFF,
    Severity.MEDIUM,
    DEFAULT_CLAUSE[Category.STAFF],
    "a hashtag campaign against them",
    Mode.CUE,
)


class Aim:
    """Decides whom remarks are aimed at, from word classes in rules/data/classes.yaml."""

    def __init__(self, lex: Lexicon) -> None:
        self._self = lex.words_in("SELF")
        self._things = lex.words_in("NOT_PERSON")
        self._other = lex.words_in("OTHER") | lex.words_in("PERSON_NOUN")
        self._role_play = self._phrases(lex, "ROLE_PLAY")
        self._own_child = self._phrases(lex, "OWN_CHILD")
        self._excuse = self._phrases(lex, "EXCUSE")
        self._others_family = lex.words_in("OTHER_PEOPLE")
        self._negators = lex.words_in("NEGATOR")
        self._verdicts = lex.words_in("VERDICT")
        # Words that leave a clause without a subject: "..., total numpty".
        self._filler = lex.words_in("INTENS") | {"what", "a", "an", "such", "ffs", "omg"}
        self._positive = lex.words_in("POSITIVE")
        self._mirth = lex.words_in("MIRTH")
        # Laughing or loving emoji anywhere in the sentence: "... 😂", "... ❤️".
        self._mirth_marks = tuple(
            w.replace("\ufe0f", "")  # the text is read without emoji presentation selectors
            for w in self._mirth | self._positive
            if not w.isascii() and not w.isalpha()
        )
        self._hashtag_negative = lex.names.hashtag_negative
        # Insults and swearing: aimed at a member of staff or a pupil they are abuse as well.
        self._name_calling = (
            lex.words_in("INSULT") | lex.words_in("NAME_CALLING") | lex.words_in("SWEARING")
        )
        self._private: PrivateWords = lex.private

    @staticmethod
    def _phrases(lex: Lexicon, cls: str) -> re.Pattern[str]:
        """A pattern finding any of a word class's phrases as whole words."""
        words = lex.words_in(cls)
        if not words:
            raise LexiconError(f"rules/data/classes.yaml: the class {cls} is missing or empty")
        return re.compile(rf"(?<![a-z]){alternation(words)}(?![a-z])")

    # -- whose is it --------------------------------------------------------------------------

    def owner(self, ctx: Context, pos: int) -> Owner:
        """Whose the number, address or link at `pos` is, from the nearest telling words before
        it in its sentence ("my number", "the office on", "his mobile", "Mrs Shah's email").
        Of telling words ending in the same place the longest wins: "my mobile" over "mobile",
        "my husband's" over "husband's"."""
        s0, _ = ctx.sentence(pos)
        window = ctx.masked[max(s0, pos - 60) : pos]
        words = self._private
        best: tuple[int, int, Owner] = (-1, 0, Owner.UNKNOWN)  # (end, -start, owner)
        for pattern, owner in (
            (words.own_cues, Owner.WRITER),
            (words.public_cues, Owner.PUBLIC),
            (words.other_cues, Owner.OTHER),
        ):
            for m in pattern.finditer(window):
                best = max(best, (m.end(), -m.start(), owner), key=lambda b: b[:2])
        for m in re.finditer(f"[{PERSON_MASKS}]+", window):
            best = max(best, (m.end(), -m.start(), Owner.OTHER), key=lambda b: b[:2])
        owner = best[2]
        someone = owner in (Owner.OTHER, Owner.UNKNOWN) and MASK_STAFF not in window
        if someone and words.trade_cues.search(ctx.masked, *ctx.sentence(pos)):
            return Owner.PUBLIC  # "Jo, a brilliant tutor, 07700 ...": to book her
        return owner

    def not_aimed(self, ctx: Context, hit: Hit) -> bool:
        """An `aimed` remark that is not aimed at another person: its nearest subject before it
        is the writer or a thing ("I'm an idiot", "our dog is a pig"), the writer's own family
        ("my son has ADHD", "my husband is a muppet"), or it is a mild remark made fondly ("he's
        such a clown, always making everyone laugh")."""
        if hit.rule.mode is not Mode.AIMED:
            return False
        private = hit.rule.category is Category.PRIVATE
        mild = _mild(hit.rule)
        if mild and (self.kindly(ctx, hit.start, hit.end) or self.playing_a_part(ctx, hit)):
            return True
        if self._own_subject(ctx.words(hit.start, hit.end)):
            return private or mild  # "my kids are so lazy", "my son's a little horror"
        c0, c1 = ctx.clause(hit.start)
        words = ctx.words(c0, hit.start)
        # "I hate that cow": "that" points at someone, but only in the remark's own clause.
        pointing = hit.rule.category is Category.ABUSE
        opening = list(takewhile(lambda w: w in self._filler, reversed(words)))
        no_subject = len(opening) == len(words) or "what" in opening  # "(...🤦) what a"
        if no_subject and self._self_after(ctx.words(hit.end, c1)[:5]):
            return True  # "what an idiot I am"
        if len(opening) == len(words):  # the remark's clause names no subject
            words = ctx.words(ctx.sentence(hit.start)[0], hit.start)  # "ffs me again, numpty"
            pointing = False
        thing = False  # "our dog is a pig", unless a person comes before: "whoever ... my drive"
        # The last word that is not filler: only it and the words after it can be the subject
        # right before the remark ("my husband's an idiot").
        last = len(words) - 1
        while last >= 0 and words[last] in self._filler:
            last -= 1
        for k in range(len(words) - 1, -1, -1):
            word = words[k]
            if k >= last and word not in self._other:
                word = _apostrophe_off(word)  # "my husband's an idiot", not his mate
            if word in self._things:
                thing = True
            elif word in self._self or (word in _OWN and private):
                return not thing or private
            elif pointing and word in _POINTING and not thing:
                return False
            elif word[0] in PERSON_MASKS or word in self._other:
                own = (k > 0 and words[k - 1] in _OWN) or (
                    word[0] == MASK_PUPIL and self.own_child(ctx, hit.start)
                )
                if word in _PRONOUNS and private:
                    own = self._own_family_before(ctx, c0)  # "my son ... he has autism"
                return own and (private or mild)
        return thing

    def _own_subject(self, words: list[str]) -> bool:
        """Whether a remark's own words open with the writer's family as its subject ("my
        husband is so lazy", "my son's a nightmare"), not someone of theirs ("my son's mate")."""
        if len(words) < 2 or words[0] not in _OWN:
            return False
        noun, rest = _apostrophe_off(words[1]), words[2:3]
        if noun != words[1] and rest and rest[0] not in self._filler:
            return False
        return noun in self._other and noun not in _PRONOUNS

    def _self_after(self, words: list[str]) -> bool:
        """Whether the words right after a remark make the writer its subject ("... I am",
        "numpty moment from me", "total numpty moment, I thought..."): a moment of being a
        numpty is the writer's own unless someone else's is named ("moment from her")."""
        if not words:
            return False
        others = any(w in self._other or w[0] in PERSON_MASKS for w in words[1:])
        moment = words[0] == "moment" and not others
        return words[0] in _SELF_AFTER or words[:2] == ["i", "am"] or moment

    def name_calling(self, ctx: Context, hit: Hit) -> bool:
        """Whether an abusive remark calls someone names or swears at them ("is a twat", "tell
        her to f off"), rather than criticising them ("is useless")."""
        words = ctx.words(hit.start, hit.end)
        calling = self._name_calling
        return " ".join(words) in calling or any(w in calling for w in words)

    def kindly(self, ctx: Context, pos: int, end: int | None = None) -> bool:
        """Whether the remark at [pos, end) is made warmly: a warm word in its clause ("lovely",
        "thanks"), laughter or an excuse anywhere in its sentence ("always making everyone
        laugh", 😂, "she had a lot on"). The remark's own words do not count ("a laughing
        stock")."""
        end = pos if end is None else end
        s0, s1 = ctx.sentence(pos)
        if any(mark in ctx.masked[s0:s1] for mark in self._mirth_marks):
            return True
        if self.excused(ctx, pos):
            return True
        laughter = not self._mirth.isdisjoint(ctx.words(s0, pos) + ctx.words(end, s1))
        if laughter and not _DERISION.search(ctx.masked, s0, s1):
            return True
        c0, c1 = ctx.clause(pos)
        return not self._positive.isdisjoint(ctx.words(c0, pos) + ctx.words(end, max(c1, end)))

    def excused(self, ctx: Context, pos: int) -> bool:
        """Whether the sentence at `pos` makes an excuse for someone ("she had a lot on")."""
        return bool(self._excuse.search(ctx.masked, *ctx.sentence(pos)))

    def playing_a_part(self, ctx: Context, hit: Hit) -> bool:
        """Whether a mild insult is a part played or a costume worn ("Isla was a sheep in the
        nativity", "going as a witch for Halloween"), not what someone is."""
        if not _mild(hit.rule):
            return False
        return bool(self._role_play.search(ctx.masked, *ctx.sentence(hit.start)))

    def own_child(self, ctx: Context, pos: int) -> bool:
        """Whether the sentence at `pos` says what only a child's own family sees or says ("at
        bedtime", "in the bath", "I've had words with him"): a pupil named there is the
        writer's own child."""
        return bool(self._own_child.search(ctx.masked, *ctx.sentence(pos)))

    def _own_family_before(self, ctx: Context, pos: int) -> bool:
        """Whether the person last named before `pos` in its sentence is the writer's family."""
        s0, _ = ctx.sentence(pos)
        words = ctx.words(s0, pos)
        for k in range(len(words) - 1, 0, -1):
            if words[k][0] in PERSON_MASKS:
                return False
            if words[k] in self._other and words[k] not in _PRONOUNS:
                return words[k - 1] in _OWN
        return False

    # -- whom is it about ---------------------------------------------------------------------

    def staff_targets(
        self, ctx: Context, hits: Sequence[Hit], direct: set[Hit]
    ) -> list[tuple[Mention, Hit]]:
        """(staff mention, negative remark) pairs. A remark goes to the member of staff it
        frames ("Mrs Shah is a snake"), else the nearest named before it in its clause or
        sentence (all of them if named together: "Mr Moss and Mrs Cox are useless"), else one
        named in the sentence before when this one says "he" or "she" and names nobody."""
        staff = _Staff(ctx)
        pairs: dict[int, tuple[Mention, Hit]] = {}
        for m in staff.mentions:
            if m.via == "hashtag" and set(m.tag_words) & self._hashtag_negative:
                pairs[m.start] = (m, Hit(HASHTAG_RULE, m.start, m.end, About.STAFF, True))
        cues = [
            h
            for h in hits
            if h.about is not About.PUPIL
            and (
                (h.rule.mode is Mode.CUE and h.rule.category is not Category.PRIVATE)
                or (h in direct and h.rule.category is not Category.COMPLAINT)
                or (h in direct and self._against_staff(ctx, h))
            )
        ]
        for h in sorted(cues, key=lambda h: h.start):
            group = self._staff_for(ctx, h, staff)
            earlier = [m for m in group if m.end <= h.start]
            nearest = earlier[-1] if earlier else group[0] if group else None
            if nearest is None or not self._counts(ctx, nearest, h, direct):
                continue
            for m in group:
                pairs.setdefault(m.start, (m, h))
        return sorted(pairs.values(), key=lambda pair: pair[0].start)

    def pupil_targets(
        self, ctx: Context, hits: Sequence[Hit], direct: set[Hit]
    ) -> Iterable[tuple[Mention, Hit]]:
        """(pupil mention, negative remark) pairs: the pupil is the subject of a remark in the
        same clause (or a pupil rule in the same sentence), with no member of staff in between."""
        cues = [
            h
            for h in hits
            if h.about is not About.STAFF
            and h.rule.category not in (Category.PRIVATE, Category.COMPLAINT)
            and (h.rule.mode is Mode.CUE or h in direct)
        ]
        for m in (m for m in ctx.mentions if m.pupil):
            if _RELATIVE.match(ctx.masked[m.end : m.end + 12]):
                continue  # "Isla's mum ...": about the parent, not the child
            if self.own_child(ctx, m.start):
                continue  # "Harry's a nightmare at bedtime": the writer's own child
            clause, sentence = ctx.clause_of(m.start), ctx.sentence_of(m.start)
            for h in cues:
                near = (
                    ctx.clause_of(h.start) == clause
                    or (h.about is About.PUPIL and ctx.sentence_of(h.start) == sentence)
                    or self._said_of_them(ctx, clause, h)
                )
                if not near or (h.start < m.start and not h.framed and h.about is not About.PUPIL):
                    continue
                if MASK_STAFF in ctx.masked[min(m.end, h.start) : max(m.start, h.start)]:
                    continue
                if self._counts(ctx, m, h, direct):
                    yield m, h
                    break

    def _against_staff(self, ctx: Context, h: Hit) -> bool:
        """Whether a call to campaign in public names a member of staff in its own clause as
        its target ("name and shame Mr Moss", "1 star reviews on Mrs Cox's page"), not as the
        one to take it to ("complain to Mrs Cox")."""
        c0, c1 = ctx.clause(h.start)
        lo, hi = min(c0, h.start), max(c1, h.end)
        return any(
            m.staff_ids
            and lo <= m.start < hi
            and ctx.words(max(lo, m.start - 12), m.start)[-1:] not in (["to"], ["with"])
            for m in ctx.mentions
        )

    def _said_of_thing(self, ctx: Context, h: Hit) -> bool:
        """Whether the word right after a remark, or after a "the" or "a", is a thing ("a
        horrible cough", "grabbed the ball", "stole the show")."""
        after = ctx.words(h.end, min(len(ctx.masked), h.end + 24))[:2]
        if after and after[0] in _ARTICLES:
            after = after[1:]
        return bool(after) and after[0] in self._things

    def _said_of_them(self, ctx: Context, clause: int, h: Hit) -> bool:
        """Whether the remark opens the clause after the one naming someone with "he's" or
        "she's" ("keep away from Harry, he's a creep")."""
        if ctx.clause_of(h.start) != clause + 1:
            return False
        words = ctx.words(ctx.clause(h.start)[0], h.start) or ctx.words(h.start, h.end)[:1]
        return bool(words) and words[0] in _HE_SHE and all(w in self._filler for w in words[1:])

    def _staff_for(self, ctx: Context, h: Hit, staff: _Staff) -> list[Mention]:
        framed = staff.starting_in(h.start, h.end)
        if framed:
            return self._together(ctx, staff, framed[0])
        sentence = ctx.sentence_of(h.start)
        same = staff.in_sentences(sentence, sentence + 1)
        if not same:
            earlier = staff.in_sentences(0, sentence)
            before = staff.in_sentences(sentence - 1, sentence) if sentence else []
            if before and (
                self._linked(ctx, sentence)
                or (
                    self._bare(ctx, *ctx.sentences[sentence - 1])
                    and (self._subjectless(ctx, h) or self._continues(ctx, sentence))
                )
            ):  # "Mr Moss? Total waste of space.", "Mrs Cox\nis a disgrace"
                return self._together(ctx, staff, before[-1])
            if earlier and self._verdict(ctx, h):  # "Emailed Mrs Cox twice. Nothing. Disgusting."
                return self._together(ctx, staff, earlier[-1])
            return []
        clause = ctx.clause_of(h.start)
        pool = [m for m in same if ctx.clause_of(m.start) == clause]
        if not pool and h.word and h.rule.mode is Mode.CUE:
            # A lone word ("awful") only counts in the clause that names them, or beside a
            # name said on its own: "Mrs Shah, useless as ever", "useless, that Mrs Shah".
            pool = [
                m
                for m in same
                if abs(ctx.clause_of(m.start) - clause) == 1
                and self._bare(ctx, *ctx.clause(m.start))
                and self._subjectless(ctx, h)
            ]
            if not pool and self._verdict(ctx, h, *ctx.clause(h.start)):
                pool = [m for m in same if m.end <= h.start]  # "never rings back, useless"
            if not pool:
                return []
        pool = pool or same
        earlier = [m for m in pool if m.end <= h.start]
        return self._together(ctx, staff, earlier[-1] if earlier else pool[0])

    def _together(self, ctx: Context, staff: _Staff, m: Mention) -> list[Mention]:
        """`m` and the members of staff listed with it ("Mr Moss, Mrs Cox and Mr Bush")."""
        listed = staff.mentions
        k = staff.place(m)
        lo = hi = k
        while lo > 0 and _TOGETHER.fullmatch(ctx.masked[listed[lo - 1].end : listed[lo].start]):
            lo -= 1
        while hi + 1 < len(listed) and _TOGETHER.fullmatch(
            ctx.masked[listed[hi].end : listed[hi + 1].start]
        ):
            hi += 1
        return list(listed[lo : hi + 1])

    def _verdict(self, ctx: Context, h: Hit, s0: int | None = None, s1: int | None = None) -> bool:
        """Whether the remark is a one-word verdict standing as its own sentence ("Disgusting.",
        "Absolutely disgraceful!"), or as the given stretch of it."""
        if s0 is None or s1 is None:
            s0, s1 = ctx.sentence(h.start)
        remark = " ".join(ctx.words(h.start, h.end))
        rest = ctx.words(s0, h.start) + ctx.words(h.end, s1)
        return remark in self._verdicts and all(w in self._filler for w in rest)

    def _continues(self, ctx: Context, sentence: int) -> bool:
        """Whether a sentence (a line of its own, as often as not) goes on from the one before:
        it opens with a verb that wants a subject ("is a disgrace", "never replies")."""
        words = ctx.words(*ctx.sentences[sentence])[:1]
        return bool(words) and words[0] in _CONTINUING

    def _bare(self, ctx: Context, start: int, end: int) -> bool:
        """Whether [start, end) only names someone: a name on its own, perhaps pointed at or
        with a sigh ("Mr Moss?", "oh, that Mrs Cox")."""
        words = ctx.words(start, end)
        named = [w for w in words if w[0] in PERSON_MASKS]
        return len(named) == 1 and all(w in _BARE for w in words if w[0] not in PERSON_MASKS)

    def _subjectless(self, ctx: Context, h: Hit) -> bool:
        """Whether the remark's clause says nothing before it but fillers ("useless as ever",
        "total waste of space"), so that it is said of a name given beside it."""
        return all(w in self._filler for w in ctx.words(ctx.clause(h.start)[0], h.start))

    def _linked(self, ctx: Context, sentence: int) -> bool:
        """Whether a sentence says "he"/"she" and names nobody itself."""
        s0, s1 = ctx.sentences[sentence]
        if any(s0 <= m.start < s1 for m in ctx.mentions):
            return False
        return bool(_PRONOUN.search(ctx.masked, s0, s1))

    def _counts(self, ctx: Context, m: Mention, h: Hit, direct: set[Hit]) -> bool:
        """Whether remark h is really about mention m: not negated, not reported speech, not
        said warmly, and not aimed at someone else in between ("that idiot dad")."""
        if self.playing_a_part(ctx, h) or (h.rule.mode is Mode.CUE and self.excused(ctx, h.start)):
            return False  # "a sheep in the nativity"; "all over the place, she had a lot on"
        if h.framed and h.start <= m.start < h.end:
            return True
        if h in direct and h.rule.category is not Category.ABUSE:
            return True
        s0, _ = ctx.sentence(h.start)
        before = ctx.words(max(s0, h.start - 24), h.start)[-2:]
        if any(w in self._negators or w.endswith("n't") for w in before):
            return False
        if m.end <= h.start:
            if _REPORTED.search(ctx.masked, m.end, h.start):
                return False
            between = _OWN_CHILD.sub("", ctx.masked[m.end : h.start])
            if any(c in between for c in PERSON_MASKS):
                return False  # someone else is named in between
        after = ctx.words(h.end, min(len(ctx.masked), h.end + 16))[:1]
        if h in direct and after and after[0] in self._others_family:
            return False  # "deal with that idiot dad": aimed at the dad
        if h.word and self._said_of_thing(ctx, h):
            return False  # "off all week with a horrible cough", "grabbed the ball"
        return not (h.rule.mode is Mode.CUE and not h.framed and self.kindly(ctx, h.start, h.end))


class _Staff:
    """A message's mentions of staff, in text order, indexed so that finding those near each
    remark costs a lookup rather than a pass over them all (a message may hold hundreds)."""

    def __init__(self, ctx: Context) -> None:
        self.mentions = [m for m in ctx.mentions if m.staff_ids]
        self._starts = [m.start for m in self.mentions]
        self._sentences = [ctx.sentence_of(m.start) for m in self.mentions]
        self._place = {id(m): k for k, m in enumerate(self.mentions)}

    def place(self, m: Mention) -> int:
        return self._place[id(m)]

    def starting_in(self, start: int, end: int) -> list[Mention]:
        lo, hi = bisect.bisect_left(self._starts, start), bisect.bisect_left(self._starts, end)
        return self.mentions[lo:hi]

    def in_sentences(self, first: int, stop: int) -> list[Mention]:
        """Those in sentences first to stop - 1."""
        lo = bisect.bisect_left(self._sentences, first)
        return self.mentions[lo : bisect.bisect_left(self._sentences, stop)]
