"""One shape for the three loopback platforms, so the fault suite and the soak drive them alike.

A `World` owns a fake platform server with its fault plan, creates chats and people on it,
posts members' messages the way the platform delivers them (Telegram's getUpdates queue,
Discord's gateway, Slack's Socket Mode with the Events API's retries), writes its section of the
bot's config, and lists what the bot delivered as the fake carried it out (`sent`), each with
the moment it happened at the fake. `render_config` writes the bot's config for schools whose
chats are spread over the worlds.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from adapters.discord.permissions import INVITE_PERMISSIONS
from tests.adapters.telegram.builders import message as telegram_message
from tests.fakes.discord_api import TOKEN as DISCORD_TOKEN
from tests.fakes.discord_api import FakeDiscord
from tests.fakes.faults import FaultKind, FaultPlan, subject_to
from tests.fakes.slack_api import BOT_ID, FakeSlack
from tests.fakes.telegram_api import TOKEN as TELEGRAM_TOKEN
from tests.fakes.telegram_api import FakeTelegramApi

PLATFORMS = ("telegram", "discord", "slack")
DISCORD_HEARTBEAT_MS = 41_250  # as Discord asks for

_EVERY: tuple[FaultKind, ...] = ("429", "500", "timeout", "drop")
# The calls that carry the bot's actions, and the history reads of catch-up and of checking an
# unanswered attempt, may fail every way. Telegram's long poll may fail too, though not by
# hanging (a stalled poll only waits for the client's own timeout). Start-up calls are not
# failed here: a platform that cannot start is tried again on its own
# (tests/faults/test_unreachable_at_start.py).
FAULTY_CALLS: dict[str, dict[str, tuple[FaultKind, ...]]] = {
    "telegram": {"sendMessage": _EVERY, "getUpdates": ("429", "500", "drop")},
    "discord": {
        "POST /channels/{channel}/messages": _EVERY,
        "POST /users/@me/channels": _EVERY,
        "GET /channels/{channel}/messages": _EVERY,
    },
    "slack": {
        "chat.postMessage": _EVERY,
        "chat.postEphemeral": _EVERY,
        "conversations.open": _EVERY,
        "conversations.history": _EVERY,
        "users.info": _EVERY,
    },
}
# The call that sends a message, for tests that fail one on purpose.
SEND_CALL = {
    "telegram": "sendMessage",
    "discord": "POST /channels/{channel}/messages",
    "slack": "chat.postMessage",
}


def fault_plan(platform: str, share: float, *, seed: int, acted_share: float = 0.5) -> FaultPlan:
    return FaultPlan(
        share, seed=seed, acted_share=acted_share, subject=subject_to(FAULTY_CALLS[platform])
    )


@dataclass(frozen=True)
class Sent:
    """Something the bot delivered, as the fake carried it out."""

    to: str  # the person, for a direct message; else the chat
    dm: bool
    text: str
    at: float  # time.monotonic() at the fake
    answered: bool = True  # False: carried out, but the fake lost its answer on purpose


class World(Protocol):
    name: str
    faults: FaultPlan
    env: dict[str, str]  # the secrets the config names, for the bot's environment

    async def start(self) -> None: ...

    async def close(self) -> None: ...

    def add_chat(self, title: str) -> str: ...

    def add_person(self, name: str) -> str: ...

    def config(self) -> str:
        """The platform's section of the bot's YAML config."""

    def connected(self) -> bool:
        """The bot is receiving the platform's events."""

    async def post(self, chat: str, person: str, text: str) -> str:
        """A member posts; returns the message id as the core will know it."""

    def sent(self) -> list[Sent]: ...


