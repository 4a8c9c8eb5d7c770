"""Score detection on labelled parents' chat messages: the rules core alone, and with the
learned stage.

    python -m bench.eval_rules                      # every blind school, and the everyday set
    python -m bench.eval_rules --cases PATH --roster PATH [--rules-only] [--show-errors]

Without --cases: one row per blind school (bench/data/blind/, written by someone who never saw
the code, the rules or the training data; for measuring only, so no message is ever printed) for
each configuration, recall per category, and the share of the 5,000 everyday messages
(bench/data/everyday/) flagged, where every flag is a false alarm. Targets on each blind school:
precision >= 0.97, recall >= 0.90, staff attribution >= 0.90; everyday <= 0.5%.

With --cases: that set in detail (e.g. ../shared/eval/parent_chat_dev.jsonl with
../shared/eval/riverside.yaml): precision, recall and F1 of `flagged`, recall per category,
staff attribution (share of flagged staff cases whose expected staff ids are all reported) and
hard negatives flagged; --show-errors lists the misses and false alarms.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console
from rich.table import Table

from bench.common import (
    REPO,
    BinaryScores,
    Case,
    load_cases,
    load_profile,
    recording_engine_failures,
)
from learned import Detector, Evaluator
from rules import Category, SchoolProfile, Verdict


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


BLIND = REPO / "bench" / "data" / "blind"
EVERYDAY = REPO / "bench" / "data" / "everyday"
# The everyday messages name staff as parents do; a roster with everyday-word surnames (King,
# Marsh, Hope, Wood...) makes them as hard as they can be.
EVERYDAY_ROSTER = REPO / "bench" / "data" / "hillcrest.yaml"


def score(cases: Sequence[Case], profile: SchoolProfile, engine: Evaluator) -> Scores:
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
    summary = Table(title="Flagged or not")
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


def everyday_flagged(detector: Evaluator) -> tuple[int, int]:
    profile = load_profile(EVERYDAY_ROSTER)
    total = flagged = 0
    for path in sorted(EVERYDAY.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                total += 1
                flagged += detector.evaluate(json.loads(line)["text"], profile).flagged
    return flagged, total


def blind_schools(configurations: dict[str, Evaluator], console: Console) -> None:
    table = Table(title="Blind schools")
    for column in (
        "school",
        "stages",
        "cases",
        "precision",
        "recall",
        "F1",
        "staff attr.",
        "hard neg.",
    ):
        table.add_column(column, justify="right")
    per = Table(title="Recall per category")
    per.add_column("school")
    per.add_column("stages")
    for category in Category:
        per.add_column(category.value[:7], justify="right")
    for roster in sorted(BLIND.glob("*.yaml")):
        cases = load_cases(roster.with_name(f"{roster.stem}_cases.jsonl"))
        profile = load_profile(roster)
        for name, detector in configurations.items():
            s = score(cases, profile, detector)
            table.add_row(
                roster.stem,
                name,
                str(len(cases)),
                f"{s.precision:.3f}",
                f"{s.recall:.3f}",
                f"{s.f1:.3f}",
                f"{s.staff_attribution:.3f}",
                f"{s.hard_negatives_flagged}/{s.hard_negatives}",
            )
            per.add_row(roster.stem, name, *(f"{s.category_recall(c):.2f}" for c in Category))
    console.print(table)
    console.print(per)
    for name, detector in configurations.items():
        flagged, total = everyday_flagged(detector)
        console.print(
            f"Everyday messages flagged, {name}: {flagged} of {total} "
            f"({flagged / total:.2%}; target <= 0.5%)"
        )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=Path, help="labelled .jsonl (default: the blind schools)")
    parser.add_argument("--roster", type=Path, help="school roster .yaml, with --cases")
    parser.add_argument("--rules-only", action="store_true", help="the rules core alone")
    parser.add_argument("--show-errors", action="store_true", help="list misses and false alarms")
    args = parser.parse_args(argv)
    console = Console(width=120)
    both = Detector.shipped()
    with recording_engine_failures() as failures:
        if args.cases is None:
            blind_schools({"rules": both.engine, "rules+learned": both}, console)
            return failures.exit_status(console)
        if args.roster is None or not args.cases.exists() or not args.roster.exists():
            parser.error(
                f"--cases needs --roster, and both must exist: {args.cases}, {args.roster}"
            )
        detector: Evaluator = both.engine if args.rules_only else both
        scores = score(load_cases(args.cases), load_profile(args.roster), detector)
    console.print("Rules core alone" if args.rules_only else "Rules core with the learned stage")
    report(scores, console, show_errors=args.show_errors)
    return failures.exit_status(console)


if __name__ == "__main__":
    raise SystemExit(main())
