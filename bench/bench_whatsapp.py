"""How fast `schoolgate scan` reads and checks a large WhatsApp export.

    python -m bench.bench_whatsapp [--messages N] [--processes N]

Builds an export of at least N messages (default 100,000) by repeating a test fixture (a
parents' class chat of Android lines, with WhatsApp's own lines, media, a deletion and a
multi-line message), then times each step of a scan as the command runs it: reading the file,
parsing it, judging every message (shared among processes, one per core by default), and
writing the JSON lines: once with the rules core alone (`--rules-only`, target under 20 s) and
once with both stages (target under 60 s). Prints messages per second for each step and overall.
"""

from __future__ import annotations

import argparse
import io
import os
import resource
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console
from rich.table import Table

from bot.config import School, load_config
from bot.moderator import build_profile
from bot.whatsapp.archive import read_text_export
from bot.whatsapp.parser import parse
from bot.whatsapp_scan import LARGE_EXPORT, Judged, judge, write_jsonl
from learned import Detector, Evaluator

REPO = Path(__file__).resolve().parents[1]
FIXTURE = REPO / "tests" / "whatsapp" / "fixtures" / "oakfield_year3.txt"
SCHOOL = """\
schools:
  - id: oakfield
    name: Oakfield Primary School
    staff:
      - {id: carter, title: Mr, first: James, last: Carter, roles: [headteacher, head]}
      - {id: shah, title: Mrs, first: Linda, last: Shah, roles: [deputy head]}
    pupils: [Noah, Isla]
"""
TARGETS = {"rules only": 20.0, "both stages": 60.0}  # seconds for 100,000 messages


def build_export(messages: int) -> tuple[str, int]:
    """The fixture repeated until it holds at least `messages` messages (system lines aside)."""
    fixture = FIXTURE.read_text("utf-8")
    per_copy = sum(e.kind != "system" for e in parse(fixture, FIXTURE.name).entries)
    copies = -(-messages // per_copy)
    return fixture * copies, per_copy * copies


def cpu_seconds() -> float:
    """CPU time of this process and of the worker processes it has waited for."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def timed_scan(
    export_file: Path, school: School, detector: Evaluator, processes: int, messages: int
) -> tuple[list[tuple[str, float, float]], tuple[float, float], list[Judged]]:
    laps: list[tuple[str, float, float]] = []
    start = (time.perf_counter(), cpu_seconds())
    export = read_text_export(export_file.read_bytes(), str(export_file))
    laps.append(("read", time.perf_counter(), cpu_seconds()))
    chat = parse(export.text, export.source, chat_name=export.chat_name)
    laps.append(("parse", time.perf_counter(), cpu_seconds()))
    judged = judge(chat, school, detector, processes=processes)
    shared = processes if messages > LARGE_EXPORT else 1
    laps.append((f"judge ({shared} process(es))", time.perf_counter(), cpu_seconds()))
    write_jsonl(judged, io.StringIO())
    laps.append(("write JSON lines", time.perf_counter(), cpu_seconds()))
    return laps, start, judged


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--processes", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args(argv)
    console = Console(width=100)
    text, messages = build_export(args.messages)
    size = len(text.encode()) / 1e6
    both = Detector.shipped()
    with tempfile.TemporaryDirectory() as folder:
        config = Path(folder) / "school.yaml"
        config.write_text(SCHOOL, "utf-8")
        school = load_config(config).schools[0]
        export_file = Path(folder) / "WhatsApp Chat with Oakfield Year 3.txt"
        export_file.write_text(text, "utf-8")
        both.evaluate("warm up both stages", build_profile(school))
        for name, detector in (("rules only", both.engine), ("both stages", both)):
            laps, start, judged = timed_scan(
                export_file, school, detector, args.processes, messages
            )
            table = Table(
                title=f"scan ({name}) of a WhatsApp export: {messages:,} messages, {size:.1f} MB"
            )
            for column in ("step", "seconds", "messages/s", "CPU seconds"):
                table.add_column(column, justify="left" if column == "step" else "right")
            wall, cpu = start
            for step, at, used in laps:
                table.add_row(
                    step, f"{at - wall:.2f}", f"{messages / (at - wall):,.0f}", f"{used - cpu:.2f}"
                )
                wall, cpu = at, used
            total = laps[-1][1] - start[0]
            total_cpu = laps[-1][2] - start[1]
            table.add_row(
                "total",
                f"{total:.2f}",
                f"{messages / total:,.0f}",
                f"{total_cpu:.2f}",
                style="bold",
            )
            console.print(table)
            flagged = sum(j.flagged for j in judged)
            console.print(f"{flagged:,} flagged; {len(judged):,} entries in the file")
            target = TARGETS[name] * messages / 100_000
            verdict = "met" if total < target else "NOT met"
            console.print(f"target: {messages:,} messages in under {target:.0f} s: {verdict}")
    load = os.getloadavg()[0]
    console.print(
        f"{os.cpu_count()} cores, load average {load:.1f} while it ran (CPU seconds count this "
        "process and its workers, whatever else the machine was doing)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
