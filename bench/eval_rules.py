"""Score the rules core on a labelled set of parent chat messages.

    python -m bench.eval_rules [--cases PATH] [--roster PATH] [--show-errors]

Defaults to ../shared/eval/parent_chat_dev.jsonl with ../shared/eval/riverside.yaml. Prints
precision, recall and F1 of `flagged`, recall per category, staff attribution (share of flagged
staff cases whose expected staff ids are all reported) and how many hard negatives are flagged.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console
from rich.table import Table

from bench.common import (
    DEV_CASES,
    DEV_ROSTER,
    BinaryScores,
    Case,
    load_cases,
    load_profile,
    recording_engine_failures,
)
from rules import RulesEngine, SchoolProfile, Verdict


@dataclass
class Scores(BinaryScores):
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0
    hard_negatives: int = 0
    hard_negatives_flagged: int = 0
    staff_cases: int = 0
    staff_attributed: int = 0
    category_total: dict[str, int] = field(default_factory=dict)
    category_found: dict[str, int] = field(default_factory=dict)
    errors: list[tuple[Case, Verdict, str]] = field(default_factory=list)

    @property
    def staff_attribution(self) -> float:
        return self.staff_attributed / self.staff_cases if self.staff_cases else 1.0

    def category_recall(self, category: str) -> float:
        total = self.category_total.get(category, 0)
        return self.category_found.get(category, 0) / total if total else 1.0


def score(cases: Sequence[Case], profile: SchoolProfile, engine: RulesEngine) -> Scores:
    s = Scores()
    for case in cases:
        verdict = engine.evaluate(case.text, profile)
        got = set(verdict.categories)
        if case.hard and not case.flag:
            s.hard_negatives += 1
            s.hard_negatives_flagged += verdict.flagged
        if case.flag and verdict.flagged:
            s.tp += 1
        elif case.flag:
            s.fn += 1
            s.errors.append((case, verdict, "missed"))
        elif verdict.flagged:
            s.fp += 1
            s.errors.append((case, verdict, "false alarm"))
        else:
            s.tn += 1
        if not case.flag:
            continue
        for category in case.categories:
            s.category_total[category] = s.category_total.get(category, 0) + 1
            if category in got:
                s.category_found[category] = s.category_found.get(category, 0) + 1
            elif verdict.flagged:
                s.errors.append((case, verdict, f"no {category}"))
        if "staff" in case.categories:
            s.staff_cases += 1
            if set(case.staff) <= set(verdict.staff):
                s.staff_attributed += 1
            elif verdict.flagged:
                s.errors.append((case, verdict, "staff not attributed"))
    return s


def report(s: Scores, console: Console, *, show_errors: bool) -> None:
    summary = Table(title="Rules core: flagged or not")
    summary.add_column("measure")
    summary.add_column("value", justify="right")
    summary.add_column("target", justify="right")
    summary.add_row("cases", str(s.tp + s.fp + s.fn + s.tn), "")
    summary.add_row("precision", f"{s.precision:.3f}", ">= 0.95")
    summary.add_row("recall", f"{s.recall:.3f}", ">= 0.90")
    summary.add_row("F1", f"{s.f1:.3f}", "")
    summary.add_row(
        "staff attribution",
        f"{s.staff_attribution:.3f} ({s.staff_attributed}/{s.staff_cases})",
        ">= 0.95",
    )
    summary.add_row(
        "hard negatives flagged", f"{s.hard_negatives_flagged} of {s.hard_negatives}", "<= 1"
    )
    summary.add_row("true/false positives", f"{s.tp}/{s.fp}", "")
    summary.add_row("false negatives", str(s.fn), "")
    console.print(summary)
    per = Table(title="Recall per category")
    per.add_column("category")
    per.add_column("recall", justify="right")
    per.add_column("found/total", justify="right")
    for category in sorted(s.category_total):
        found, total = s.category_found.get(category, 0), s.category_total[category]
        per.add_row(category, f"{s.category_recall(category):.3f}", f"{found}/{total}")
    console.print(per)
    if show_errors and s.errors:
        errors = Table(title="Errors", show_lines=True)
        for column in ("id", "error", "text", "got"):
            errors.add_column(column)
        for case, verdict, kind in s.errors:
            got = ", ".join(verdict.categories) + (
                f" {list(verdict.staff)}" if verdict.staff else ""
            )
            errors.add_row(case.id, kind, case.text, got or "-")
        console.print(errors)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=Path, default=DEV_CASES, help="labelled .jsonl")
    parser.add_argument("--roster", type=Path, default=DEV_ROSTER, help="school roster .yaml")
    parser.add_argument("--show-errors", action="store_true", help="list misses and false alarms")
    args = parser.parse_args(argv)
    if not args.cases.exists() or not args.roster.exists():
        parser.error(f"not found: {args.cases if not args.cases.exists() else args.roster}")
    console = Console()
    with recording_engine_failures() as failures:
        scores = score(load_cases(args.cases), load_profile(args.roster), RulesEngine())
    report(scores, console, show_errors=args.show_errors)
    return failures.exit_status(console)


if __name__ == "__main__":
    raise SystemExit(main())
