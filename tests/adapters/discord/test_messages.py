"""Messages and edits in the class chat, through the real discord.py client."""

from __future__ import annotations

import logging

import pytest

from tests.adapters.discord.conftest import ABUSIVE, CLEAN, Running, World, alert_to, custom_ids


async def test_abusive_message_gets_a_dm_reminder_and_an_slt_alert_with_buttons(
    world: World, bot: Running
) -> None:
    await world.fake.say(world.channel, world.parent, ABUSIVE)
    await bot.settle()

    (reminder,) = world.fake.dms_to(world.parent)
    assert "code of conduct" in reminder["content"].lower()
    assert ABUSIVE not in reminder["content"]
    alert = alert_to(world)
    assert set(custom_ids(alert)) == {"Not a breach", "Delete message", "Close chat"}
    assert all(cid.startswith("sg:") for cid in custom_ids(alert).values())
    assert world.fake.sent_to(world.channel) == []  # nothing said in the chat
    (remind,) = await bot.app.store.actions(kind="remind")
    assert (remind.status, remind.path) == ("done", "dm")


async def test_clean_message_and_unlisted_channels_are_left_alone(
    world: World, bot: Running
) -> None:
    await world.fake.say(world.channel, world.parent, CLEAN)
    await world.fake.say(world.other_channel, world.parent, ABUSIVE)
    await bot.settle()

    assert world.fake.calls("POST", r"/channels/\d+/messages") == []
    assert await bot.app.store.incidents() == []


async def test_blocked_dms_fall_back_to_a_nudge_and_the_user_is_remembered(
    world: World, bot: Running
) -> None:
    world.fake.dm_blocked.add(world.parent)

    await world.fake.say(world.channel, world.parent, ABUSIVE)
    await bot.settle()

    dm = world.fake.dm_channel_of(world.parent)
    assert len(world.fake.calls("POST", rf"/channels/{dm}/messages")) == 1  # the refused DM
    (nudge,) = world.fake.sent_to(world.channel)
    assert nudge["content"].startswith(f"<@{world.parent}>")
    assert ABUSIVE not in nudge["content"]
    (remind,) = await bot.app.store.actions(kind="remind")
    assert (remind.status, remind.path) == ("done", "nudge")

    await world.fake.say(world.channel, world.parent, "you are a f*cking idiot Debbie")
    await bot.settle()

    assert len(world.fake.calls("POST", rf"/channels/{dm}/messages")) == 1  # not tried again
    assert len(world.fake.sent_to(world.channel)) == 2
    paths = [a.path for a in await bot.app.store.actions(kind="remind")]
    assert paths == ["nudge", "nudge"]


async def test_an_edit_that_turns_abusive_is_caught(world: World, bot: Running) -> None:
    original = await world.fake.say(world.channel, world.parent, CLEAN)
    await bot.settle()
    assert await bot.app.store.incidents() == []

    await world.fake.edit(original, ABUSIVE)
    await bot.settle()

    (incident,) = await bot.app.store.incidents()
    assert incident.message_id == original["id"]
    assert len(world.fake.dms_to(world.parent)) == 1


async def test_bots_messages_are_not_moderated(world: World, bot: Running) -> None:
    await world.fake.say(world.channel, int(world.fake.bot["id"]), ABUSIVE)
    await bot.settle()

    assert await bot.app.store.incidents() == []


async def test_a_malformed_event_is_logged_and_skipped(
    world: World, bot: Running, caplog: pytest.LogCaptureFixture
) -> None:
    broken = dict(world.fake.post(world.channel, world.parent, ABUSIVE))
    del broken["author"]
    await world.fake.dispatch("MESSAGE_CREATE", broken)
    await world.fake.say(world.channel, world.parent, ABUSIVE)
    await bot.settle()

    assert "skipped a malformed MESSAGE_CREATE event" in caplog.text
    assert len(await bot.app.store.incidents()) == 1  # the well-formed one, on the same socket


async def test_empty_text_says_the_message_content_intent_is_off(
    world: World, bot: Running, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="adapters.discord"):
        await world.fake.say(world.channel, world.parent, "")
        await world.fake.say(world.channel, world.other_parent, "")
        await bot.settle()

    warnings = [r for r in caplog.records if "Message Content intent" in r.getMessage()]
    assert len(warnings) == 1
