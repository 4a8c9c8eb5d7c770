"""Both detection stages as one: the rules core first, and for a message it lets through, the
learned second opinion. The bot and `scan` both judge messages through a `Detector`."""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Protocol

from learned.stage import LearnedStage
from rules import RulesEngine, SchoolProfile, Verdict

log = logging.getLogger(__name__)


class Evaluator(Protocol):
    """What judges one message: a `Detector`, or the rules core alone."""

    def evaluate(self, text: str, profile: SchoolProfile) -> Verdict: ...


class Detector:
    """`learned=None` is the rules core alone (`scan --rules-only`, or a school that turned the
    learned stage off)."""

    def __init__(self, engine: RulesEngine, learned: LearnedStage | None) -> None:
        self.engine = engine
        self.learned = learned

    @classmethod
    def shipped(cls, *, rules_only: bool = False) -> Detector:
        return cls(RulesEngine(), None if rules_only else LearnedStage.shipped())

    def evaluate(self, text: str, profile: SchoolProfile, *, learned: bool = True) -> Verdict:
        """Never raises: a failure of the learned stage leaves the rules core's verdict."""
        verdict = self.engine.evaluate(text, profile)
        if verdict.flagged or self.learned is None or not learned:
            return verdict
        try:
            findings = self.learned.findings(text, verdict, profile)
        except Exception:  # the bot must never crash on a message; never log the text
            log.exception("learned stage failed on a message of %d characters", len(text))
            return verdict
        if not findings:
            return verdict
        confident = max(f.confidence or 0.0 for f in findings) >= self.learned.remind_at
        return replace(verdict, findings=findings, review=not confident)
