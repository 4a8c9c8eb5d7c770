"""The shared rules core: pure, synchronous, deterministic. Text + SchoolProfile in, Verdict out."""

from rules.engine import RulesEngine
from rules.model import (
    DEFAULT_CLAUSE,
    Category,
    Clause,
    Finding,
    Named,
    Severity,
    Span,
    Stage,
    Verdict,
)
from rules.profile import SchoolProfile
from rules.roster import StaffMember

__all__ = [
    "DEFAULT_CLAUSE",
    "Category",
    "Clause",
    "Finding",
    "Named",
    "RulesEngine",
    "SchoolProfile",
    "Severity",
    "Span",
    "StaffMember",
    "Stage",
    "Verdict",
]
