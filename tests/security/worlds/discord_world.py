"""The security tests' Discord world: the real discord.py client on the loopback fake Discord,
with one server per school."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, cast

import discord

from adapters.discord.permissions import INVITE_PERMISSIONS
from bot.config import parse_config
from bot.model import CommandName, decode_button
from tests.adapters.discord.conftest import ABUSIVE, Running, custom_ids, running
from tests.fakes.discord_api import TOKEN, FakeDiscord

from .base import Flagged, Outcome, World, buttons_of, key_of

if TYPE_CHECKING:
    from discord.types.message import Message

# The option a command's arguments go in (the others take a reason).
_OPTIONS = {CommandName.INCIDENTS: "days", CommandName.INCIDENT: "number"}
SEND = discord.Permissions(send_messages=True, send_messages_in_threads=True).value


@dataclass(frozen=True)
class Servers:
    """Who is where. School A's server holds its chat and everyone who types there; school B
    has its own server, chat and staff role."""

    guild: int
    channel: int
    other_guild: int
    other_channel: int
    staff_role: int
    other_staff_role: int
    users: dict[str, int]  # caller kind -> user id
    offender: int
    other_teacher: int  # holds school B's staff role in school B's server


def build_servers(fake: FakeDiscord) -> Servers:
    guild = fake.add_guild("Riverside Parents", bot_permissions=INVITE_PERMISSIONS.value)
    other_guild = fake.add_guild("Hillside Parents", bot_permissions=INVITE_PERMISSIONS.value)
    staff_role = fake.add_role(guild, "Staff")
    other_staff_role = fake.add_role(other_guild, "Staff")
    users = {
        "slt_this": fake.add_member(guild, "ms-okafor"),
        # A parent at Riverside who leads Hillside.
        "slt_other": fake.add_member(guild, "mr-obi"),
        "admin_this": fake.add_member(guild, "mr-hughes"),
        "dsl_this": fake.add_member(guild, "mrs-dee"),
        "role_admin": fake.add_member(guild, "miss-adeyemi", roles=(staff_role,)),
        "parent": fake.add_member(guild, "sam-parent"),
        "unknown": fake.add_member(guild, "passer-by"),  # joined the server, listed nowhere
    }
    return Servers(
        guild=guild,
        channel=fake.add_channel(guild, "year-3-parents"),
        other_guild=other_guild,
        other_channel=fake.add_channel(other_guild, "year-6-parents"),
        staff_role=staff_role,
        other_staff_role=other_staff_role,
        users=users,
        offender=fake.add_member(guild, "debbies-neighbour"),
        other_teacher=fake.add_member(other_guild, "mr-baker", roles=(other_staff_role,)),
    )


def config_yaml(fake: FakeDiscord, servers: Servers, storage: Path, *, token: str = TOKEN) -> str:
    return f"""
storage:
  path: {storage}
policy:
  escalation: {{alert_after: 1}}
discord:
  token: {token}
  api_url: {fake.api_url}
  gateway_url: {fake.gateway_url}
  admin_roles: ["{servers.staff_role}", "{servers.other_staff_role}"]
schools:
  - id: riverside
    name: Riverside Primary School
    slt:
      - {{name: Ms Okafor, discord: "{servers.users["slt_this"]}"}}
    dsl:
      - {{name: Mrs Dee, discord: "{servers.users["dsl_this"]}"}}
    admins:
      - {{name: Mr Hughes, discord: "{servers.users["admin_this"]}"}}
    chats:
      - {{platform: discord, id: "{servers.channel}", name: Year 3 parents}}
  - id: hillside
    name: Hillside Academy
    slt:
      - {{name: Mr Obi, discord: "{servers.users["slt_other"]}"}}
    chats:
      - {{platform: discord, id: "{servers.other_channel}", name: Year 6 parents}}
