"""Connecting: intents, where the client connects, what it says about missing permissions,
and clear errors when Discord refuses it."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import discord
import pytest

from adapters.discord import DiscordPlatform
from adapters.discord.permissions import INVITE_PERMISSIONS, NEEDED
from adapters.discord.platform import DiscordError
from bot.app import App
from bot.config import Config
from bot.platform import Capability
from tests.adapters.discord.conftest import GUILD_READY_TIMEOUT, Running, World, running
from tests.payloads.discord import build

DOCS = Path(__file__).resolve().parents[3] / "docs" / "discord.md"


async def test_the_client_asks_for_message_content_and_members(world: World, bot: Running) -> None:
    (identify,) = world.fake.identifies
    wanted = discord.Intents._from_value(identify["intents"])
    assert wanted.message_content
    assert wanted.members
    assert identify["token"] == world.fake.calls("GET", "/users/@me")[0].headers[
        "Authorization"
    ].removeprefix("Bot ")


async def test_every_capability_where_the_bot_has_every_permission(
    world: World, bot: Running
) -> None:
    chat = bot.platform.chats.ref(world.channel)
    assert bot.platform.capabilities_in(chat) == bot.platform.capabilities


async def test_missing_permissions_are_reported_at_start(
    world: World, make_config: Callable[..., Config], caplog: pytest.LogCaptureFixture
) -> None:
    # The channel's own overwrite takes away what the invite gave the bot's role.
    taken = discord.Permissions(manage_roles=True, manage_messages=True).value
    bot_role = world.fake.bot_role(world.guild)
    world.fake.channels[world.channel]["permission_overwrites"] = [
        build.overwrite(bot_role, allow=0, deny=taken)
    ]

    with caplog.at_level(logging.WARNING, logger="adapters.discord"):
        async with running(make_config(), world.fake) as bot:
            capabilities = bot.platform.capabilities_in(bot.platform.chats.ref(world.channel))

    (line,) = [r.getMessage() for r in caplog.records if "the bot lacks" in r.getMessage()]
    assert "Manage Messages" in line
    assert "Manage Roles" in line
    assert "Send Messages" not in line
    assert capabilities == {Capability.DIRECT_MESSAGE, Capability.BUTTONS}


async def test_an_unknown_channel_is_reported_at_start(
    world: World, make_config: Callable[..., Config], caplog: pytest.LogCaptureFixture
) -> None:
    async with running(make_config(chat=123456789012345678), world.fake):
        pass

    assert "Discord channel 123456789012345678 is not visible to the bot" in caplog.text


async def test_privileged_intents_refused_by_the_portal_stop_the_start_clearly(
    world: World, config: Config
) -> None:
    world.fake.refuse_privileged_intents = True
    platform = DiscordPlatform(config, guild_ready_timeout=GUILD_READY_TIMEOUT)

    with pytest.raises(DiscordError, match="Message Content and Server Members intents"):
        await platform.start(App(config, [platform]).core)


async def test_a_wrong_token_stops_the_start_clearly(world: World, config: Config) -> None:
    world.fake.fail("GET", "/users/@me", 401, build.api_error(0, "401: Unauthorized"))
    platform = DiscordPlatform(config, guild_ready_timeout=GUILD_READY_TIMEOUT)

    with pytest.raises(DiscordError, match="rejected the bot token"):
        await platform.start(App(config, [platform]).core)


async def test_an_application_without_message_content_is_reported(
    world: World, config: Config, caplog: pytest.LogCaptureFixture
) -> None:
    world.fake.app_flags = 0

    async with running(config, world.fake):
        pass

    assert "turn on the Message Content intent" in caplog.text


def test_the_setup_guide_invites_with_exactly_the_permissions_needed() -> None:
    guide = DOCS.read_text(encoding="utf-8")

    assert f"permissions={INVITE_PERMISSIONS.value}&" in guide or (
        f"permissions={INVITE_PERMISSIONS.value}\n" in guide
    )
    for name, _ in NEEDED.values():
        assert name.split(" / ")[0] in guide
