"""Abuse detection on the Davidson et al. tweets, beside two general profanity filters.

    python -m bench.eval_davidson [--sample N]

A random.Random(0) sample (default 5,000) of ../shared/data/davidson/labeled_data.csv; a tweet is
abusive when its class is 0 (hate speech) or 1 (offensive language). Our decision is "the
verdict has an abuse or discrimination finding" with an empty roster. Tweets are not parent chat:
the core only flags profanity aimed at someone, so lower recall here is by design.
"""

from __future__ import annotations

import argparse
import csv
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from better_profanity import profanity
from profanity_check import predict
from rich.console import Console
from rich.table import Table

from bench.common import DAVIDSON, BinaryScores, recording_engine_failures
from rules import Category, RulesEngine, SchoolProfile

_ABUSIVE = {Category.ABUSE, Category.DISCRIMINATION}


@dataclass(frozen=True, slots=True)
class Result(BinaryScores):
    name: str
    tp: int
    fp: int
    fn: int
    tn: int
    seconds: float


def load_sample(size: int) -> list[tuple[str, bool]]:
    with DAVIDSON.open(encoding="utf-8", newline="") as f:
        rows = [(row["tweet"], row["class"] in ("0", "1")) for row in csv.DictReader(f)]
    return random.Random(0).sample(rows, size)


def judge(
    name: str, decide: Callable[[list[str]], list[bool]], sample: Sequence[tuple[str, bool]]
) -> Result:
    texts = [text for text, _ in sample]
    start = time.perf_counter()
    decisions = decide(texts)
    seconds = time.perf_counter() - start
    tp = fp = fn = tn = 0
    for (_, abusive), flagged in zip(sample, decisions, strict=True):
        tp += abusive and flagged
        fp += flagged and not abusive
        fn += abusive and not flagged
        tn += not abusive and not flagged
    return Result(name, tp, fp, fn, tn, seconds)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample", type=int, default=5000)
    args = parser.parse_args(argv)
    if not DAVIDSON.exists():
        parser.error(f"not found: {DAVIDSON}")
    sample = load_sample(args.sample)
    engine, profile = RulesEngine(), SchoolProfile.build("none", [])
    profanity.load_censor_words()

    def ours(texts: list[str]) -> list[bool]:
        return [bool(_ABUSIVE & set(engine.evaluate(t, profile).categories)) for t in texts]

    def better(texts: list[str]) -> list[bool]:
        return [profanity.contains_profanity(t) for t in texts]

    def alt(texts: list[str]) -> list[bool]:
        return [bool(p) for p in predict(texts)]

    with recording_engine_failures() as failures:
        results = [judge("schoolgate rules core (abuse or discrimination)", ours, sample)]
    results.append(judge("better-profanity", better, sample))
    results.append(judge("alt-profanity-check", alt, sample))
    abusive = sum(label for _, label in sample)
    table = Table(
        title=f"Davidson tweets: {len(sample):,} sampled (seed 0), {abusive:,} abusive",
    )
    for column in ("detector", "precision", "recall", "F1", "false positive rate", "seconds"):
        table.add_column(column, justify="left" if column == "detector" else "right")
    for r in results:
        table.add_row(
            r.name,
            f"{r.precision:.3f}",
            f"{r.recall:.3f}",
            f"{r.f1:.3f}",
            f"{r.false_positive_rate:.3f}",
            f"{r.seconds:.1f}",
        )
    console = Console(width=120)
    console.print(table)
    return failures.exit_status(console)


if __name__ == "__main__":
    raise SystemExit(main())
