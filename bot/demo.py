"""`schoolgate demo`: the real app on the local platform, a sample school and a real SQLite
file, replaying a parents' chat and showing what each person sees."""

from __future__ import annotations

import asyncio
import sys
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from bot.app import App, LocalPlatform, Seen
from bot.clock import ManualClock
from bot.commands import parse_command
from bot.config import Config, StorageSettings, parse_config
from bot.model import Reply, UserRef

CHAT = "year4"
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday morning in term


@dataclass(frozen=True, slots=True)
class Person:
    key: str
    name: str
    role: str = "parent"


PEOPLE = {
    p.key: p
    for p in (
        Person("amy", "Amy"),
        Person("ben", "Ben"),
        Person("carl", "Carl"),
        Person("dana", "Dana"),
        Person("okafor", "Mrs Okafor", "SLT"),
        Person("jo", "Jo (class rep)", "admin"),
        Person("patel", "Mr Patel (chair of governors)", "governor"),
    )
}


def demo_config(db: Path) -> Config:
    text = resources.files("bot").joinpath("data/demo.yaml").read_text(encoding="utf-8")
    config = parse_config(text, "bot/data/demo.yaml")
    return config.model_copy(update={"storage": StorageSettings(path=str(db))})


class Show:
    """Prints what each person sees, as it happens."""

    def __init__(self, console: Console, platform: LocalPlatform, chat_name: str) -> None:
        self.console = console
        self.platform = platform
        self.chat_name = chat_name
        self._shown = 0

    def step(self, title: str) -> None:
        self.console.rule(f"[bold]{title}")

    def new(self) -> None:
        """Everything delivered since the last call."""
        paths = {a.key: d.path for a, d in self.platform.delivered}
        for seen in self.platform.seen[self._shown :]:
            self._one(seen, paths.get(seen.key or "", ""))
        self._shown = len(self.platform.seen)

    def _one(self, seen: Seen, path: str) -> None:
        who = _name(seen.user_id)
        if seen.kind in ("message", "edit"):
            self.console.print(
                Text.assemble(
                    (self.chat_name, "cyan"),
                    " \u2502 ",
                    (seen.sender, "bold"),
                    ": ",
                    seen.text,
                    (" (edited)" if seen.kind == "edit" else "", "dim"),
                )
            )
        elif seen.kind in ("notice", "nudge"):
            self.console.print(
                Panel(
                    seen.text,
                    title=f"[cyan]{self.chat_name}[/]: posted by schoolgate for everyone",
                    border_style="cyan",
                )
            )
        elif seen.kind in ("reminder", "ephemeral"):
            self.console.print(
                Panel(
                    seen.text,
                    title=f"Only {who} sees this: private reminder (delivered by {path})",
                    border_style="yellow",
                )
            )
        elif seen.kind == "alert":
            buttons = Text("  ".join(f"[ {b.label} ]" for b in seen.buttons), style="bold")
            urgent = seen.text.startswith("URGENT")
            self.console.print(
                Panel(
                    Group(Text(seen.text), Text(""), buttons),
                    title=f"Direct message to {who} ({_role(seen.user_id)})",
                    border_style="red" if urgent else "magenta",
                )
            )
        else:
            self.console.print(Panel(seen.text, title=f"{seen.kind} for {who}"))

    def action(self, person: Person, what: str, reply: Reply | None) -> None:
        self.console.print(f"[bold green]\u00bb {person.name} ({person.role})[/] {what}")
        if reply is not None:
            self.console.print(
                Panel(reply.text, title=f"Only {person.name} sees the reply", border_style="green")
            )

    def blocked(self, person: Person, text: str) -> None:
        self.console.print(
            f"[cyan]{self.chat_name}[/] \u2502 [dim]{person.name} tries to post "
            f"\u201c{text}\u201d, but the chat is closed to members.[/]"
        )


def _role(user_id: str | None) -> str:
    person = PEOPLE.get(user_id or "")
    return person.role if person else "SLT"


def _name(user_id: str | None) -> str:
    person = PEOPLE.get(user_id or "")
    return person.name if person else (user_id or "everyone")