"""


class DiscordWorld(World):
    platform = "discord"

    def __init__(self, bot: Running, servers: Servers) -> None:
        self.bot = bot
        self.app = bot.app
        self.fake = bot.fake
        self.servers = servers
        self.chat = str(servers.channel)
        self.other_chat = str(servers.other_channel)
        self.alert_ids: dict[str, str] = {}  # incident key -> the alert's message id

    async def settle(self) -> None:
        await self.bot.settle()

    async def command(self, caller: str, name: CommandName, args: str = "") -> Outcome:
        user = self.servers.users[caller]
        options = {_OPTIONS.get(name, "reason"): args} if args else {}
        typed = await self.fake.command(self.servers.channel, user, name.value, **options)
        reply = await self.fake.interaction_reply(typed)
        return Outcome(str(reply["data"]["content"]), str(user))

    async def press(self, caller: str, data: str, *, answered: bool = True) -> Outcome:
        """A press on an alert school A's SLT received (in a direct message)."""
        user = self.servers.users[caller]
        decoded = decode_button(data)
        sent = self.alert_ids.get(decoded[1]) if decoded else None
        slt = self.servers.users["slt_this"]
        # The alert the data came from, even once its buttons are gone; else the latest.
        on = [m for m in self.fake.dms_to(slt) if str(m["id"]) == sent] or [self.latest_alert()]
        return await self.press_on(on[0], data, user, answered=answered)

    async def press_on(
        self,
        message: Message,
        data: str,
        user: int,
        *,
        in_guild: bool = False,
        answered: bool = True,
    ) -> Outcome:
        pressed = await self.fake.press(carrying(message, data), data, user, in_guild=in_guild)
        if not answered:  # discord.py leaves a custom id that is not ours unanswered
            await self.settle()
            return Outcome("", str(user))
        reply = await self.fake.interaction_reply(pressed)
        return Outcome(str(reply["data"]["content"]), str(user))

    def latest_alert(self, user: int | None = None) -> Message:
        slt = self.servers.users["slt_this"] if user is None else user
        return [m for m in self.fake.dms_to(slt) if m.get("components")][-1]

    async def flag(self, *, other_school: bool = False) -> Flagged:
        servers = self.servers
        if other_school:
            channel, author, slt = (
                servers.other_channel,
                servers.other_teacher,
                servers.users["slt_other"],
            )
        else:
            channel, author, slt = servers.channel, servers.offender, servers.users["slt_this"]
        posted = await self.fake.say(channel, author, ABUSIVE)
        await self.settle()
        alert = self.latest_alert(slt)
        buttons = buttons_of(list(custom_ids(alert).values()))
        self.alert_ids[key_of(buttons)] = str(alert["id"])
        return Flagged(key_of(buttons), str(posted["id"]), buttons)

    def shown_alert(self, flagged: Flagged) -> tuple[str, list[str]]:
        """By the id of the message it arrived in: an edit keeps it."""
        slt = self.servers.users["slt_this"]
        [now] = [m for m in self.fake.dms_to(slt) if str(m["id"]) == self.alert_ids[flagged.key]]
        return str(now["content"]), list(custom_ids(now).values())

    def mark(self) -> int:
        return len(self.fake.requests)

    def effects_since(self, mark: int) -> list[str]:
        effects = []
        for request in self.fake.requests[mark:]:
            parts = request.path.strip("/").split("/")
            if parts[0] != "channels" or len(parts) != 4:
                continue
            _, channel, kind, _target = parts
            if kind == "permissions" and request.method == "PUT":
                closing = int(request.body.get("deny", 0)) & SEND == SEND
                effects.append(f"{'close' if closing else 'reopen'} {channel}")
            elif kind == "permissions" and request.method == "DELETE":
                effects.append(f"reopen {channel}")
            elif kind == "messages" and request.method == "DELETE":
                effects.append(f"delete {channel} {_target}")
        return effects


def carrying(message: Message, data: str) -> Message:
    """The message as a press on a button with `data` shows it. Discord sends presses only for
    buttons a message has, and discord.py checks that too; to put other data in front of the
    core, the message must seem to carry it."""
    button = {"type": 2, "style": 2, "label": "button", "custom_id": data}
    shown = dict(message)
    shown["components"] = [{"type": 1, "components": [button]}]
    return cast("Message", shown)


@asynccontextmanager
async def discord_world(path: Path) -> AsyncIterator[DiscordWorld]:
    fake = FakeDiscord()
    await fake.start()
    try:
        servers = build_servers(fake)
        config = parse_config(config_yaml(fake, servers, path / "schoolgate.sqlite3"), "test")
        async with running(config, fake) as bot:
            # Every settle asks the client for a heartbeat (FakeDiscord.sync), far more often
            # than Discord does, and each answer counts against discord.py's gateway budget of
            # 110 sends a minute: the whole matrix, one case after another, would exceed it.
            client = bot.platform._client
            assert client is not None
            client.ws._rate_limiter.max = client.ws._rate_limiter.remaining = 1_000_000
            yield DiscordWorld(bot, servers)
    finally:
        await fake.close()
