"""Throughput and latency of the rules core, and of both detection stages, one message at a time,
beside two baselines.

    python -m bench.bench_rules [--messages N] [--baseline-messages N]

A realistic mix of parent chat (mostly ordinary, some abusive, some naming staff, a few long
messages) against a synthesised 200-person roster. better-profanity and alt-profanity-check are
timed the same way on the first messages of the same mix (they are far slower). Runs on one core.
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from better_profanity import profanity
from profanity_check import predict
from rich.console import Console
from rich.table import Table

from learned import Detector
from rules import SchoolProfile, StaffMember

_TITLES = ["Mr", "Mrs", "Miss", "Ms", "Dr"]
_FIRST = [
    "James",
    "Linda",
    "Sophie",
    "Daniel",
    "Helen",
    "Adam",
    "Priya",
    "Jane",
    "Tom",
    "Amir",
    "Chloe",
    "Gareth",
    "Niamh",
    "Piotr",
    "Sarah",
    "Robert",
    "Aisha",
    "Megan",
    "Owen",
    "Zara",
]
_LAST = ["Carter", "Shah", "Turner", "Moss", "Cox", "Bush", "Fry", "Bell", "Brown", "Wood",
         "King", "Young", "Hill", "Green", "Patel", "Kowalski", "O'Neill", "Evans", "Hughes",
         "Begum", "Nowak", "Murphy", "Okafor", "Reid", "Walsh", "Price", "Lloyd", "Ahmed",
         "Clarke", "Doyle", "Fisher", "Grant", "Hart", "Irwin", "Jarvis", "Kerr", "Lowe", "Marsh",
         "Nash", "Owens"]  # fmt: skip
_ROLES = ["headteacher", "deputy head", "SENCo", "office manager", "PE teacher", "caretaker"]
_ORDINARY = [
    "Is it swimming on Tuesday or Wednesday this half term?",
    "Does anyone have a spare book bag? Ours has vanished",
    "Reminder: parents evening bookings close on Friday",
    "Who's doing the cake stall at the summer fair? I can do 2-3pm",
    "Found a blue water bottle by the gate, handed it in to the office",
    "Can someone grab Mia from after school club on Thursday? I owe you one",
    "Happy birthday to Noah! Hope he has a fab day",
    "Non uniform day tomorrow, don't forget the £1",
    "The kids loved the trip to the farm, thanks to everyone who helped",
    "Does anyone know what the spelling words are this week?",
    "Bloody freezing at drop off today, wrap them up!",
    "We're doing a bush tucker trial party for his birthday lol",
    "Is the after school football club running next week?",
    "My husband will kill me, I forgot the costume again",
    "Anyone fancy a coffee after drop off?",
]
_ABUSIVE = [
    "you absolute c.u.n.t",
    "Whoever keeps blocking my drive is an inconsiderate pig",
    "what a useless waste of space you are",
    "f*ck off nobody asked you",
    "I'll put a brick through his window",
    "the new family are pikeys, lock your sheds",
    "This school is a shambles from top to bottom",
    "you're a terrible mother and you know it",
]
_STAFF_NEGATIVE = [
    "{t} {l} is a useless teacher, the school has gone downhill",
    "{t} {l} can't teach, simple as",
    "#sack{t}{l}",
    "{f} {l} should be sacked",
    "the SENCo is a joke, total waste of time",
]
_STAFF_NEUTRAL = [
    "{t} {l} said the reading books change on Mondays now",
    "Can we get a card for {t} {l}, she's getting married in the summer!",
    "Thanks to {t} {l} for a brilliant sports day",
    "{t} {l}'s assembly on kindness was lovely",
]


def roster(size: int = 200) -> list[StaffMember]:
    """A deterministic roster: every combination is a distinct person with a unique surname."""
    rng = random.Random(0)
    staff = []
    for i in range(size):
        last = _LAST[i % len(_LAST)] + ("" if i < len(_LAST) else f"-{_LAST[(i * 7) % len(_LAST)]}")
        roles = (_ROLES[i],) if i < len(_ROLES) else ()
        staff.append(StaffMember(f"s{i}", rng.choice(_TITLES), rng.choice(_FIRST), last, roles))
    return staff


def messages(staff: Sequence[StaffMember], count: int) -> list[str]:
    """70% ordinary chat, 10% abusive, 10% staff named neutrally, 9% negatively, and 1% long
    messages (8 to 30 sentences, up to ~1,600 characters)."""
    rng = random.Random(1)
    out = []
    for _ in range(count):
        roll = rng.random()
        s = rng.choice(staff)
        fill = {"t": s.title, "f": s.first, "l": s.last}
        if roll < 0.70:
            out.append(rng.choice(_ORDINARY))
        elif roll < 0.80:
            out.append(rng.choice(_ABUSIVE))
        elif roll < 0.90:
            out.append(rng.choice(_STAFF_NEUTRAL).format(**fill))
        elif roll < 0.99:
            out.append(rng.choice(_STAFF_NEGATIVE).format(**fill))
        else:
            out.append(" ".join(rng.choice(_ORDINARY) for _ in range(rng.randint(8, 30))))
    return out


@dataclass(frozen=True, slots=True)
class Timing:
    name: str
    count: int
    per_second: float
    p50_ms: float
    p99_ms: float
    long_p50_ms: float  # messages over 1,000 characters


def time_each(name: str, check: Callable[[str], object], texts: Sequence[str]) -> Timing:
    for text in texts[:50]:  # warm caches
        check(text)
    gc.disable()
    try:
        laps = []
        start = time.perf_counter()
        for text in texts:
            t0 = time.perf_counter_ns()
            check(text)
            laps.append(time.perf_counter_ns() - t0)
        total = time.perf_counter() - start
    finally:
        gc.enable()
    quantiles = statistics.quantiles(laps, n=100)
    long = [lap for lap, text in zip(laps, texts, strict=True) if len(text) > 1000] or [0]
    return Timing(
        name,
        len(texts),
        len(texts) / total,
        quantiles[49] / 1e6,
        quantiles[98] / 1e6,
        statistics.median(long) / 1e6,
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--baseline-messages", type=int, default=1_000)
    args = parser.parse_args(argv)
    staff = roster()
    profile = SchoolProfile.build("bench", staff, ["Noah", "Mia", "Isla", "Harry"])
    texts = messages(staff, args.messages)
    both = Detector.shipped()
    engine = both.engine
    profanity.load_censor_words()
    timings = [
        time_each("schoolgate rules core", lambda t: engine.evaluate(t, profile), texts),
        time_each("schoolgate both stages", lambda t: both.evaluate(t, profile), texts),
        time_each(
            "better-profanity", profanity.contains_profanity, texts[: args.baseline_messages]
        ),
        time_each("alt-profanity-check", lambda t: predict([t]), texts[: args.baseline_messages]),
    ]
    ours = timings[0]
    table = Table(title=f"One message at a time, {len(staff)}-person roster")
    columns = (
        "engine",
        "messages",
        "msgs/s",
        "p50 ms",
        "p99 ms",
        "p50 ms >1k chars",
        "times slower",
    )
    for column in columns:
        table.add_column(column, justify="left" if column == "engine" else "right")
    for t in timings:
        ratio = ours.per_second / t.per_second
        table.add_row(
            t.name,
            f"{t.count:,}",
            f"{t.per_second:,.0f}",
            f"{t.p50_ms:.3f}",
            f"{t.p99_ms:.3f}",
            f"{t.long_p50_ms:.3f}",
            "-" if t is ours else f"{ratio:,.1f}",
        )
    console = Console(width=120)
    console.print(table)
    met = ours.per_second >= 5000 and ours.p99_ms < 2.0
    console.print(
        f"rules core: target >= 5,000 msgs/s and p99 < 2 ms: {'met' if met else 'NOT met'}"
    )
    met = timings[1].p99_ms < 50.0
    console.print(f"both stages: target p99 < 50 ms: {'met' if met else 'NOT met'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
