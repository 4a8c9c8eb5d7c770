"""The soak: parents' messages on Telegram, Discord and Slack at once, the bot running as its own
process (`schoolgate run`), the fake platforms failing a share of its calls, and the process
killed with SIGKILL at random moments and started again.

Counted at the fake platforms at the end: every message the bot flags must have given
exactly one delivered reminder and exactly one delivered SLT alert, and no other message
anything. Prints, per platform and in total: messages, flagged, reminded, alerted, duplicates,
lost, stray deliveries and the p50/p99 time from a message to its delivered alert (both
moments stamped at the fakes).

    .venv/bin/python -m bench.soak [--messages 10000] [--chats 50] [--kills 2] [--seed 7]
        [--faults 0.3] [--rate 40] [--log-level INFO] [--keep DIR]

Exit status 0 when nothing was lost, nothing strayed, no process crashed, and every duplicate
is one the bot knew it risked (a resend the platform could not confirm was needed).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import signal
import sqlite3
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console
from rich.table import Table

from bench import soak_texts
from bot.config import Config, parse_config
from bot.moderator import build_profile
from learned import Detector
from tests.faults.worlds import (
    PLATFORMS,
    School,
    Sent,
    SlackWorld,
    World,
    fault_plan,
    make_world,
    render_config,
    schools,
)

SCHOOLGATE = Path(sys.executable).with_name("schoolgate")
PARENTS_PER_CHAT = 8  # who write the clean messages; each flagged message has its own sender
QUIET = 3.0  # seconds watched after everything arrived, for a late duplicate
SENDER = re.compile(r"^From: .* \((telegram|discord|slack) id ([^)\s]+)\)$", re.MULTILINE)
TRACEBACK = "Traceback (most recent call last)"


@dataclass(frozen=True)
class SoakSettings:
    messages: int = 10_000
    chats: int = 50
    abusive: float = 0.15  # share of messages written to be abusive
    faults: float = 0.30  # share of the bot's calls the fakes fail
    acted: float = 0.5  # share of timeouts and drops the platform carried out first
    kills: int = 2
    seed: int = 7
    rate: float = 40.0  # messages per second, all platforms together
    delivery_timeout: float = 3.0
    retry_delay: float = 1.0
    down: tuple[float, float] = (1.0, 4.0)  # seconds the bot stays down after a kill
    settle_limit: float = 600.0  # the longest wait for deliveries after the last message
    log_level: str = "INFO"
    workdir: Path | None = None  # kept afterwards; a temporary directory otherwise


@dataclass
class Message:
    platform: str
    chat: str
    author: str
    text: str
    flagged: bool
    posted_at: float = 0.0  # time.monotonic(), as the fakes stamp deliveries
    id: str = ""


@dataclass
class Counts:
    messages: int = 0
    flagged: int = 0
    reminded: int = 0  # flagged messages whose sender got a reminder
    alerted: int = 0  # flagged messages SLT were alerted about
    duplicates: int = 0  # extra copies of a reminder or an alert
    after_lost_answer: int = 0  # of those, copies following one whose answer the fake lost
    lost: int = 0  # reminders and alerts never delivered
    stray: int = 0  # deliveries that belong to no flagged message
    latencies: list[float] = field(default_factory=list)  # message -> first alert, seconds
    faults: int = 0  # calls the fake failed
    lost_answers: int = 0  # of those, calls carried out whose answer was lost
    blind_resends: int = 0  # resends the platform could not confirm were needed (the store's)
    failed_calls: Counter[str] = field(default_factory=Counter)  # call -> times failed

    def add(self, other: Counts) -> None:
        for name in (
            "messages",
            "flagged",
            "reminded",
            "alerted",
            "duplicates",
            "after_lost_answer",
            "lost",
            "stray",
            "faults",
            "lost_answers",
            "blind_resends",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.latencies += other.latencies
        self.failed_calls += other.failed_calls

    def percentile(self, share: float) -> float | None:
        if not self.latencies:
            return None
        if len(self.latencies) == 1:
            return self.latencies[0]
        return statistics.quantiles(self.latencies, n=100, method="inclusive")[
            round(share * 100) - 1
        ]


@dataclass
class Run:
    """One bot process."""

    log: Path
    process: asyncio.subprocess.Process
    killed: bool = False
    tracebacks: int = 0  # counted in its output once it ended

    @property
    def exit_code(self) -> int | None:
        return self.process.returncode

    def read_log(self) -> None:
        self.tracebacks = self.log.read_text(encoding="utf-8", errors="replace").count(TRACEBACK)


@dataclass
class SoakResult:
    settings: SoakSettings
    counts: dict[str, Counts]
    kills: list[float]  # seconds after the first message
    runs: list[Run]
    workdir: Path | None  # where the logs and the database were kept, if they were
    duration: float
    events_lost: int  # Slack events no delivery attempt got through (caught up from history)
    misread: int  # (school, phrasing) pairs the rules core read otherwise than written: unused

    @property
    def total(self) -> Counts:
        total = Counts()
        for counts in self.counts.values():
            total.add(counts)
        return total

    @property
    def tracebacks(self) -> int:
        return sum(run.tracebacks for run in self.runs)

    @property
    def crashes(self) -> int:
        """Processes that ended other than by a kill or a clean stop."""
        return sum(1 for run in self.runs if not run.killed and run.exit_code != 0)

    def explained(self, platform: str) -> bool:
        """Every duplicate on the platform followed a resend the bot knew was unconfirmed."""
        counts = self.counts[platform]
        return counts.duplicates <= counts.blind_resends

    @property
    def passed(self) -> bool:
        total = self.total
        return (
            total.lost == 0
            and total.stray == 0
            and self.crashes == 0
            and self.tracebacks == 0
            and all(self.explained(p) for p in self.counts)
        )


@dataclass
class _Chat:
    platform: str
    id: str
    school: School
    parents: list[str]


class Soak:
    def __init__(self, settings: SoakSettings) -> None:
        self.settings = settings
        self.rng = random.Random(settings.seed)
        self.worlds: dict[str, World] = {
            platform: make_world(
                platform,
                fault_plan(
                    platform, settings.faults, seed=settings.seed + i, acted_share=settings.acted
                ),
            )
            for i, platform in enumerate(PLATFORMS)
        }
        self.schools = schools()
        self.runs: list[Run] = []
        self.kills: list[float] = []
        self._restart: asyncio.Task[None] | None = None
        self.workdir = self.config_path = self.database = Path()
        self.misread = 0
        self._env = {**os.environ}
        for world in self.worlds.values():
            self._env.update(world.env)

    async def run(self) -> SoakResult:
        began = time.monotonic()
        with tempfile.TemporaryDirectory(prefix="soak-") as scratch:
            workdir = self.settings.workdir or Path(scratch)
            workdir.mkdir(parents=True, exist_ok=True)
            self.workdir = workdir
            for world in self.worlds.values():
                await world.start()
            try:
                chats = self._lay_out()
                config = self._write_config(workdir)
                plan = self._plan(config, chats)
                await self._start_bot()
                await self._warm_up(chats)
                await self._inject(plan)
                await self._settle(plan)
                await self._stop_bot()
                counts = self._count(plan)
            finally:
                await self._abandon()
                for world in self.worlds.values():
                    await world.close()
                for run in self.runs:
                    run.read_log()
            slack = self.worlds["slack"]
            events_lost = slack.fake.events_lost if isinstance(slack, SlackWorld) else 0
            return SoakResult(
                self.settings,
                counts,
                self.kills,
                self.runs,
                self.settings.workdir,
                time.monotonic() - began,
                events_lost,
                self.misread,
            )

    # ---- set-up ----

    def _lay_out(self) -> list[_Chat]:
        """Chats spread over the platforms and schools; one SLT contact per school with an id
        on every platform; a few parents per chat who write the clean messages."""
        chats: list[_Chat] = []
        for i in range(self.settings.chats):
            platform = PLATFORMS[i % len(PLATFORMS)]
            school = self.schools[(i // len(PLATFORMS)) % len(self.schools)]
            world = self.worlds[platform]
            name = f"Class {i + 1} parents"
            chat = world.add_chat(name)
            school.chats.append((platform, chat, name))
            parents = [world.add_person(f"Parent {i + 1}.{j + 1}") for j in range(PARENTS_PER_CHAT)]
            chats.append(_Chat(platform, chat, school, parents))
        for school in self.schools:
            for platform, world in self.worlds.items():
                school.slt[platform] = world.add_person(f"SLT of {school.name}")
        return chats

    def _write_config(self, workdir: Path) -> Config:
        text = render_config(
            self.schools,
            list(self.worlds.values()),
            database=workdir / "schoolgate.sqlite3",
            delivery_timeout=self.settings.delivery_timeout,
            retry_delay=self.settings.retry_delay,
        )
        self.config_path = workdir / "soak.yaml"
        self.config_path.write_text(text, encoding="utf-8")
        self.database = workdir / "schoolgate.sqlite3"
        for name, value in self._env.items():
            if name.startswith("SG_"):
                os.environ.setdefault(name, value)
        return parse_config(text, str(self.config_path))

    def _plan(self, config: Config, chats: Sequence[_Chat]) -> list[Message]:
        """Every message, decided up front. A text's flag is the bot's verdict for that school
        (both stages, as `run` judges); phrasings it reads otherwise than written are left out,
        and so are those only the learned stage flags for review (an alert and no reminder)."""
        detector = Detector.shipped()
        phrasings: dict[tuple[str, bool], list[tuple[str, bool]]] = defaultdict(list)
        for school in self.schools:
            settings = config.school(school.id)
            assert settings is not None
            profile = build_profile(settings)
            fill = {
                "head": school.staff[0].called,
                "teacher": school.staff[1].called,
                "pupil": school.pupils[0],
            }
            for abusive, texts in ((False, soak_texts.CLEAN), (True, soak_texts.ABUSIVE)):
                for template in texts:
                    text = template.format(**fill)
                    verdict = detector.evaluate(text, profile)
                    flagged = verdict.flagged
                    if flagged == abusive and not verdict.review:
                        phrasings[(school.id, abusive)].append((text, flagged))
                    else:
                        self.misread += 1
        plan: list[Message] = []
        for _ in range(self.settings.messages):
            chat = self.rng.choice(chats)
            abusive = self.rng.random() < self.settings.abusive
            text, flagged = self.rng.choice(phrasings[(chat.school.id, abusive)])
            world = self.worlds[chat.platform]
            # A flagged message has a sender of its own, so its reminder and its alert (which
            # names the sender's id) can be told apart from every other's.
            author = world.add_person("Parent") if flagged else self.rng.choice(chat.parents)
            plan.append(Message(chat.platform, chat.id, author, text, flagged))
        return plan

    # ---- the bot process ----

    async def _start_bot(self) -> None:
        log = self.workdir / f"bot-{len(self.runs) + 1}.log"
        with log.open("ab") as out:
            process = await asyncio.create_subprocess_exec(
                str(SCHOOLGATE),
                "run",
                "--config",
                str(self.config_path),
                "--log-level",
                self.settings.log_level,
                # The first start makes the database; a restart must find it.
                *(["--init"] if not self.runs else []),
                stdout=out,
                stderr=out,
                env=self._env,
            )
        self.runs.append(Run(log, process))

    async def _kill(self, at: float) -> None:
        """SIGKILL the bot now, and start it again after a seeded pause."""
        if self._restart is not None:
            await self._restart  # never kill a bot that is still down
        run = self.runs[-1]
        run.process.send_signal(signal.SIGKILL)
        run.killed = True
        await run.process.wait()
        self.kills.append(at)

        async def restart(pause: float) -> None:
            await asyncio.sleep(pause)
            await self._start_bot()

        self._restart = asyncio.create_task(restart(self.rng.uniform(*self.settings.down)))

    async def _stop_bot(self) -> None:
        if self._restart is not None:
            await self._restart
        run = self.runs[-1]
        if run.exit_code is None:
            run.process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(run.process.wait(), 60)
            except TimeoutError:
                run.process.kill()
                await run.process.wait()

    async def _abandon(self) -> None:
        """After a failure: leave no process behind."""
        if self._restart is not None and not self._restart.done():
            self._restart.cancel()
        for run in self.runs:
            if run.exit_code is None:
                run.process.kill()
                run.killed = True
                await run.process.wait()

    # ---- the run ----

    async def _warm_up(self, chats: Sequence[_Chat]) -> None:
        """Once the bot is connected everywhere, one clean message per chat, until the bot has
        seen each: as if it had been running before the soak began (a chat it has never seen
        is not caught up on, and Discord does not replay what was said before it connected)."""
        deadline = time.monotonic() + 120

        async def until(condition: Callable[[], bool]) -> None:
            while not condition():
                if time.monotonic() > deadline or self.runs[-1].exit_code is not None:
                    raise RuntimeError(f"the bot did not start: see {self.runs[-1].log}")
                await asyncio.sleep(0.2)

        await until(lambda: all(world.connected() for world in self.worlds.values()))
        for chat in chats:
            await self.worlds[chat.platform].post(chat.id, chat.parents[0], soak_texts.CLEAN[0])
        await until(lambda: self._seen_chats() == len(chats))

    async def _inject(self, plan: Sequence[Message]) -> None:
        count = len(plan)
        kill_at = sorted(
            self.rng.sample(
                range(count // 4, max(count // 4 + 1, count * 17 // 20)), self.settings.kills
            )
        )
        start = time.monotonic()
        for k, message in enumerate(plan):
            wait = start + k / self.settings.rate - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            if kill_at and k == kill_at[0]:
                kill_at.pop(0)
                await self._kill(time.monotonic() - start)
            message.id = await self.worlds[message.platform].post(
                message.chat, message.author, message.text
            )
            message.posted_at = time.monotonic()

    async def _settle(self, plan: Sequence[Message]) -> None:
        """Wait until every flagged message has its reminder and alert and nothing is pending
        in the bot's store, then watch a little longer for a late duplicate."""
        if self._restart is not None:
            await self._restart
        flagged = {(m.platform, m.author) for m in plan if m.flagged}
        deadline = time.monotonic() + self.settings.settle_limit
        while time.monotonic() < deadline:
            if self._pending() == 0 and flagged <= self._served():
                break
            await asyncio.sleep(0.5)
        await asyncio.sleep(QUIET)

    def _served(self) -> set[tuple[str, str]]:
        """(platform, sender) of the flagged messages with both a reminder and an alert."""
        reminded: set[tuple[str, str]] = set()
        alerted: set[tuple[str, str]] = set()
        for platform, world in self.worlds.items():
            for sent in world.sent():
                if not sent.dm:
                    continue
                reminded.add((platform, sent.to))
                alerted.update((platform, who) for _, who in SENDER.findall(sent.text))
        return reminded & alerted

    def _query(self, sql: str) -> list[tuple[object, ...]]:
        if not self.database.exists():
            return []
        try:
            with sqlite3.connect(f"file:{self.database}?mode=ro", uri=True, timeout=5) as db:
                return list(db.execute(sql))
        except sqlite3.Error:
            return []

    def _seen_chats(self) -> int:
        rows = self._query("SELECT count(*) FROM chats WHERE last_seen_id IS NOT NULL")
        return int(str(rows[0][0])) if rows else 0

    def _pending(self) -> int:
        rows = self._query("SELECT count(*) FROM actions WHERE status = 'pending'")
        return int(str(rows[0][0])) if rows else -1

    # ---- counting at the fakes ----

    def _count(self, plan: Sequence[Message]) -> dict[str, Counts]:
        blind = {
            str(platform): int(str(total))
            for platform, total in self._query(
                "SELECT platform, sum(blind_resends) FROM actions GROUP BY platform"
            )
        }
        return {
            platform: _count_platform(
                [m for m in plan if m.platform == platform],
                world,
                {school.slt[platform] for school in self.schools},
                blind.get(platform, 0),
            )
            for platform, world in self.worlds.items()
        }


