"""Searches for the messages the rules core is slowest on, and how its time grows with length.

    python -m bench.bench_slow_inputs [--phrases N] [--top N] [--budget SECONDS]

Phrases come from the labelled cases in tests/rules/*.jsonl, the words of rules/data/terms.yaml
and inputs known to have been slow. Each is repeated to 1 KB with and without sentence breaks,
plainly and in disguise (leetspeak, spaced letters, zero-width characters, hashtags), against the
development roster and the demo school's staff. The worst at 1 KB are then timed at 4 KB and
16 KB: the table gives milliseconds per kilobyte at each size and the exponent of the growth
(1 is linear, 2 quadratic). A size that would take longer than the budget is not tried.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import yaml
from rich.console import Console
from rich.table import Table

from bench.common import DEV_ROSTER, REPO
from rules import RulesEngine, SchoolProfile, StaffMember
from rules.lexicon import load_lexicon

KILOBYTE = 1000
SIZES = (1 * KILOBYTE, 4 * KILOBYTE, 16 * KILOBYTE)
# Found slow before: each repeated to 4,000 characters took seconds to a minute.
KNOWN_SLOW = (
    "I know where Miss Hughes lives, ",
    "I know where Mrs Cox lives, ",
    "we all know where Mr Carter works ",
    "Mrs Cox is lucky i didn't lamp her ",
    "we know where the head lives ",
    "i know where you live ",
    "#sack #idiot ",
    "1d10t ",
)
_LEET = str.maketrans({"a": "4", "e": "3", "i": "1", "o": "0", "s": "5", "t": "7"})


def _leet(text: str) -> str:
    return text.translate(_LEET)


def _spaced(text: str) -> str:
    return " ".join(" ".join(word) for word in text.split())


def _zero_width(text: str) -> str:
    return "\u200b".join(text)


def _hashtags(text: str) -> str:
    return " ".join("#" + word.strip(",.!?") for word in text.split() if word.strip(",.!?"))


DISGUISES: dict[str, Callable[[str], str]] = {
    "plain": lambda text: text,
    "leetspeak": _leet,
    "spaced letters": _spaced,
    "zero-width": _zero_width,
    "hashtags": _hashtags,
}


@dataclass(frozen=True, slots=True)
class Probe:
    phrase: str
    disguise: str
    breaks: bool

    def text(self, size: int) -> str:
        piece = DISGUISES[self.disguise](self.phrase.strip().rstrip(".!?"))
        piece += ". " if self.breaks else " "
        return (piece * (size // len(piece) + 1))[:size]

    def label(self) -> str:
        breaks = "with breaks" if self.breaks else "no breaks"
        return f"{self.phrase.strip()!r} ({self.disguise}, {breaks})"


def profile() -> SchoolProfile:
    """The development roster (when ../shared is there) and the demo school's staff."""
    staff: list[StaffMember] = []
    pupils: list[str] = []
    demo = yaml.safe_load((REPO / "bot" / "data" / "demo.yaml").read_text(encoding="utf-8"))
    schools = [demo["schools"][0]]
    if DEV_ROSTER.exists():
        schools.append(yaml.safe_load(DEV_ROSTER.read_text(encoding="utf-8")))
    for school in schools:
        staff += [StaffMember.from_mapping(s) for s in school.get("staff", [])]
        pupils += [str(p) for p in school.get("pupils", []) or []]
    unique = {s.id: s for s in staff}
    return SchoolProfile.build("slow-inputs", list(unique.values()), pupils)


def phrases(limit: int) -> list[str]:
    """The known slow inputs, then an even sample of case texts and listed words."""
    found: list[str] = []
    for path in sorted((REPO / "tests" / "rules").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                text = str(json.loads(line)["text"])
                if len(text) <= 120:
                    found.append(text)
    lex = load_lexicon()
    found += sorted({" ".join(t.words) for terms in lex.terms.values() for t in terms})
    unique = [p for p in dict.fromkeys(found) if p not in KNOWN_SLOW]
    step = max(1, len(unique) // max(1, limit - len(KNOWN_SLOW)))
    return [*KNOWN_SLOW, *unique[::step]][:limit]


def probes(texts: Sequence[str]) -> Iterator[Probe]:
    for phrase in texts:
        for disguise in DISGUISES:
            for breaks in (False, True):
                yield Probe(phrase, disguise, breaks)


def seconds(engine: RulesEngine, school: SchoolProfile, text: str) -> float:
    """How long evaluating `text` takes."""
    start = time.perf_counter()
    engine.evaluate(text, school)
    return time.perf_counter() - start


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--phrases", type=int, default=150, help="phrases to try (default 150)")
    parser.add_argument("--top", type=int, default=12, help="worst probes timed at every size")
    parser.add_argument("--budget", type=float, default=20.0, help="longest single run, seconds")
    args = parser.parse_args(argv)
    console = Console(width=160)
    engine, school = RulesEngine(), profile()
    chosen = phrases(args.phrases)
    for phrase in load_lexicon().phrases:  # patterns compile when first used: not timed here
        for pattern in (*phrase.patterns, *phrase.unless, *phrase.context, *phrase.cleared_by):
            pattern.compiled  # noqa: B018
        for pattern in phrase.cleared_unless:
            pattern.compiled  # noqa: B018
    started = time.perf_counter()
    timed = [(seconds(engine, school, p.text(SIZES[0])), p) for p in probes(chosen)]
    screened = sorted(timed, key=lambda pair: -pair[0])
    console.print(
        f"{len(screened)} probes ({len(chosen)} phrases x {len(DISGUISES)} disguises x breaks or"
        f" not) at {SIZES[0]:,} characters in {time.perf_counter() - started:.1f} s"
    )
    table = Table(title="The slowest inputs: milliseconds per kilobyte, and growth with length")
    table.add_column("input")
    for size in SIZES:
        table.add_column(f"ms/KB at {size // KILOBYTE} KB", justify="right")
    table.add_column("growth 4->16 KB", justify="right")
    worst_per_kb = 0.0
    for first, probe in screened[: args.top]:
        times = {SIZES[0]: first}
        for size in SIZES[1:]:
            previous = times[max(times)]
            guess = previous * (size / max(times)) ** 2  # allowing for quadratic growth
            if guess > args.budget:
                break
            times[size] = seconds(engine, school, probe.text(size))
        cells = [
            f"{times[s] * 1000 / (s / KILOBYTE):,.1f}" if s in times else "over budget"
            for s in SIZES
        ]
        worst_per_kb = max(worst_per_kb, *(t * 1000 / (s / KILOBYTE) for s, t in times.items()))
        a, b = SIZES[1], SIZES[2]
        growth = f"n^{math.log(times[b] / times[a]) / math.log(b / a):.2f}" if b in times else "-"
        table.add_row(probe.label(), *cells, growth)
    console.print(table)
    console.print(f"worst: {worst_per_kb:,.1f} ms per kilobyte")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