class TelegramWorld:
    name = "telegram"

    def __init__(self, faults: FaultPlan | None = None) -> None:
        self.env = {"SG_TELEGRAM_TOKEN": TELEGRAM_TOKEN}
        self.faults = faults or FaultPlan()
        self.fake = FakeTelegramApi(faults=self.faults)
        self._chats = itertools.count(1)
        self._people = itertools.count(1)

    async def start(self, port: int = 0) -> None:
        await self.fake.start(port)

    async def close(self) -> None:
        await self.fake.close()

    def add_chat(self, title: str) -> str:
        chat_id = -1002000000000 - next(self._chats)
        self.fake.add_chat(chat_id, title, bot_admin=True)
        return str(chat_id)

    def add_person(self, name: str) -> str:
        return str(7000000000 + next(self._people))

    def config(self) -> str:
        return f"telegram:\n  token: ${{SG_TELEGRAM_TOKEN}}\n  base_url: {self.fake.base_url}\n"

    def connected(self) -> bool:
        return bool(self.fake.calls_to("getUpdates"))

    async def post(self, chat: str, person: str, text: str) -> str:
        update = telegram_message(int(chat), int(person), text)
        self.fake.push_update(update)
        return str(update["message"]["message_id"])

    def sent(self) -> list[Sent]:
        return [
            Sent(str(m.chat_id), m.chat_id > 0, m.text, m.at, m.answered) for m in self.fake.sent
        ]


class DiscordWorld:
    name = "discord"

    def __init__(self, faults: FaultPlan | None = None) -> None:
        self.env = {"SG_DISCORD_TOKEN": DISCORD_TOKEN}
        self.faults = faults or FaultPlan()
        self.fake = FakeDiscord(faults=self.faults, heartbeat_ms=DISCORD_HEARTBEAT_MS)
        self._guild: int | None = None

    async def start(self) -> None:
        await self.fake.start()

    async def close(self) -> None:
        await self.fake.close()

    @property
    def guild(self) -> int:
        if self._guild is None:
            self._guild = self.fake.add_guild("Parents", bot_permissions=INVITE_PERMISSIONS.value)
        return self._guild

    def add_chat(self, title: str) -> str:
        return str(self.fake.add_channel(self.guild, title))

    def add_person(self, name: str) -> str:
        return str(self.fake.add_member(self.guild, name))

    def config(self) -> str:
        return (
            f"discord:\n  token: ${{SG_DISCORD_TOKEN}}\n  api_url: {self.fake.api_url}\n"
            f"  gateway_url: {self.fake.gateway_url}\n"
        )

    def connected(self) -> bool:
        return self.fake.connected

    async def post(self, chat: str, person: str, text: str) -> str:
        posted = await self.fake.say(int(chat), int(person), text)
        return str(posted["id"])

    def sent(self) -> list[Sent]:
        bot = self.fake.bot["id"]
        found: list[Sent] = []
        for channel_id, messages in self.fake.messages.items():
            channel = self.fake.channels[channel_id]
            dm = channel["type"] == 1
            to = str(channel["recipients"][0]["id"]) if dm else str(channel_id)
            found += [
                Sent(to, dm, m["content"], self.fake.created_at[str(m["id"])])
                for m in messages
                if m["author"]["id"] == bot
            ]
        return found


class SlackWorld:
    name = "slack"

    def __init__(self, faults: FaultPlan | None = None) -> None:
        self.env = {"SG_SLACK_BOT_TOKEN": "xoxb-soak", "SG_SLACK_APP_TOKEN": "xapp-1-soak"}
        self.faults = faults or FaultPlan()
        self.fake = FakeSlack(faults=self.faults)
        self._chats = itertools.count(1)
        self._people = itertools.count(1)

    async def start(self) -> None:
        await self.fake.start()

    async def close(self) -> None:
        await self.fake.close()

    def add_chat(self, title: str) -> str:
        return f"C{next(self._chats):08d}"

    def add_person(self, name: str) -> str:
        person = f"U{next(self._people):08d}"
        self.fake.users[person] = name
        return person

    def config(self) -> str:
        return (
            "slack:\n  bot_token: ${SG_SLACK_BOT_TOKEN}\n  app_token: ${SG_SLACK_APP_TOKEN}\n"
            f"  api_url: {self.fake.api_url}\n"
        )

    def connected(self) -> bool:
        return self.fake.connected

    async def post(self, chat: str, person: str, text: str) -> str:
        return self.fake.post_message(chat, person, text)

    def sent(self) -> list[Sent]:
        found: list[Sent] = []
        for channel, messages in self.fake.history.items():
            dm = channel.startswith("D")
            to = channel[1:] if dm else channel
            found += [
                Sent(to, dm, str(m["text"]), self.fake.posted_at[m["ts"]])
                for m in messages
                if m.get("bot_id") == BOT_ID
            ]
        return found


