"""Fixtures for the Discord adapter tests: the loopback fake Discord with one school's server,
a config pointing at it, and a running App with the real discord.py client."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from adapters.discord import DiscordPlatform
from adapters.discord.permissions import INVITE_PERMISSIONS
from bot.app import App
from bot.clock import Clock
from bot.config import Config, parse_config
from tests.fakes.discord_api import TOKEN, FakeDiscord

if TYPE_CHECKING:
    # Payload types only: discord.types cannot be imported on its own (circular imports).
    from discord.types.message import Message


ABUSIVE = "go f*ck yourself Debbie"
CLEAN = "Is it swimming on Tuesday?"

# Short in tests: the fake sends every GUILD_CREATE right after READY.
GUILD_READY_TIMEOUT = 0.05


@dataclass(frozen=True)
class World:
    """One school's Discord server as the fake holds it."""

    fake: FakeDiscord
    guild: int
    channel: int  # the moderated class chat
    other_channel: int  # a channel the school did not list
    welcome_channel: int
    slt: int  # SLT contact in the config
    admin: int  # a school admin in the config
    staff_role: int  # listed in discord.admin_roles
    teacher: int  # holds the staff role, not listed by id
    parent: int
    other_parent: int


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    server = FakeDiscord()
    await server.start()
    try:
        yield server
    finally:
        await server.close()


@pytest.fixture
def world(fake: FakeDiscord) -> World:
    guild = fake.add_guild("Riverside Parents", bot_permissions=INVITE_PERMISSIONS.value)
    staff_role = fake.add_role(guild, "Staff")
    return World(
        fake=fake,
        guild=guild,
        channel=fake.add_channel(guild, "year-3-parents"),
        other_channel=fake.add_channel(guild, "off-topic"),
        welcome_channel=fake.add_channel(guild, "welcome"),
        slt=fake.add_member(guild, "ms-okafor"),
        admin=fake.add_member(guild, "mr-hughes"),
        staff_role=staff_role,
        teacher=fake.add_member(guild, "miss-adeyemi", roles=(staff_role,)),
        parent=fake.add_member(guild, "debbies-neighbour"),
        other_parent=fake.add_member(guild, "sam-parent"),
    )


@pytest.fixture
def make_config(tmp_path: Path, world: World) -> Callable[..., Config]:
    """The school's config; `discord_extra` adds keys to the `discord:` section, `chat` lists
    another channel id instead of the class chat."""

    def make(*, discord_extra: str = "", chat: int | None = None) -> Config:
        text = f"""
storage:
  path: {tmp_path / "schoolgate.sqlite3"}
discord:
  token: {TOKEN}
  api_url: {world.fake.api_url}
  gateway_url: {world.fake.gateway_url}
  admin_roles: ["{world.staff_role}"]
  welcome_channel: "{world.welcome_channel}"
{discord_extra}
schools:
  - id: riverside
    name: Riverside Primary School
    staff:
      - {{id: s1, title: Mrs, first: Priya, last: Patel, roles: [head]}}
    slt:
      - {{name: Ms Okafor, discord: "{world.slt}"}}
    admins:
      - {{name: Mr Hughes, discord: "{world.admin}"}}
    chats:
      - {{platform: discord, id: "{chat or world.channel}", name: Year 3 parents}}
"""
        return parse_config(text, "test")

    return make


@pytest.fixture
def config(make_config: Callable[..., Config]) -> Config:
    return make_config()


@dataclass
class Running:
    app: App
    platform: DiscordPlatform
    fake: FakeDiscord

    async def settle(self) -> None:
        """Everything pushed so far has reached the core, and its actions are delivered."""
        await self.fake.sync()
        await self.platform.settle()
        await self.app.drain()


@asynccontextmanager
async def running(
    config: Config, fake: FakeDiscord, *, clock: Clock | None = None
) -> AsyncIterator[Running]:
    """The bot with the real discord.py client connected to the fake, started and settled."""
    platform = DiscordPlatform(config, guild_ready_timeout=GUILD_READY_TIMEOUT)
    async with App(config, [platform], clock=clock) as app:
        bot = Running(app, platform, fake)
        await bot.settle()
        yield bot


@pytest.fixture
async def bot(config: Config, fake: FakeDiscord) -> AsyncIterator[Running]:
    async with running(config, fake) as started:
        yield started


def alert_to(world: World) -> Message:
    """The one alert DM'd to the SLT contact."""
    (alert,) = world.fake.dms_to(world.slt)
    return alert


def custom_ids(message: Message) -> dict[str, str]:
    """Button label -> custom_id on a message the bot sent."""
    found: dict[str, str] = {}
    for row in message.get("components", []):
        for item in row.get("components", []):  # type: ignore[attr-defined]
            found[item["label"]] = item["custom_id"]
    return found
