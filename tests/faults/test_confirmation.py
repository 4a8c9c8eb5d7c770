"""Asking the platform whether an action already got through, past the easy cases: Discord
after it has forgotten the nonce, Slack when the app may not read the conversation; and an
action that changes a chat, done twice because its first answer was lost, leaves it as once."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import discord

from bot.model import Alert, ChatRef, UserRef
from bot.platform import Redelivers
from tests.fakes.faults import Fault, FaultPlan
from tests.faults.conftest import ABUSIVE, Scene, new_scene, running, settled, until
from tests.faults.worlds import DiscordWorld, SlackWorld, World

SEND_DENIED = discord.Permissions(send_messages=True, send_messages_in_threads=True).value


async def test_discord_reads_the_history_once_the_nonce_is_forgotten(
    scene_on: Callable[[World], Scene],
) -> None:
    scene = await new_scene("discord", scene_on)
    assert isinstance(scene.world, DiscordWorld)
    scene.world.fake.nonce_window = 0.0  # Discord no longer remembers any nonce
    async with running(scene) as app:
        await scene.world.post(scene.chat, scene.parent, ABUSIVE)
        await until(lambda: bool(scene.reminders() and scene.alerts()), "the alert")
        await settled(app)
        [row] = await app.store.actions(kind="alert")
        platform = app.platforms["discord"]
        assert isinstance(platform, Redelivers)
        # An attempt begun minutes ago went unanswered: has the alert arrived?
        long_ago = datetime.now(UTC) - timedelta(minutes=5)
        again = await platform.redeliver(row.action, long_ago)
        assert isinstance(row.action, Alert)
        never_sent = dataclasses.replace(row.action, key="other-a0", text="Another alert")
        first_time = await platform.redeliver(never_sent, long_ago)

    assert again.note.startswith("found")
    assert first_time.note == ""
    assert [a.text for a in scene.alerts()] == [row.action.text, "Another alert"]


async def test_slack_sends_when_it_may_not_read_the_conversation(
    scene_on: Callable[[World], Scene],
) -> None:
    scene = await new_scene("slack", scene_on)
    assert isinstance(scene.world, SlackWorld)
    alert = Alert(
        key="k1-a0",
        chat=ChatRef("slack", scene.chat),
        recipient=UserRef("slack", scene.slt),
        incident_key="k1",
        text="Possible breach of the code of conduct",
        buttons=(),
    )
    async with running(scene) as app:
        platform = app.platforms["slack"]
        assert isinstance(platform, Redelivers)
        # An app installed before it asked for im:history cannot check: better twice than never.
        scene.world.fake.fail("conversations.history", error="missing_scope")
        delivered = await platform.redeliver(alert, datetime.now(UTC))

    [check] = scene.world.fake.calls_to("conversations.history", ok_only=False)
    assert check.answer["error"] == "missing_scope"
    assert delivered.path == "dm"
    assert [a.text for a in scene.alerts()] == [alert.text]


async def test_discord_a_close_whose_answer_was_lost_still_reopens_the_chat_as_it_was(
    scene_on: Callable[[World], Scene],
) -> None:
    plan = FaultPlan()
    plan.force("PUT /channels/{channel}/permissions/{target}", Fault("timeout", acted=True))
    scene = await new_scene("discord", scene_on, plan)
    assert isinstance(scene.world, DiscordWorld)
    fake, channel = scene.world.fake, int(scene.chat)
    everyone = fake.guild_of(channel)
    # The school had tuned @everyone here: reopening must give back exactly this.
    fake.channels[channel]["permission_overwrites"] = [
        {"id": str(everyone), "type": 0, "allow": str(1 << 6), "deny": str(1 << 14)}
    ]
    before = fake.overwrites(channel)
    async with running(scene) as app:
        await fake.command(channel, int(scene.slt), "close", reason="calm down")
        await until(lambda: plan.total() == 1, "the close meeting the fault")
        await settled(app)
        closed = fake.overwrites(channel)[everyone]
        await fake.command(channel, int(scene.slt), "reopen")
        await until(lambda: fake.overwrites(channel) == before, "the chat reopened")
        await settled(app)
        [close] = await app.store.actions(kind="close")

    assert int(closed["deny"]) & SEND_DENIED == SEND_DENIED
    assert (close.status, close.path) == ("done", "already_closed")
    assert fake.overwrites(channel) == before
