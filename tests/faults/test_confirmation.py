"""Asking the platform whether an action already got through, past the easy cases: Discord
after it has forgotten the nonce, Slack when the app may not read the conversation."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from bot.model import Alert, ChatRef, UserRef
from bot.platform import Redelivers
from tests.faults.conftest import ABUSIVE, Scene, new_scene, running, settled, until
from tests.faults.worlds import DiscordWorld, SlackWorld, World


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
