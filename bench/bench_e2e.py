"""End-to-end latency and throughput of the bot core, with durable writes.

From a `ChatMessage` handed to the core to its reminder and SLT alert handed to the local
platform: the rules core, the policy, the incident and its actions committed to a real SQLite
file (WAL), and the outbox delivering both. Prints p50/p99 and messages per second.

    .venv/bin/python -m bench.bench_e2e [--flagged 500] [--mixed 5000] [--synchronous normal|full]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from adapters.local import LocalPlatform
from bot.app import App
from bot.config import Config, parse_config
from bot.model import Action, Alert, Delivery, Remind
from rules.model import Severity

CONFIG = """
schools:
  - id: riverside
    name: Riverside Primary School
    staff:
      - {{id: carter, title: Mr, first: James, last: Carter, roles: [headteacher, head]}}
      - {{id: shah, title: Mrs, first: Linda, last: Shah, roles: [deputy head]}}
      - {{id: turner, title: Miss, first: Sophie, last: Turner, roles: [year 3 teacher]}}
    pupils: [Noah, Isla, Harry, Mia]
    slt: [{{name: Mrs Shah, local: slt}}]
    chats: [{chats}]
storage: {{path: {path}, synchronous: {synchronous}}}
local: {{}}
"""
CHATS = 20
FLAGGED = [
    "Mr Carter is useless and should be sacked",
    "Miss Turner is a joke and should be sacked",
    "She'd better watch her back at pickup tomorrow",
]
CLEAN = [
    "Is it swimming on Tuesday or Wednesday this half term?",
    "Harvest festival donations go to the hall by Friday please",
    "Found a red water bottle by the gate, will hand it to the office",
    "Does anyone have a spare reading folder? Ours has gone missing",
    "Thank you Mrs Shah for organising the trip, the kids loved it",
]


class TimedLocal(LocalPlatform):
    """The local platform, noting when both a message's reminder and its alert arrived."""

    def __init__(self) -> None:
        super().__init__()
        self.done_at: dict[str, float] = {}  # message id -> both delivered (perf_counter)
        self.changed = asyncio.Event()
        self._parts: dict[str, set[str]] = {}  # incident key -> kinds delivered
        self._message: dict[str, str] = {}  # incident key -> message id

    async def deliver(self, action: Action) -> Delivery:
        delivery = await super().deliver(action)
        if isinstance(action, Remind | Alert):
            incident = action.key.rsplit("-", 1)[0]
            self._parts.setdefault(incident, set()).add(type(action).__name__)
            if isinstance(action, Remind):
                self._message[incident] = action.message_id
            if self._parts[incident] == {"Remind", "Alert"}:
                self.done_at[self._message[incident]] = time.perf_counter()
                self.changed.set()
        return delivery

    async def delivered_for(self, message_id: str) -> float:
        while message_id not in self.done_at:
            self.changed.clear()
            await self.changed.wait()
        return self.done_at[message_id]


def config_for(path: Path, synchronous: str) -> Config:
    chats = ", ".join(f"{{platform: local, id: c{n}}}" for n in range(CHATS))
    text = CONFIG.format(chats=chats, path=path, synchronous=synchronous)
    return parse_config(text, "bench")


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=1000, method="inclusive")[int(q * 10) - 1]


async def flagged_latency(local: TimedLocal, count: int) -> list[float]:
    """One flagged message at a time: ms from the core receiving it to both deliveries."""
    latencies: list[float] = []
    for n in range(count):
        user = LocalPlatform.user(f"p{n}", f"Parent {n}")
        start = time.perf_counter()
        message = await local.send(f"c{n % CHATS}", user, FLAGGED[n % len(FLAGGED)])
        if message is None:
            raise SystemExit("a bench chat is closed")
        end = await asyncio.wait_for(local.delivered_for(message.message_id), timeout=10)
        latencies.append((end - start) * 1000)
    return latencies


async def clean_latency(local: TimedLocal, count: int) -> list[float]:
    latencies: list[float] = []
    for n in range(count):
        user = LocalPlatform.user(f"q{n}", f"Parent {n}")
        start = time.perf_counter()
        await local.send(f"c{n % CHATS}", user, CLEAN[n % len(CLEAN)])
        latencies.append((time.perf_counter() - start) * 1000)
    return latencies


async def mixed_throughput(app: App, local: TimedLocal, count: int) -> tuple[float, int]:
    """A realistic stream (about 1 in 7 flagged) fed as fast as the core takes it; the clock
    stops when every reminder and alert has been delivered."""
    start = time.perf_counter()
    flagged = 0
    for n in range(count):
        user = LocalPlatform.user(f"m{n % 300}", f"Parent {n % 300}")
        if n % 7 == 3:
            text = FLAGGED[n % len(FLAGGED)]
            flagged += 1
        else:
            text = CLEAN[n % len(CLEAN)]
        await local.send(f"c{n % CHATS}", user, text)
    await app.drain(timeout=300)
    return time.perf_counter() - start, flagged


async def main(flagged: int, mixed: int, synchronous: str) -> None:
    with tempfile.TemporaryDirectory(prefix="schoolgate-bench-") as tmp:
        path = Path(tmp) / "bench.sqlite3"
        config = config_for(path, synchronous)
        local = TimedLocal()
        async with App(config, [local]) as app:
            for text in FLAGGED:  # each sample must alert SLT on a first offence
                severity = app.core.moderator.evaluate(config.schools[0], text).severity
                if severity is None or severity is Severity.LOW:
                    raise SystemExit(f"not flagged medium or high by the rules core: {text!r}")
            await clean_latency(local, 50)  # warm up
            flagged_ms = await flagged_latency(local, flagged)
            clean_ms = await clean_latency(local, 1000)
            seconds, mixed_flagged = await mixed_throughput(app, local, mixed)
            incidents = len(await app.store.incidents(limit=10**6))
        print(f"bench_e2e: SQLite WAL, synchronous={synchronous.upper()}, file {path.name}")
        print(
            f"flagged message -> reminder + alert delivered ({flagged} one at a time): "
            f"p50 {percentile(flagged_ms, 50):.2f} ms, p99 {percentile(flagged_ms, 99):.2f} ms, "
            f"max {max(flagged_ms):.2f} ms"
        )
        print(
            f"clean message -> counted (1000): p50 {percentile(clean_ms, 50):.2f} ms, "
            f"p99 {percentile(clean_ms, 99):.2f} ms"
        )
        print(
            f"mixed stream: {mixed} messages ({mixed_flagged} flagged) in {seconds:.2f} s = "
            f"{mixed / seconds:.0f} msgs/s, all deliveries done"
        )
        print(f"incidents stored: {incidents}")
        target = "met" if percentile(flagged_ms, 99) < 20 else "NOT met"
        print(f"target p99 < 20 ms: {target}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--flagged", type=int, default=500)
    parser.add_argument("--mixed", type=int, default=5000)
    parser.add_argument("--synchronous", choices=["normal", "full"], default="normal")
    args = parser.parse_args()
    asyncio.run(main(args.flagged, args.mixed, args.synchronous))