class Demo:
    def __init__(self, app: App, platform: LocalPlatform, clock: ManualClock, show: Show) -> None:
        self.app = app
        self.platform = platform
        self.clock = clock
        self.show = show

    def user(self, key: str) -> UserRef:
        return LocalPlatform.user(key, PEOPLE[key].name)

    async def say(self, key: str, text: str) -> None:
        self.clock.advance(minutes=2)
        if await self.platform.send(CHAT, self.user(key), text) is None:
            self.show.blocked(PEOPLE[key], text)
        await self.settle()

    async def say_then_edit(self, key: str, text: str, edited: str) -> None:
        self.clock.advance(minutes=2)
        message = await self.platform.send(CHAT, self.user(key), text)
        await self.settle()
        if message is not None:
            self.clock.advance(minutes=1)
            await self.platform.edit(message, edited)
            await self.settle()

    async def command(self, key: str, text: str) -> None:
        self.clock.advance(minutes=3)  # people take a moment to act: the report shows how long
        reply = await self.platform.command(CHAT, self.user(key), text)
        self.show.action(PEOPLE[key], f"types {text}", reply)
        await self.settle()

    async def press(self, key: str, label: str, *, on_alert_to: str = "okafor") -> None:
        alerts = [s for s in self.platform.seen_by(on_alert_to) if s.kind == "alert" and s.buttons]
        button = next((b for b in alerts[-1].buttons if b.label == label), None) if alerts else None
        if button is None:
            self.show.console.print(f"[dim](no \u201c{label}\u201d button to press)[/]")
            return
        self.clock.advance(minutes=3)
        reply = await self.platform.press(button, self.user(key))
        self.show.action(PEOPLE[key], f"presses [ {label} ] on the latest alert", reply)
        await self.settle()

    async def settle(self) -> None:
        await self.app.drain()
        self.show.new()


Step = tuple[str, Callable[[Demo], Awaitable[None]]]

SCRIPT: list[Step] = [
    (
        "An ordinary morning in the class chat",
        lambda d: d.say("amy", "Morning all! Is PE on Tuesday or Wednesday this week?"),
    ),
    ("", lambda d: d.say("ben", "Tuesday I think, trainers and a water bottle")),
    (
        "A parent criticises a teacher by name",
        lambda d: d.say("carl", "Miss Rahman is useless, she should be sacked"),
    ),
    ("A parent insults another parent", lambda d: d.say("dana", "Carl you're an idiot")),
    (
        "A harmless message is edited into a threat",
        lambda d: d.say_then_edit(
            "carl",
            "Dana, see you at pickup",
            "Dana, see you at pickup. You'd better watch your back",
        ),
    ),
    ("SLT close the chat from the alert", lambda d: d.press("okafor", "Close chat")),
    ("Members cannot post while it is closed", lambda d: d.say("amy", "Is the chat closed?")),
    ("A parent tries to reopen it", lambda d: d.command("ben", "/reopen")),
    ("SLT reopen the chat", lambda d: d.command("okafor", "/reopen")),
    ("", lambda d: d.say("amy", "Thanks all, see you at pickup")),
]


async def _scripted(demo: Demo, pace: float) -> None:
    for title, step in SCRIPT:
        if title:
            demo.show.step(title)
        await step(demo)
        if pace:
            await asyncio.sleep(pace)


async def _interactive(demo: Demo) -> None:
    console = demo.show.console
    names = ", ".join(PEOPLE)
    console.print(
        Panel(
            f"Type as someone: [bold]NAME: message[/] (names: {names}).\n"
            "Commands work too: [bold]okafor: /close too many arguments[/], [bold]ben: /reopen[/], "
            "/status, /rules, /privacy, /help.\n"
            "Press a button on the latest alert: [bold]okafor: press Close chat[/].\n"
            "[bold]quit[/] ends the demo.",
            title="Interactive demo",
        )
    )
    while True:
        try:
            line = (await asyncio.to_thread(input, "> ")).strip()
        except EOFError:
            return
        if line in ("quit", "exit"):
            return
        key, _, text = line.partition(":")
        key, text = key.strip().lower(), text.strip()
        if key not in PEOPLE or not text:
            console.print(f"[dim]Write NAME: message, with NAME one of {names}[/]")
        elif parse_command(text) is not None:
            await demo.command(key, text)
        elif text.lower().startswith("press "):
            await demo.press(key, text[6:].strip())
        else:
            await demo.say(key, text)


