"""The buttons on SLT alerts: who may press them, what they do, and that they outlive a
restart of the bot."""

from __future__ import annotations

from collections.abc import Callable

import discord

from adapters.discord.permissions import INVITE_PERMISSIONS
from bot.config import Config
from bot.platform import Capability
from tests.adapters.discord.conftest import (
    ABUSIVE,
    Running,
    World,
    alert_to,
    custom_ids,
    running,
)

EPHEMERAL = 1 << 6
SEND_DENIED = discord.Permissions(send_messages=True, send_messages_in_threads=True).value
NO_DELETE = INVITE_PERMISSIONS.value & ~discord.Permissions(manage_messages=True).value


async def flag_abuse(world: World, bot: Running) -> dict[str, str]:
    """A parent posts abuse; returns the alert's buttons (label -> custom_id)."""
    await world.fake.say(world.channel, world.parent, ABUSIVE)
    await bot.settle()
    return custom_ids(alert_to(world))


async def test_close_chat_pressed_by_slt_denies_sending_and_posts_the_notice(
    world: World, bot: Running
) -> None:
    buttons = await flag_abuse(world, bot)

    pressed = await world.fake.press(alert_to(world), buttons["Close chat"], world.slt)
    reply = await world.fake.interaction_reply(pressed)
    await bot.settle()

    assert reply["data"]["flags"] & EPHEMERAL
    assert "closing" in reply["data"]["content"].lower()
    (put,) = world.fake.calls("PUT", rf"/channels/{world.channel}/permissions/{world.guild}")
    assert int(put.body["deny"]) & SEND_DENIED == SEND_DENIED
    assert put.body["type"] == 0  # a role overwrite: @everyone
    (notice,) = world.fake.sent_to(world.channel)
    assert "closed" in notice["content"].lower()
    (close,) = await bot.app.store.actions(kind="close")
    assert (close.status, close.state) == ("done", '{"overwrite": null}')


async def test_close_chat_pressed_by_a_parent_is_refused(world: World, bot: Running) -> None:
    buttons = await flag_abuse(world, bot)

    pressed = await world.fake.press(alert_to(world), buttons["Close chat"], world.other_parent)
    reply = await world.fake.interaction_reply(pressed)
    await bot.settle()

    assert reply["data"]["flags"] & EPHEMERAL
    assert world.fake.calls("PUT", r"/channels/\d+/permissions/\d+") == []
    assert world.fake.sent_to(world.channel) == []
    refusals = [a for a in await bot.app.store.audit_log() if a.outcome == "refused"]
    assert [(a.actor_id, a.action) for a in refusals] == [(str(world.other_parent), "button:close")]


async def test_a_button_sent_before_a_restart_still_works_after_it(
    world: World, config: Config
) -> None:
    async with running(config, world.fake) as before:
        buttons = await flag_abuse(world, before)

    async with running(config, world.fake) as after:
        pressed = await world.fake.press(alert_to(world), buttons["Close chat"], world.slt)
        reply = await world.fake.interaction_reply(pressed)
        await after.settle()

        assert "closing" in reply["data"]["content"].lower()
        assert len(world.fake.calls("PUT", rf"/channels/{world.channel}/permissions/\d+")) == 1
        (close,) = await after.app.store.actions(kind="close")
        assert close.status == "done"


async def test_delete_message_removes_it(world: World, bot: Running) -> None:
    buttons = await flag_abuse(world, bot)
    (incident,) = await bot.app.store.incidents()

    pressed = await world.fake.press(alert_to(world), buttons["Delete message"], world.slt)
    await world.fake.interaction_reply(pressed)
    await bot.settle()

    deleted = world.fake.calls("DELETE", rf"/channels/{world.channel}/messages/\d+")
    assert [d.path.rsplit("/", 1)[1] for d in deleted] == [incident.message_id]
    (delete,) = await bot.app.store.actions(kind="delete")
    assert (delete.status, delete.path) == ("done", "deleted")


async def test_delete_of_a_message_already_gone_counts_as_done(world: World, bot: Running) -> None:
    buttons = await flag_abuse(world, bot)
    world.fake.messages[world.channel].clear()  # a moderator deleted it by hand

    pressed = await world.fake.press(alert_to(world), buttons["Delete message"], world.slt)
    await world.fake.interaction_reply(pressed)
    await bot.settle()

    (delete,) = await bot.app.store.actions(kind="delete")
    assert (delete.status, delete.path) == ("done", "gone")


async def test_without_manage_messages_the_alert_offers_no_delete(
    world: World, make_config: Callable[..., Config]
) -> None:
    world.fake.set_role_permissions(world.guild, world.fake.bot_role(world.guild), NO_DELETE)

    async with running(make_config(), world.fake) as bot:
        chat = bot.platform.chats.ref(world.channel)
        assert Capability.DELETE_OTHERS not in bot.platform.capabilities_in(chat)
        buttons = await flag_abuse(world, bot)

        assert set(buttons) == {"Not a breach", "Close chat"}


async def test_slt_hear_when_the_right_to_delete_was_taken_away_after_the_alert(
    world: World, bot: Running
) -> None:
    buttons = await flag_abuse(world, bot)
    bot_role = world.fake.bot_role(world.guild)
    await world.fake.change_role_permissions(world.guild, bot_role, NO_DELETE)

    pressed = await world.fake.press(alert_to(world), buttons["Delete message"], world.slt)
    await world.fake.interaction_reply(pressed)
    await bot.settle()

    assert world.fake.calls("DELETE", r"/channels/\d+/messages/\d+") == []
    (delete,) = await bot.app.store.actions(kind="delete")
    assert delete.status == "failed"
    assert "Manage Messages" in delete.note
    _alert, failure_note = world.fake.dms_to(world.slt)
    assert "delete" in failure_note["content"].lower()


async def test_a_press_on_a_message_that_is_not_ours_is_ignored(world: World, bot: Running) -> None:
    message = await world.fake.say(world.channel, world.parent, "hello")
    await world.fake.press(message, "someone-elses-button", world.slt, in_guild=True)
    await bot.settle()

    assert world.fake.calls("POST", r"/interactions/.*") == []


async def test_the_alert_and_the_reminder_link_to_the_message(world: World, bot: Running) -> None:
    posted = await world.fake.say(world.channel, world.parent, ABUSIVE)
    await bot.settle()

    link = f"https://discord.com/channels/{world.guild}/{world.channel}/{posted['id']}"
    assert f"Link: {link}" in alert_to(world)["content"]
    [reminder] = world.fake.dms_to(world.parent)
    assert f"The message: {link}" in reminder["content"]


async def test_a_long_message_is_quoted_within_discords_limit_even_once_decided(
    world: World, bot: Running
) -> None:
    long = ABUSIVE + " and another thing" * 200
    await world.fake.say(world.channel, world.parent, long)
    await bot.settle()
    alert = alert_to(world)
    assert len(alert["content"]) <= 2000
    assert "\u2026\u201d" in alert["content"]  # the quote was shortened, not the rest

    pressed = await world.fake.press(alert, custom_ids(alert)["Not a breach"], world.slt)
    await world.fake.interaction_reply(pressed)
    await bot.settle()
    [edited] = world.fake.dms_to(world.slt)
    assert "Decided: " in edited["content"]
    assert len(edited["content"]) <= 2000
    assert edited["components"] == []
