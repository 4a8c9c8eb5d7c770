"""Score detection on the blind evaluation schools and the everyday messages, one row a school.

    python -m bench.eval_blind

The blind schools (bench/data/blind/) were written by someone who never saw the code, the rules
or the training data; they are for measuring only, so this prints totals and never the messages
missed. The everyday messages (bench/data/everyday/) are 5,000 ordinary messages: every flag
there is a false alarm. Targets: precision >= 0.97, recall >= 0.90, staff attribution >= 0.90
on each school; at most 0.5% of everyday messages flagged.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from rich.console import Console
from rich.table import Table

from bench.common import REPO, load_cases, load_profile, recording_engine_failures
from bench.eval_rules import score
from rules import RulesEngine, SchoolProfile

BLIND = REPO / "bench" / "data" / "blind"
EVERYDAY = REPO / "bench" / "data" / "everyday"
# The everyday messages name staff as parents do; a roster with everyday-word surnames (King,
# Marsh, Hope, Wood...) makes them as hard as they can be.
EVERYDAY_ROSTER = REPO / "bench" / "data" / "hillcrest.yaml"
CATEGORIES = ("abuse", "threat", "discrimination", "staff", "pupil", "private", "complaint")


def everyday_flagged(engine: RulesEngine, profile: SchoolProfile) -> tuple[int, int]:
    total = flagged = 0
    for path in sorted(EVERYDAY.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                total += 1
                flagged += engine.evaluate(json.loads(line)["text"], profile).flagged
    return flagged, total


def main(argv: Sequence[str] | None = None) -> int:
    console = Console()
    engine = RulesEngine()
    table = Table(title="Blind schools: rules core alone")
    for column in ("school", "cases", "precision", "recall", "F1", "staff attr.", "hard neg."):
        table.add_column(column, justify="right")
    per = Table(title="Recall per category")
    per.add_column("school")
    for category in CATEGORIES:
        per.add_column(category[:7], justify="right")
    with recording_engine_failures() as failures:
        for roster in sorted(BLIND.glob("*.yaml")):
            cases = load_cases(roster.with_name(f"{roster.stem}_cases.jsonl"))
            s = score(cases, load_profile(roster), engine)
            table.add_row(
                roster.stem,
                str(len(cases)),
                f"{s.precision:.3f}",
                f"{s.recall:.3f}",
                f"{s.f1:.3f}",
                f"{s.staff_attribution:.3f}",
                f"{s.hard_negatives_flagged}/{s.hard_negatives}",
            )
            per.add_row(roster.stem, *(f"{s.category_recall(c):.2f}" for c in CATEGORIES))
        console.print(table)
        console.print(per)
        flagged, total = everyday_flagged(engine, load_profile(EVERYDAY_ROSTER))
    console.print(
        f"Everyday messages flagged: {flagged} of {total} ({flagged / total:.2%}; target <= 0.5%)"
    )
    return failures.exit_status(console)


if __name__ == "__main__":
    raise SystemExit(main())
