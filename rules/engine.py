"""The rules engine: decides, explainably, whether a message breaks the code of conduct.

One pass per message: normalise (rules.normalise), find the roster people it names
(rules.profile), mask them (rules.context), look up words and try the phrase patterns whose
anchor words occur (rules.matching), then decide whom each negative remark is aimed at
(rules.targets). Pure and deterministic; `evaluate` never raises.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence

from rules.context import Context, build_context
from rules.lexicon import About, Mode, Rule, alternation, load_lexicon, normaliser
from rules.matching import Hit, phrase_hits, private_hits, term_hits
from rules.model import DEFAULT_CLAUSE, Category, Finding, Named, Severity, Verdict
from rules.normalise import tokenise
from rules.profile import Mention, SchoolProfile
from rules.targets import Aim

log = logging.getLogger(__name__)

_DIRECT = (Mode.ALWAYS, Mode.AIMED)
_CONTEMPT_RULE = Rule(
    "staff.contempt",
    Category.STAFF,
    Severity.MEDIUM,
    DEFAULT_CLAUSE[Category.STAFF],
    "an emoji of contempt",
    Mode.CUE,
)
_SEVERITY_FLOOR = Severity.MEDIUM  # staff or pupils named negatively: SLT always hears of it


class RulesEngine:
    """Loads rules/data/ once; `evaluate` is then pure lookups and pre-compiled patterns."""

    def __init__(self) -> None:
        self._lex = load_lexicon()
        self._normalise = normaliser()
        self._aim = Aim(self._lex)
        self._contempt = re.compile(alternation(self._lex.words_in("CONTEMPT")))

    def evaluate(self, text: str, profile: SchoolProfile) -> Verdict:
        """The verdict on one message. Never raises: a failure is logged (without the text)
        and the message is treated as not flagged."""
        try:
            return self._evaluate(text, profile)
        except Exception:  # the bot must never crash on a message
            log.exception("rules engine failed on a message of %d characters", len(text))
            return Verdict()

    def matched_entries(self, text: str, profile: SchoolProfile) -> tuple[str, ...]:
        """The ids of the phrase entries (rules/data/phrases/) whose patterns match in the
        message, in text order, whether or not the verdict then flags it (a cue needs a named
        person; a remark may be aimed at the writer). For testing and reporting on the data."""
        hits = phrase_hits(self._context(text, profile), self._lex)
        hits.sort(key=lambda h: (h.start, h.end, h.entry))
        return tuple(dict.fromkeys(h.entry for h in hits))

    def _context(self, text: str, profile: SchoolProfile) -> Context:
        doc = self._normalise(text)
        tokens = tokenise(doc)
        mentions = profile.find_mentions(doc, tokens)
        school = profile.find_school(doc, tokens)
        return build_context(doc, tokens, mentions, school, self._lex.names)

    def _evaluate(self, text: str, profile: SchoolProfile) -> Verdict:
        lex, aim = self._lex, self._aim
        ctx = self._context(text, profile)
        doc, mentions = ctx.doc, ctx.mentions
        hits = term_hits(ctx, lex) + phrase_hits(ctx, lex)
        hits += private_hits(ctx, lex, lambda pos: aim.owner(ctx, pos))
        hits += [Hit(rule, start, end) for rule, start, end in profile.custom.find(doc.text)]
        hits += [
            Hit(_CONTEMPT_RULE, m.start(), m.end(), About.STAFF, word=True)
            for m in self._contempt.finditer(ctx.masked)
        ]
        # In text order, ties by rule id: which remark a named person's finding cites must not
        # depend on the order sets happened to iterate in.
        hits.sort(key=lambda h: (h.start, h.end, h.rule.id))
        direct = {h for h in hits if h.rule.mode in _DIRECT and not aim.not_aimed(ctx, h)}
        findings: list[Finding] = []
        about_person: set[int] = set()  # sentences whose insults are about a named person
        for mention, hit in [
            *aim.staff_targets(ctx, hits, direct),
            *aim.pupil_targets(ctx, hits, direct),
        ]:
            findings += _person_findings(ctx, profile, mention, hit)
            about_person.add(ctx.sentence_of(hit.start))
        for hit in sorted(direct, key=lambda h: (h.start, h.end, h.rule.id)):
            if (
                hit.rule.category is Category.ABUSE
                and ctx.sentence_of(hit.start) in about_person
                and not aim.name_calling(ctx, hit)
            ):
                continue  # criticism, reported as naming a member of staff or a pupil negatively
            findings.append(_finding(ctx, hit))
        named = tuple(Named(doc.span(m.start, m.end), m.staff_ids, m.pupil) for m in mentions)
        return Verdict(_dedupe(findings), named)


def _finding(ctx: Context, hit: Hit) -> Finding:
    rule = hit.rule
    return Finding(
        category=rule.category,
        severity=rule.severity,
        rule_id=rule.id,
        clause=rule.clause,
        span=ctx.doc.span(hit.start, hit.end),
        reason=f"This message contains {rule.reason}.",
    )


def _person_findings(
    ctx: Context, profile: SchoolProfile, mention: Mention, hit: Hit
) -> list[Finding]:
    """One finding per person named (a mention may fit two people: "Mrs Smith")."""
    start, end = min(mention.start, hit.start), max(mention.end, hit.end)
    if ctx.sentence_of(hit.start) != ctx.sentence_of(mention.start):
        _, s1 = ctx.sentence(mention.start)
        start, end = mention.start, max(mention.end, min(hit.end, s1))
    severity = max(hit.rule.severity, _SEVERITY_FLOOR, key=lambda s: s.rank)
    span = ctx.doc.span(start, end)
    who: list[tuple[str | None, str]]
    if mention.pupil:
        who = [(None, f"{mention.pupil}, a pupil")]
        category = Category.PUPIL
    else:
        category = Category.STAFF
        members = [profile.member(s) for s in mention.staff_ids]
        who = [(m.id, f"{m.display_name}, a member of staff") for m in members if m]
    return [
        Finding(
            category=category,
            severity=severity,
            rule_id=f"{category.value}.named:{hit.rule.id}",
            clause=DEFAULT_CLAUSE[category],
            span=span,
            reason=_about(name, hit.rule.category, hit.rule.reason),
            staff_id=staff_id,
            pupil=mention.pupil,
            cause=hit.rule.category,
        )
        for staff_id, name in who
    ]


def _about(name: str, cause: Category, what: str) -> str:
    """Why a finding about a named person: sharing their private details is not criticism."""
    if cause is Category.PRIVATE:
        return f"This message shares private details about {name}: {what}."
    return f"This message names {name}, in a negative context: {what}."


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
