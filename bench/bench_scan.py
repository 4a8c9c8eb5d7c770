"""Bulk checking as a school's operator does it: `schoolgate scan --rules-only` over 20,000
messages, start-up included, and what the start-up is made of; then `scan` with both stages.

    python -m bench.bench_scan [--messages N] [--runs N]

Half the messages are Davidson et al. tweets (../shared/data/davidson, when it is there), half
parents' chat (bench.bench_rules's mix, naming the demo school's staff). `scan` runs as its own
process, exactly as typed at a shell, against the demo school's config; a run over a single
message gives the start-up alone. Then, in this process, the parts of the start-up: importing,
loading the rules core (`RulesEngine()`) and compiling the school's profile.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console
from rich.table import Table

from bench.bench_rules import messages
from bench.common import DAVIDSON, REPO
from rules import StaffMember

CONFIG = REPO / "bot" / "data" / "demo.yaml"
RULES_ONLY = "--rules-only"
SCHOOLGATE = Path(sys.executable).parent / "schoolgate"


def tweets(count: int) -> list[str]:
    """`count` distinct tweets, or none when the data set is not there."""
    if not DAVIDSON.exists():
        return []
    with DAVIDSON.open(encoding="utf-8", newline="") as f:
        rows = [row["tweet"] for row in csv.DictReader(f)]
    return random.Random(0).sample(rows, min(count, len(rows)))


def mixed_messages(count: int) -> list[str]:
    """Half tweets, half parents' chat, shuffled the same way every run."""
    from bot.config import load_config

    school = load_config(str(CONFIG)).schools[0]
    staff = [StaffMember(s.id, s.title, s.first, s.last, tuple(s.roles)) for s in school.staff]
    half = tweets(count // 2)
    chat = messages(staff, count - len(half))
    mixed = half + chat
    random.Random(2).shuffle(mixed)
    return mixed


def scan_seconds(path: Path, runs: int, *options: str) -> tuple[float, float]:
    """The median processor time (user and system: what one core spends, however busy the
    machine is) and wall-clock time of `schoolgate scan` over `path`, output discarded."""
    laps, walls = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run(
            [str(SCHOOLGATE), "scan", "--config", str(CONFIG), *options, str(path)],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        walls.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        laps.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return statistics.median(laps), statistics.median(walls)


def in_process(code: str) -> float:
    """Processor seconds a fresh interpreter spends on `code` (which prints its own timing)."""
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    return float(out.stdout.strip())


_PARTS: dict[str, str] = {
    "import the rules core and the config": (
        "import time; t = time.process_time(); import rules, bot.config, bot.moderator; "
        "print(time.process_time() - t)"
    ),
    "load the rules core (RulesEngine())": (
        "import time, rules; t = time.process_time(); rules.RulesEngine(); "
        "print(time.process_time() - t)"
    ),
    "load the config and compile the profile": (
        "import time, rules, bot.config, bot.moderator; rules.RulesEngine(); "
        f"t = time.process_time(); c = bot.config.load_config({str(CONFIG)!r}); "
        "bot.moderator.build_profile(c.schools[0]); print(time.process_time() - t)"
    ),
}


def write_jsonl(path: Path, texts: Sequence[str]) -> None:
    with path.open("w", encoding="utf-8") as f:
        for i, text in enumerate(texts):
            f.write(json.dumps({"id": i, "text": text}) + "\n")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=3, help="runs of each; the median is shown")
    args = parser.parse_args(argv)
    console = Console(width=120)
    texts = mixed_messages(args.messages)
    with tempfile.TemporaryDirectory() as folder:
        bulk, one = Path(folder) / "bulk.jsonl", Path(folder) / "one.jsonl"
        distinct = Path(folder) / "distinct.jsonl"
        write_jsonl(bulk, texts)
        write_jsonl(one, texts[:1])
        # All-different messages beside the mix, which repeats some of its chat messages.
        write_jsonl(distinct, tweets(len(texts)))
        startup, startup_wall = scan_seconds(one, args.runs, RULES_ONLY)
        total, total_wall = scan_seconds(bulk, args.runs, RULES_ONLY)
        unique = scan_seconds(distinct, args.runs, RULES_ONLY)[0] if DAVIDSON.exists() else 0.0
        both_startup, _ = scan_seconds(one, args.runs)
        both, both_wall = scan_seconds(bulk, args.runs)
    table = Table(
        title=f"schoolgate scan --rules-only, {len(texts):,} messages, one process (processor time)"
    )
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_row("total, start-up included", f"{total:.2f} s (wall clock {total_wall:.2f} s)")
    table.add_row("start-up (scan of one message)", f"{startup:.2f} s (wall {startup_wall:.2f} s)")
    for name, code in _PARTS.items():
        parts = statistics.median(in_process(code) for _ in range(args.runs))
        table.add_row(f"  of which: {name}", f"{parts:.2f} s")
    table.add_row("messages a second, start-up included", f"{len(texts) / total:,.0f}")
    table.add_row(
        "messages a second, after start-up", f"{len(texts) / max(total - startup, 1e-9):,.0f}"
    )
    table.add_row("distinct messages in the mix", f"{len(set(texts)):,}")
    if unique:
        table.add_row(
            f"messages a second, {len(texts):,} distinct tweets, start-up included",
            f"{len(texts) / unique:,.0f}",
        )
    console.print(table)
    met = len(texts) / total >= 5000
    console.print(
        f"target >= 5,000 messages a second, start-up included: {'met' if met else 'NOT met'}"
    )
    console.print(
        f"Both stages (scan without --rules-only): {both:.2f} s processor time "
        f"(wall {both_wall:.2f} s), start-up {both_startup:.2f} s, "
        f"{len(texts) / both:,.0f} messages a second on one core, start-up included"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