def make_world(platform: str, faults: FaultPlan | None = None) -> World:
    worlds: dict[str, type[TelegramWorld] | type[DiscordWorld] | type[SlackWorld]] = {
        "telegram": TelegramWorld,
        "discord": DiscordWorld,
        "slack": SlackWorld,
    }
    return worlds[platform](faults)


@dataclass(frozen=True)
class Staff:
    id: str
    title: str
    first: str
    last: str
    roles: tuple[str, ...] = ()

    @property
    def called(self) -> str:
        return f"{self.title} {self.last}"


@dataclass
class School:
    id: str
    name: str
    staff: tuple[Staff, ...]
    pupils: tuple[str, ...]
    slt: dict[str, str] = field(default_factory=dict)  # platform -> the SLT contact's id
    chats: list[tuple[str, str, str]] = field(default_factory=list)  # (platform, id, name)


def schools() -> list[School]:
    """Three primary schools, each with a head, a class teacher and a SENCo or PE teacher."""
    return [
        School(
            "riverside",
            "Riverside Primary School",
            (
                Staff("rs1", "Mrs", "Priya", "Patel", ("head", "headteacher")),
                Staff("rs2", "Mr", "James", "Carter", ("year 3 teacher",)),
                Staff("rs3", "Miss", "Sophie", "Turner", ("SENCo",)),
            ),
            ("Noah", "Isla"),
        ),
        School(
            "hillside",
            "Hillside Primary School",
            (
                Staff("hs1", "Mr", "Daniel", "Okafor", ("head", "headteacher")),
                Staff("hs2", "Mrs", "Helen", "Hughes", ("year 5 teacher",)),
                Staff("hs3", "Ms", "Aisha", "Begum", ("SENCo",)),
            ),
            ("Mia", "Harry"),
        ),
        School(
            "meadow",
            "Meadow Lane Primary School",
            (
                Staff("ml1", "Dr", "Owen", "Lloyd", ("head", "headteacher")),
                Staff("ml2", "Miss", "Megan", "Reid", ("year 1 teacher",)),
                Staff("ml3", "Mr", "Gareth", "Walsh", ("PE teacher",)),
            ),
            ("Zara", "Leo"),
        ),
    ]


def render_config(
    schools: Sequence[School],
    worlds: Sequence[World],
    *,
    database: Path,
    delivery_timeout: float,
    retry_delay: float,
) -> str:
    """The bot's config: every flagged message reminds its sender and alerts the school's one
    SLT contact (who has an id on each platform, so is alerted where the chat is); no quiet
    hours, no welcomes, no deletes."""
    lines = [
        f"storage: {{path: {database}}}",
        f"outbox: {{delivery_timeout: {delivery_timeout}, retry_delay: {retry_delay}}}",
        "policy:",
        "  escalation: {alert_after: 1}",
        "  welcome: false",
        *(world.config().rstrip("\n") for world in worlds),
        "schools:",
    ]
    for school in schools:
        lines += [f"  - id: {school.id}", f"    name: {school.name}", "    staff:"]
        lines += [
            f"      - {{id: {s.id}, title: {s.title}, first: {s.first}, last: {s.last}, "
            f"roles: [{', '.join(s.roles)}]}}"
            for s in school.staff
        ]
        lines.append(f"    pupils: [{', '.join(school.pupils)}]")
        ids = "".join(f", {platform}: '{user}'" for platform, user in school.slt.items())
        lines.append(f"    slt: [{{name: SLT of {school.name}{ids}}}]")
        lines.append("    chats:")
        lines += [
            f"      - {{platform: {platform}, id: '{chat}', name: '{name}'}}"
            for platform, chat, name in school.chats
        ]
    return "\n".join(lines) + "\n"