def _count_platform(
    messages: Sequence[Message], world: World, slt: set[str], blind_resends: int
) -> Counts:
    flagged = {m.author: m for m in messages if m.flagged}
    reminders: defaultdict[str, list[Sent]] = defaultdict(list)
    alerts: defaultdict[str, list[Sent]] = defaultdict(list)
    stray = 0
    for sent in world.sent():
        if sent.dm and sent.to in slt:
            senders = [who for platform, who in SENDER.findall(sent.text) if platform == world.name]
            if len(senders) == 1 and senders[0] in flagged:
                alerts[senders[0]].append(sent)
                continue
        elif sent.dm and sent.to in flagged:
            reminders[sent.to].append(sent)
            continue
        stray += 1
    counts = Counts(
        messages=len(messages),
        flagged=len(flagged),
        stray=stray,
        faults=world.faults.total(),
        lost_answers=world.faults.total(acted=True),
        blind_resends=blind_resends,
    )
    for (call, _), times in world.faults.injected.items():
        counts.failed_calls[call] += times
    for author, message in flagged.items():
        for copies in (reminders.get(author, []), alerts.get(author, [])):
            copies.sort(key=lambda sent: sent.at)
            counts.duplicates += max(0, len(copies) - 1)
            counts.after_lost_answer += sum(1 for c in copies[:-1] if not c.answered)
            counts.lost += not copies
        counts.reminded += author in reminders
        counts.alerted += author in alerts
        if author in alerts:
            counts.latencies.append(alerts[author][0].at - message.posted_at)
    return counts


