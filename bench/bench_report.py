"""How long the term report takes for the generated term (3 schools, 40 chats, 2,000 incidents):
reading the figures from the store and writing each form, as `schoolgate report` does.

The first HTML report in a process also imports matplotlib, which every later one does not;
both are printed. Target: under 3 s for the whole term.

    python -m bench.bench_report [--db DIR/term.sqlite3]   (default: generated afresh)
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from rich.console import Console
from rich.table import Table

from bench.term_generator import FIRST_DAY, WEEKS, generate, term_config
from bot.config import Config
from bot.reports.term import TermReport, gather, report_csv, report_html, report_json
from bot.store import Store

TARGET_S = 3.0
REPEATS = 3


async def _figures(db: Path, config: Config) -> TermReport:
    async with Store(db) as store:
        return await gather(
            store,
            config,
            config.schools,
            FIRST_DAY,
            FIRST_DAY + timedelta(weeks=WEEKS, days=-1),
            generated_at=datetime.now(UTC),
        )


CPU: list[float] = []  # processor seconds of each timed step, in order


def _timed(work: object) -> float:
    """Wall-clock seconds of `work`; its processor seconds go to CPU (on a shared machine the
    wall clock also counts the time others' work held the processor)."""
    assert callable(work)
    started, cpu = time.perf_counter(), time.process_time()
    work()
    CPU.append(time.process_time() - cpu)
    return time.perf_counter() - started


def measure(db: Path, console: Console) -> int:
    config = term_config(db)
    report: list[TermReport] = []
    gathering = [_timed(lambda: report.append(asyncio.run(_figures(db, config))))]
    html_cold = _timed(lambda: report_html(report[0]))
    for _ in range(REPEATS - 1):
        gathering.append(_timed(lambda: report.append(asyncio.run(_figures(db, config)))))
    figures = report[-1]
    html = [_timed(lambda: report_html(figures)) for _ in range(REPEATS)]
    as_json = [_timed(lambda: report_json(figures)) for _ in range(REPEATS)]
    as_csv = [_timed(lambda: report_csv(figures)) for _ in range(REPEATS)]
    gather_s = statistics.median(gathering)
    cpu_cold = CPU[0] + CPU[1]  # the first gathering and the first HTML
    table = Table(title=f"term report: {figures.summary['incidents']} incidents, 3 schools")
    for column in ("step", "seconds (median of 3)"):
        table.add_column(column)
    table.add_row("read the figures from the store", f"{gather_s:.3f}")
    table.add_row("HTML, first in the process (imports matplotlib)", f"{html_cold:.3f}")
    table.add_row("HTML", f"{statistics.median(html):.3f}")
    table.add_row("JSON", f"{statistics.median(as_json):.3f}")
    table.add_row("CSV", f"{statistics.median(as_csv):.3f}")
    console.print(table)
    total_cold = gather_s + html_cold
    console.print(
        f"HTML report of the whole term: {total_cold:.2f} s in a fresh process "
        f"({cpu_cold:.2f} s of processor time), {gather_s + statistics.median(html):.2f} s "
        f"after the first (target < {TARGET_S:g} s); load average {os.getloadavg()[0]:.1f} "
        f"on {os.cpu_count()} cores"
    )
    if total_cold >= TARGET_S:
        console.print("[red]over the target[/red]")
        return 1
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, help="a term written by bench.term_generator")
    args = parser.parse_args()
    console = Console()
    if args.db is not None:
        return measure(args.db, console)
    with tempfile.TemporaryDirectory(prefix="schoolgate-term-") as folder:
        db = Path(folder) / "term.sqlite3"
        started = time.perf_counter()
        asyncio.run(generate(db))
        console.print(f"generated the term in {time.perf_counter() - started:.1f} s")
        return measure(db, console)


if __name__ == "__main__":
    sys.exit(main())
