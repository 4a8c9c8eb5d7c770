"""Slash commands as Discord app commands: registered per server, authorised by the core,
answered privately."""

from __future__ import annotations

from typing import Any

import discord

from adapters.discord.permissions import INVITE_PERMISSIONS
from tests.adapters.discord.conftest import Running, World
from tests.payloads.discord import build

EPHEMERAL = 1 << 6
SEND_DENIED = discord.Permissions(send_messages=True, send_messages_in_threads=True).value


async def ask(world: World, user: int, name: str, **options: str) -> dict[str, Any]:
    """A member types a command in the class chat; returns the bot's answer."""
    typed = await world.fake.command(world.channel, user, name, **options)
    return await world.fake.interaction_reply(typed)


async def test_the_commands_are_registered_in_the_server_at_start(
    world: World, bot: Running
) -> None:
    (sync,) = world.fake.calls("PUT", rf"/applications/\d+/guilds/{world.guild}/commands")
    assert {c["name"] for c in sync.body} == {
        "close",
        "reopen",
        "status",
        "rules",
        "privacy",
        "help",
        "incidents",
        "incident",
    }
    # Discord's permission hint would hide the commands from SLT who are plain members.
    assert all(c.get("default_member_permissions") is None for c in sync.body)
    (close,) = [c for c in sync.body if c["name"] == "close"]
    assert [(o["name"], o.get("required", False)) for o in close["options"]] == [("reason", False)]
    options = {
        c["name"]: [(o["name"], o["type"], o.get("required", False)) for o in c["options"]]
        for c in sync.body
    }
    assert options["reopen"] == [("reason", 3, False)]
    assert options["incidents"] == [("days", 4, False)]  # an integer
    assert options["incident"] == [("number", 4, True)]


async def test_close_by_a_parent_is_refused_privately(world: World, bot: Running) -> None:
    reply = await ask(world, world.parent, "close", reason="enough")
    await bot.settle()

    assert reply["type"] == 4
    assert reply["data"]["flags"] & EPHEMERAL
    assert world.fake.calls("PUT", r"/channels/\d+/permissions/\d+") == []
    assert world.fake.sent_to(world.channel) == []


async def test_close_by_a_holder_of_an_admin_role_closes_with_the_reason(
    world: World, bot: Running
) -> None:
    reply = await ask(world, world.teacher, "close", reason="half term")
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

    await ask(world, world.admin, "close")
    await bot.settle()
    closed = world.fake.overwrites(world.channel)[world.guild]
    assert int(closed["deny"]) == (1 << 14) | SEND_DENIED
    assert int(closed["allow"]) == 1 << 6

    reply = await ask(world, world.admin, "reopen")
    await bot.settle()

    assert reply["data"]["flags"] & EPHEMERAL
    restored = world.fake.overwrites(world.channel)[world.guild]
    assert (restored["allow"], restored["deny"]) == (before["allow"], before["deny"])
    assert len(world.fake.sent_to(world.channel)) == 2  # closing and reopening notices


async def test_reopen_removes_the_overwrite_when_there_was_none(world: World, bot: Running) -> None:
    await ask(world, world.slt, "close")
    await bot.settle()
    assert world.guild in world.fake.overwrites(world.channel)

    await ask(world, world.slt, "reopen")
    await bot.settle()

    assert world.fake.overwrites(world.channel) == {}
    assert len(world.fake.calls("DELETE", rf"/channels/{world.channel}/permissions/\d+")) == 1


async def test_anyone_may_read_the_rules(world: World, bot: Running) -> None:
    reply = await ask(world, world.parent, "rules")

    assert "code of conduct" in reply["data"]["content"].lower()


async def test_when_discord_refuses_the_close_slt_are_told(world: World, bot: Running) -> None:
    # The cached permissions say yes; Discord, which has the last word, says no.
    world.fake.fail(
        "PUT", r"/channels/\d+/permissions/\d+", 403, build.api_error(50013, "Missing Permissions")
    )

    await ask(world, world.admin, "close")
    await bot.settle()

    (close,) = await bot.app.store.actions(kind="close")
    assert close.status == "failed"
    assert "Missing Permissions (code 50013)" in close.note
    (failure_note,) = world.fake.dms_to(world.slt)
    assert "close" in failure_note["content"].lower()


async def test_without_manage_roles_the_close_fails_with_a_plain_reason(
    world: World, bot: Running
) -> None:
    everything_but = INVITE_PERMISSIONS.value & ~discord.Permissions(manage_roles=True).value
    bot_role = world.fake.bot_role(world.guild)
    await world.fake.change_role_permissions(world.guild, bot_role, everything_but)

    await ask(world, world.admin, "close")
    await bot.settle()

    assert world.fake.calls("PUT", r"/channels/\d+/permissions/\d+") == []
    (close,) = await bot.app.store.actions(kind="close")
    assert close.status == "failed"
    assert "lacks the Manage Permissions" in close.note
