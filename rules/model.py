"""The rules core's values: what a decision is made of.

Everything here is a frozen dataclass or an enum, so a `Verdict` can be shared, cached and
compared freely. `rules` depends on nothing outside the standard library and its own data.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TypeVar

T = TypeVar("T")


class Category(StrEnum):
    """Kinds of breach of a parents' code of conduct (the vocabulary `scan` prints)."""

    ABUSE = "abuse"
    THREAT = "threat"
    DISCRIMINATION = "discrimination"
    STAFF = "staff"
    PUPIL = "pupil"
    PRIVATE = "private"
    COMPLAINT = "complaint"


class Severity(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"

    @property
    def rank(self) -> int:
        return _SEVERITY_RANK[self]

    @classmethod
    def highest(cls, severities: tuple[Severity, ...] | list[Severity]) -> Severity | None:
        return max(severities, key=lambda s: s.rank) if severities else None


_SEVERITY_RANK = {Severity.LOW: 1, Severity.MEDIUM: 2, Severity.HIGH: 3}


class Clause(StrEnum):
    """Clause ids of a school's code of conduct. A school's config gives each one its text."""

    RESPECT = "respect"  # courteous, no abuse or harassment of other parents
    THREATS = "threats"  # no threats or intimidation
    DISCRIMINATION = "discrimination"  # no discriminatory remarks
    STAFF = "staff"  # no naming or criticising staff online
    PUPILS = "pupils"  # no naming or criticising pupils online
    PRIVACY = "privacy"  # no private or confidential information
    COMPLAINTS = "complaints"  # concerns go through the complaints procedure
    CLOSURE = "closure"  # SLT may have a group chat closed if problems continue


DEFAULT_CLAUSE: dict[Category, Clause] = {
    Category.ABUSE: Clause.RESPECT,
    Category.THREAT: Clause.THREATS,
    Category.DISCRIMINATION: Clause.DISCRIMINATION,
    Category.STAFF: Clause.STAFF,
    Category.PUPIL: Clause.PUPILS,
    Category.PRIVATE: Clause.PRIVACY,
    Category.COMPLAINT: Clause.COMPLAINTS,
}


class Stage(StrEnum):
    """Which detection stage made a finding."""

    RULES = "rules"  # the rules core: phrases and patterns, explainable word by word
    LEARNED = "learned"  # the learned second opinion (the `learned` package)


@dataclass(frozen=True, slots=True)
class Span:
    """A half-open range [start, end) of the ORIGINAL text, and the text it quotes."""

    start: int
    end: int
    text: str


@dataclass(frozen=True, slots=True)
class Finding:
    category: Category
    severity: Severity
    rule_id: str
    clause: Clause
    span: Span
    reason: str  # readable: a parent may ask why
    staff_id: str | None = None
    pupil: str | None = None
    # For a finding about a named person: the category of what was said about them (abuse,
    # private details, ...). None for any other finding.
    cause: Category | None = None
    stage: Stage = Stage.RULES
    confidence: float | None = None  # the learned stage's probability; None for rules

    @property
    def said(self) -> str:
        """The rule that matched the words: for a finding about a named person (rule id
        "staff.named:private.phone") the rule of what was said about them, else its own."""
        return self.rule_id.partition(".named:")[2] or self.rule_id


@dataclass(frozen=True, slots=True)
class Named:
    """A roster person the message names, whether or not negatively: where, and who (a
    mention may fit two members of staff: "Mrs Smith")."""

    span: Span
    staff_ids: tuple[str, ...] = ()
    pupil: str | None = None


@dataclass(frozen=True, slots=True)
class Verdict:
    findings: tuple[Finding, ...] = field(default=())
    # Roster people named at all, in text order (for context and for the learned stage, which
    # reads names as placeholders; never flagged alone).
    named: tuple[Named, ...] = field(default=())
    # Flagged by the learned stage alone, below the confidence at which it acts: SLT are asked
    # to review the message; the parent is not reminded (unless the school chose otherwise).
    review: bool = False

    @property
    def mentioned_staff(self) -> tuple[str, ...]:
        return _unique(s for n in self.named for s in n.staff_ids)

    @property
    def flagged(self) -> bool:
        return bool(self.findings)

    @property
    def categories(self) -> tuple[Category, ...]:
        return _unique(f.category for f in self.findings)

    @property
    def severity(self) -> Severity | None:
        return Severity.highest([f.severity for f in self.findings])

    @property
    def staff(self) -> tuple[str, ...]:
        return _unique(f.staff_id for f in self.findings if f.staff_id)

    @property
    def pupils(self) -> tuple[str, ...]:
        return _unique(f.pupil for f in self.findings if f.pupil)

    @property
    def reasons(self) -> tuple[str, ...]:
        """One per finding, leaving out a rule's own reason where a finding about a named
        person already gives it ("names Mrs Shah ...: an insult aimed at someone" and "contains
        an insult aimed at someone" would say the same twice)."""
        about_people = {f.said for f in self.findings if f.cause is not None}
        return _unique(f.reason for f in self.findings if f.rule_id not in about_people)

    @property
    def clauses(self) -> tuple[Clause, ...]:
        return _unique(f.clause for f in self.findings)


def _unique(items: Iterable[T]) -> tuple[T, ...]:
    """Keep the first occurrence of each item, in order."""
    return tuple(dict.fromkeys(items))
