"""How long the rules core takes over hostile messages, and why school patterns use RE2.

    python -m bench.bench_bad_input [--repeat N]

Each kind of text is evaluated at the analysed length (rules.normalise.MAX_CHARS) and at a
megabyte: the two times should match, since only the capped length is read. Then a school's
pattern with nested repetition, "(a+)+$", against a run of a's and one "!": RE2's time grows
linearly with the text, Python's re doubles with every extra letter.
"""

from __future__ import annotations

import argparse
import re
import statistics
import time
from collections.abc import Callable
from functools import partial

from rich.console import Console
from rich.table import Table

from rules import RulesEngine, SchoolProfile, StaffMember
from rules.custom import compile_pattern
from rules.normalise import MAX_CHARS

MEGABYTE = 1_000_000
KINDS: dict[str, str] = {
    "ordinary chat": "Is it swimming on Tuesday? Ask Mr Carter. ",
    "abuse and names": "Mr Carter you f*cking idi0t I'll punch you 07911 123456 ",
    "spaced letters": "i d i o t ",
    "one letter words": "a ",
    "digits": "1 ",
    "dotted letters": "a.",
    "leetspeak": "sh1t ",
    "stretched words": "stuuuuuuuuupid ",
    "hashtags": "#sackMrCarter ",
    "e-mail addresses": "jo@example.com ",
    "phone numbers": "07911 123456 ",
    "emoji": "\U0001f602\U0001f44d\U0001f3fd\U0001f468\u200d\U0001f469\u200d\U0001f467",
    "right to left": "\u0645\u0631\u062d\u0628\u0627 \u05e9\u05dc\u05d5\u05dd ",
    "invisible": "\u200b\u202e\u2066\ufeff",
    "controls": "\x00\x01\x1b\x1f",
    "wide NFKC": "\ufdfa",  # one character, eighteen once normalised
    "one long word": "x",
}


def timed(work: Callable[[], object], repeat: int) -> float:
    """The median of `repeat` runs, in milliseconds."""
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        runs.append(time.perf_counter() - start)
    return statistics.median(runs) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    engine = RulesEngine()
    school = SchoolProfile.build(
        "riverside", [StaffMember("carter", "Mr", "James", "Carter", ("head",))], ["Noah"]
    )
    console = Console()

    table = Table(title=f"evaluate(), median of {args.repeat} (ms)")
    table.add_column("text")
    table.add_column(f"{MAX_CHARS} chars", justify="right")
    table.add_column("1 MB", justify="right")
    for name, piece in KINDS.items():
        capped = (piece * (MAX_CHARS // len(piece) + 1))[:MAX_CHARS]
        huge = piece * (MEGABYTE // len(piece.encode("utf-8")) + 1)
        at_cap = timed(partial(engine.evaluate, capped, school), args.repeat)
        at_mb = timed(partial(engine.evaluate, huge, school), args.repeat)
        table.add_row(name, f"{at_cap:.1f}", f"{at_mb:.1f}")
    console.print(table)

    table = Table(title='"(a+)+$" against a\'s and "!" (ms)')
    table.add_column("a's", justify="right")
    table.add_column("RE2", justify="right")
    table.add_column("Python re", justify="right")
    safe, unsafe = compile_pattern(r"(a+)+$"), re.compile(r"(a+)+$")
    for n in (16, 18, 20, 22, 50_000):
        text = "a" * n + "!"
        with_re = timed(partial(unsafe.search, text), 1) if n <= 22 else None
        table.add_row(
            str(n),
            f"{timed(partial(safe.search, text), args.repeat):.3f}",
            f"{with_re:.1f}" if with_re is not None else "(not tried: years)",
        )
    console.print(table)


if __name__ == "__main__":
    main()