async def run_soak(settings: SoakSettings) -> SoakResult:
    return await Soak(settings).run()


# ---- the report ----


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}s"


def report(result: SoakResult, console: Console) -> None:
    s = result.settings
    table = Table(
        title=(
            f"Soak: {s.messages:,} messages in {s.chats} chats of 3 schools, {s.faults:.0%} of "
            f"calls failing, {len(result.kills)} SIGKILL(s), seed {s.seed}"
        )
    )
    for column in (
        "platform",
        "messages",
        "flagged",
        "reminders delivered",
        "alerts delivered",
        "duplicates",
        "lost",
        "stray",
        "alert p50",
        "alert p99",
    ):
        table.add_column(column, justify="left" if column == "platform" else "right")
    rows: Iterable[tuple[str, Counts]] = [*result.counts.items(), ("total", result.total)]
    for name, c in rows:
        table.add_row(
            name,
            f"{c.messages:,}",
            f"{c.flagged:,}",
            f"{c.reminded:,}",
            f"{c.alerted:,}",
            str(c.duplicates),
            str(c.lost),
            str(c.stray),
            _seconds(c.percentile(0.5)),
            _seconds(c.percentile(0.99)),
            end_section=name == PLATFORMS[-1],
        )
    console.print(table)
    for name, c in result.counts.items():
        calls = ", ".join(f"{call} {n:,}" for call, n in c.failed_calls.most_common())
        console.print(
            f"{name}: {c.faults:,} calls failed by the fake ({calls}); {c.lost_answers:,} of them "
            f"carried out with the answer lost; {c.blind_resends} resend(s) the platform could "
            f"not confirm; duplicates: {c.after_lost_answer} after an answer lost on the way, "
            f"{c.duplicates - c.after_lost_answer} after a kill or a slow answer"
        )
    console.print(
        f"texts: {len(soak_texts.CLEAN)} clean and {len(soak_texts.ABUSIVE)} abusive phrasings, "
        f"each judged by both stages for each school; {result.misread} (school, phrasing) "
        "pair(s) it read otherwise than written were left out"
    )
    kills = ", ".join(f"{k:.1f}s" for k in result.kills) or "none"
    console.print(f"SIGKILL at {kills} after the first message; bot processes: {len(result.runs)}")
    console.print(
        f"crashes: {result.crashes}; tracebacks in the bot's output: {result.tracebacks}; "
        f"Slack events lost while the bot was down (read back from history): {result.events_lost}"
    )
    kept = f"logs and database in {result.workdir}" if result.workdir else "--keep DIR keeps logs"
    console.print(f"run took {result.duration:.0f}s; {kept}")
    verdict = "[green]PASS[/]" if result.passed else "[red]FAIL[/]"
    console.print(
        f"{verdict}: lost {result.total.lost}, stray {result.total.stray}, duplicates "
        f"{result.total.duplicates} (each following an unconfirmable resend: "
        f"{all(result.explained(p) for p in result.counts)})"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    defaults = SoakSettings()
    parser.add_argument("--messages", type=int, default=defaults.messages)
    parser.add_argument("--chats", type=int, default=defaults.chats)
    parser.add_argument("--kills", type=int, default=defaults.kills)
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument("--faults", type=float, default=defaults.faults, help="share failed")
    parser.add_argument("--rate", type=float, default=defaults.rate, help="messages a second")
    parser.add_argument("--log-level", default=defaults.log_level, choices=["DEBUG", "INFO"])
    parser.add_argument("--keep", type=Path, help="keep the bot's logs and database here")
    args = parser.parse_args(argv)
    settings = SoakSettings(
        messages=args.messages,
        chats=args.chats,
        kills=args.kills,
        seed=args.seed,
        faults=args.faults,
        rate=args.rate,
        log_level=args.log_level,
        workdir=args.keep,
    )
    result = asyncio.run(run_soak(settings))
    report(result, Console() if sys.stdout.isatty() else Console(width=150))
    return 0 if result.passed else 1


if __name__ == "__main__":
    sys.exit(main())
