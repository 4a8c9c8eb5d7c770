"""Slash commands as Discord app commands: registered per server, authorised by the core,
answered privately."""

from __future__ import annotations

import discord

from tests.adapters.discord.conftest import Running, World
from tests.payloads.discord import build

EPHEMERAL = 1 << 6
SEND_DENIED = discord.Permissions(send_messages=True, send_messages_in_threads=True).value


async def test_the_commands_are_registered_in_the_server_at_start(
    world: World, bot: Running
) -> None:
    (sync,) = world.fake.calls("PUT", rf"/applications/\d+/guilds/{world.guild}/commands")
    assert {c["name"] for c in sync.body} == {"close", "reopen", "status", "rules", "privacy"}
    # Discord's permission hint would hide the commands from SLT who are plain members.
    assert all(c.get("default_member_permissions") is None for c in sync.body)
    (close,) = [c for c in sync.body if c["name"] == "close"]
    assert [(o["name"], o.get("required", False)) for o in close["options"]] == [("reason", False)]


async def test_close_by_a_parent_is_refused_privately(world: World, bot: Running) -> None:
    typed = await world.fake.command(world.channel, world.parent, "close", reason="enough")
    reply = await world.fake.interaction_reply(typed)
    await bot.settle()

    assert reply["type"] == 4
    assert reply["data"]["flags"] & EPHEMERAL
    assert world.fake.calls("PUT", r"/channels/\d+/permissions/\d+") == []
    assert world.fake.sent_to(world.channel) == []


async def test_close_by_a_holder_of_an_admin_role_closes_with_the_reason(
    world: World, bot: Running
) -> None:
    typed = await world.fake.command(world.channel, world.teacher, "close", reason="half term")
    reply = await world.fake.interaction_reply(typed)
    await bot.settle()

    assert reply["data"]["flags"] & EPHEMERAL
    (put,) = world.fake.calls("PUT", rf"/channels/{world.channel}/permissions/{world.guild}")
    assert int(put.body["deny"]) & SEND_DENIED == SEND_DENIED
    (notice,) = world.fake.sent_to(world.channel)
    assert "half term" in notice["content"]


async def test_reopen_restores_exactly_the_overwrite_that_was_there(
    world: World, bot: Running
) -> None:
    # The school had already tuned @everyone here: no embeds, reactions allowed.
    before = build.overwrite(world.guild, allow=1 << 6, deny=1 << 14)
    world.fake.channels[world.channel]["permission_overwrites"] = [before]

    closing = await world.fake.command(world.channel, world.admin, "close")
    await world.fake.interaction_reply(closing)
    await bot.settle()
    closed = world.fake.overwrites(world.channel)[world.guild]
    assert int(closed["deny"]) == (1 << 14) | SEND_DENIED
    assert int(closed["allow"]) == 1 << 6

    reopening = await world.fake.command(world.channel, world.admin, "reopen")
    reply = await world.fake.interaction_reply(reopening)
    await bot.settle()

    assert reply["data"]["flags"] & EPHEMERAL
    restored = world.fake.overwrites(world.channel)[world.guild]
    assert (restored["allow"], restored["deny"]) == (before["allow"], before["deny"])
    assert len(world.fake.sent_to(world.channel)) == 2  # closing and reopening notices


async def test_reopen_removes_the_overwrite_when_there_was_none(world: World, bot: Running) -> None:
    await world.fake.interaction_reply(await world.fake.command(world.channel, world.slt, "close"))
    await bot.settle()
    assert world.guild in world.fake.overwrites(world.channel)

    await world.fake.interaction_reply(await world.fake.command(world.channel, world.slt, "reopen"))
    await bot.settle()

    assert world.fake.overwrites(world.channel) == {}
    assert len(world.fake.calls("DELETE", rf"/channels/{world.channel}/permissions/\d+")) == 1


async def test_anyone_may_read_the_rules(world: World, bot: Running) -> None:
    typed = await world.fake.command(world.channel, world.parent, "rules")
    reply = await world.fake.interaction_reply(typed)

    assert "code of conduct" in reply["data"]["content"].lower()
