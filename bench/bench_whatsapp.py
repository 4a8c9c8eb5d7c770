"""How fast `schoolgate scan` reads and checks a large WhatsApp export.

    python -m bench.bench_whatsapp [--messages N] [--processes N]

Builds an export of at least N messages (default 100,000) by repeating a test fixture (a
parents' class chat of Android lines, with WhatsApp's own lines, media, a deletion and a
multi-line message), then times each step of a scan as the command runs it: reading the file,
parsing it, judging every message with the rules core (shared among processes, one per core
by default), and writing the JSON lines. Prints messages per second for each step and overall.
"""

from __future__ import annotations

import argparse
import io
import os
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console
from rich.table import Table

from bot.config import load_config
from bot.moderator import build_profile
from bot.whatsapp.archive import read_text_export
from bot.whatsapp.parser import parse
from bot.whatsapp_scan import judge, write_jsonl
from rules import RulesEngine

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
TARGET_SECONDS = 20.0


def build_export(messages: int) -> tuple[str, int]:
    """The fixture repeated until it holds at least `messages` messages (system lines aside)."""
    fixture = FIXTURE.read_text("utf-8")
    per_copy = sum(e.kind != "system" for e in parse(fixture, FIXTURE.name).entries)
    copies = -(-messages // per_copy)
    return fixture * copies, per_copy * copies


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--processes", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args(argv)
    console = Console(width=80)
    text, messages = build_export(args.messages)
    with tempfile.TemporaryDirectory() as folder:
        config = Path(folder) / "school.yaml"
        config.write_text(SCHOOL, "utf-8")
        school = load_config(config).schools[0]
        export_file = Path(folder) / "WhatsApp Chat with Oakfield Year 3.txt"
        export_file.write_text(text, "utf-8")
        engine = RulesEngine()
        engine.evaluate("warm up the rules core", build_profile(school))

        laps: list[tuple[str, float]] = []
        start = time.perf_counter()
        export = read_text_export(export_file.read_bytes(), str(export_file))
        laps.append(("read", time.perf_counter()))
        chat = parse(export.text, export.source, chat_name=export.chat_name)
        laps.append(("parse", time.perf_counter()))
        judged = judge(chat, school, engine, processes=args.processes)
        laps.append((f"judge ({args.processes} processes)", time.perf_counter()))
        write_jsonl(judged, io.StringIO())
        laps.append(("write JSON lines", time.perf_counter()))

    size = len(text.encode()) / 1e6
    table = Table(title=f"scan of a WhatsApp export: {messages:,} messages, {size:.1f} MB")
    for column in ("step", "seconds", "messages/s"):
        table.add_column(column, justify="left" if column == "step" else "right")
    before = start
    for step, at in laps:
        table.add_row(step, f"{at - before:.2f}", f"{messages / (at - before):,.0f}")
        before = at
    total = laps[-1][1] - start
    table.add_row("total", f"{total:.2f}", f"{messages / total:,.0f}", style="bold")
    console.print(table)
    flagged = sum(j.flagged for j in judged)
    console.print(f"{flagged:,} flagged; {len(judged):,} entries in the file")
    verdict = "met" if total < TARGET_SECONDS else "NOT met"
    console.print(f"target: {messages:,} messages in under {TARGET_SECONDS:.0f} s: {verdict}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
