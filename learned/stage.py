"""The learned second opinion: what the model makes of a message the rules core let through,
turned into findings like the rules core's (category, the people concerned, a readable reason,
the clause), marked with the stage and its confidence."""

from __future__ import annotations

from dataclasses import dataclass

from learned.features import prepared_pieces
from learned.model import FLAG, LinearModel
from rules import DEFAULT_CLAUSE, Category, Finding, Named, Severity, Span, Stage, Verdict
from rules.profile import SchoolProfile

_WHAT = {
    Category.ABUSE: "abusive or insulting towards someone",
    Category.THREAT: "threatening someone",
    Category.DISCRIMINATION: "a discriminatory remark",
    Category.STAFF: "criticism of the school's staff",
    Category.PUPIL: "criticism of a pupil",
    Category.PRIVATE: "private details about someone else",
    Category.COMPLAINT: "a complaint that belongs in the school's complaints procedure",
}
_SEVERITY = {
    Category.THREAT: Severity.HIGH,
    Category.COMPLAINT: Severity.LOW,
}
CATEGORY_AT = 0.5  # a category is named when its output is at least this (else the likeliest)


@dataclass(frozen=True, slots=True)
class Opinion:
    probability: float  # that the message breaks the code
    categories: dict[Category, float]  # which way, if it does
    start: int  # the piece of the message it was most sure of, [start, end)
    end: int


class LearnedStage:
    """Loaded once (a second or less); `opinion` and `findings` are then pure and thread-safe."""

    def __init__(self, model: LinearModel) -> None:
        self._model = model
        thresholds = model.info["thresholds"]
        self.review_at = float(thresholds["review"])
        self.remind_at = float(thresholds["remind"])

    @classmethod
    def shipped(cls) -> LearnedStage:
        return cls(LinearModel.load())

    def opinion(self, text: str, named: tuple[Named, ...] = ()) -> Opinion:
        best: Opinion | None = None
        for start, end, prepared in prepared_pieces(text, named):
            p = self._model.probabilities(prepared)
            if best is None or p[FLAG] > best.probability:
                categories = {c: p[c.value] for c in Category if c.value in p}
                best = Opinion(p[FLAG], categories, start, end)
        assert best is not None  # prepared_pieces gives at least one piece
        return best

    def findings(self, text: str, verdict: Verdict, profile: SchoolProfile) -> tuple[Finding, ...]:
        """Findings for a message the model thinks breaks the code (at `review_at` or above),
        else none. One per member of staff or pupil concerned, as the rules core gives them."""
        opinion = self.opinion(text, verdict.named)
        if opinion.probability < self.review_at:
            return ()
        ranked = sorted(opinion.categories.items(), key=lambda kv: -kv[1])
        chosen = [c for c, p in ranked if p >= CATEGORY_AT] or [ranked[0][0]]
        piece = [n for n in verdict.named if opinion.start <= n.span.start < opinion.end]
        span = Span(opinion.start, opinion.end, text[opinion.start : opinion.end])
        out: list[Finding] = []
        for category in chosen:
            people: list[tuple[str | None, str | None, str]] = [(None, None, "")]
            if category is Category.STAFF:
                people = [
                    (s, None, _staff_name(profile, s))
                    for s in dict.fromkeys(s for n in piece for s in n.staff_ids)
                ] or people
            elif category is Category.PUPIL:
                people = [
                    (None, p, f"{p}, a pupil")
                    for p in dict.fromkeys(n.pupil for n in piece if n.pupil)
                ] or people
            for staff_id, pupil, who in people:
                out.append(
                    Finding(
                        category=category,
                        severity=_SEVERITY.get(category, Severity.MEDIUM),
                        rule_id=f"learned.{category.value}",
                        clause=DEFAULT_CLAUSE[category],
                        span=span,
                        reason=_reason(category, who, opinion.probability),
                        staff_id=staff_id,
                        pupil=pupil,
                        stage=Stage.LEARNED,
                        confidence=round(opinion.probability, 3),
                    )
                )
        return tuple(out)


def _staff_name(profile: SchoolProfile, staff_id: str) -> str:
    member = profile.member(staff_id)
    return f"{member.display_name}, a member of staff" if member else "a member of staff"


def _reason(category: Category, who: str, probability: float) -> str:
    sure = f"the learned model is {probability:.0%} sure"
    if who:
        return f"This message names {who}, in a negative context ({sure})."
    return f"This message reads as {_WHAT[category]} ({sure})."
