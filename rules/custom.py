"""Rules a school adds in its config: a pattern or a list of words of its own, each with the
category, severity, clause and reason of a built-in rule.

The patterns come from a config file, not from the rules core's tested data, so they are
compiled with RE2, whose matching time grows only linearly with the text: no pattern can hang
the bot (Python's re takes exponential time over "(a+)+$" against a long run of "a"). RE2 has
no backreferences or look-around; a pattern it refuses is a config error. They are matched,
ignoring case, against the normalised message (lower case, accents and disguises removed), like
the built-in rules, so evidence still quotes what the person wrote.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import re2

from rules.lexicon import Mode, Rule, normaliser
from rules.model import DEFAULT_CLAUSE, Category, Clause, Severity
from rules.normalise import tokenise


class CustomPatternError(ValueError):
    """A pattern RE2 cannot compile; `str(error)` says why in one line."""


@dataclass(frozen=True, slots=True)
class CustomRule:
    """A school's own rule: a `pattern` (RE2 syntax), `words` (whole words or phrases), or
    both. The clause defaults to the category's."""

    id: str
    category: Category
    reason: str  # completes "This message contains ...", e.g. "a fundraising link"
    severity: Severity = Severity.MEDIUM
    clause: Clause | None = None
    pattern: str = ""
    words: tuple[str, ...] = ()


def compile_pattern(pattern: str) -> Any:
    """The RE2 program for a pattern, matching regardless of case."""
    options = re2.Options()
    options.case_sensitive = False
    options.log_errors = False  # the reason is in the exception; stderr stays clean
    try:
        return re2.compile(pattern, options)
    except re2.error as error:
        reason = error.args[0] if error.args else "not a pattern"
        if isinstance(reason, bytes):
            reason = reason.decode("utf-8", "replace")
        raise CustomPatternError(f"RE2 cannot use this pattern: {reason}") from None


def _words_pattern(words: Sequence[str]) -> str:
    """Whole words and phrases, written as the normaliser writes them ("Go-Fund-Me" finds
    "go fund me"), any gap between their words."""
    phrases = []
    for word in words:
        tokens = [t.text for t in tokenise(normaliser()(word))]
        if tokens:
            phrases.append(r"[^a-z0-9]+".join(re2.escape(t) for t in tokens))
    return r"\b(?:" + "|".join(phrases) + r")\b" if phrases else ""


@dataclass(frozen=True)
class CustomRules:
    """A school's own rules, compiled once."""

    compiled: tuple[tuple[Rule, Any], ...] = ()

    @classmethod
    def build(cls, rules: Sequence[CustomRule]) -> CustomRules:
        compiled = []
        for rule in rules:
            as_rule = Rule(
                id=rule.id,
                category=rule.category,
                severity=rule.severity,
                clause=rule.clause or DEFAULT_CLAUSE[rule.category],
                reason=rule.reason,
                mode=Mode.ALWAYS,
            )
            for source in (rule.pattern, _words_pattern(rule.words)):
                if source:
                    compiled.append((as_rule, compile_pattern(source)))
        return cls(tuple(compiled))

    def find(self, text: str) -> list[tuple[Rule, int, int]]:
        """Each rule's matches in the normalised `text`: (rule, start, end)."""
        found = []
        for rule, program in self.compiled:
            for match in program.finditer(text):
                start, end = match.span()
                if start < end:
                    found.append((rule, start, end))
        return found