async def _summary(app: App, console: Console, db: Path) -> None:
    console.rule("[bold]Read back from the database")
    incidents = Table(title="Incidents (flagged messages only)")
    for column in ("sender", "categories", "severity", "offence", "urgent", "status"):
        incidents.add_column(column)
    for i in await app.store.incidents():
        incidents.add_row(
            i.user.label,
            ", ".join(i.categories),
            i.severity,
            str(i.offence_number),
            "yes" if i.urgent else "",
            i.status,
        )
    actions = Table(title="Actions (the outbox)")
    for column in ("kind", "for", "status", "delivered by", "attempts"):
        actions.add_column(column)
    for a in await app.store.actions():
        target = getattr(a.action, "recipient", None) or getattr(a.action, "user", None)
        actions.add_row(
            a.kind,
            _name(target.user_id) if target else "the chat",
            a.status,
            a.path or "",
            str(a.attempts),
        )
    audit = Table(title="Audit log")
    for column in ("who", "did", "outcome", "detail"):
        audit.add_column(column)
    for entry in await app.store.audit_log():
        audit.add_row(_name(entry.actor_id), entry.action, entry.outcome, entry.detail)
    async with app.store.read() as s:
        counts = await s.counters()
    checked = sum(c[4] for c in counts)
    flagged = sum(c[5] for c in counts)
    console.print(incidents, actions, audit)
    console.print(
        f"{checked} messages checked, {flagged} flagged. Only the flagged ones' text is stored; "
        f"the others are counted. Database: {db}"
    )


async def _write_report(app: App, config: Config, clock: ManualClock, out: Path) -> None:
    """The term report of what the demo did, over the days it covered."""
    from bot.reports.render import write_private
    from bot.reports.term import gather, report_html

    school = config.schools[0]
    zone = config.settings_for(school).zone
    day = clock.now().astimezone(zone).date()
    report = await gather(
        app.store, config, [school], START.astimezone(zone).date(), day, generated_at=clock.now()
    )
    write_private(out, report_html(report))


async def _main(interactive: bool, db: Path, pace: float, report: Path | None = None) -> None:
    console = Console(highlight=False)
    config = demo_config(db)
    clock = ManualClock(START)
    platform = LocalPlatform(clock=clock)
    console.print(
        Panel(
            "schoolgate on the built-in local platform: Oakfield Primary School's Year 4 "
            "parents' chat, with Mrs Okafor as the SLT contact. Everything below is the real app: "
            "the rules core, the policy, the outbox and a SQLite database.",
            title="schoolgate demo",
        )
    )
    async with App(config, [platform], clock=clock) as app:
        show = Show(console, platform, config.schools[0].chats[0].name)
        demo = Demo(app, platform, clock, show)
        if interactive:
            await _interactive(demo)
        else:
            await _scripted(demo, pace)
        await app.drain()
        await _summary(app, console, db)
        if report is not None:
            await _write_report(app, config, clock, report)
            console.print(f"The SLT report of the demo is in {report}")


def run_demo(
    *,
    interactive: bool = False,
    db: str | None = None,
    pace: float | None = None,
    report: str | None = None,
) -> int:
    """`report`: write the SLT report of the demo's database there when the demo ends."""
    if pace is None:
        pace = 0.8 if sys.stdout.isatty() and not interactive else 0.0
    out = None if report is None else Path(report)
    if out is not None and not out.parent.is_dir():
        raise FileNotFoundError(f"{out}: the folder {out.parent} does not exist")
    if db is not None:
        asyncio.run(_main(interactive, Path(db), pace, out))
        return 0
    # Nothing kept unless asked for: the folder goes with the database in it.
    with tempfile.TemporaryDirectory(prefix="schoolgate-demo-") as folder:
        asyncio.run(_main(interactive, Path(folder) / "demo.sqlite3", pace, out))
    return 0
