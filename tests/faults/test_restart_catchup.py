"""Messages posted while the bot is down are moderated once it is back, on each platform as
the platform allows: Telegram keeps them in the getUpdates queue, Discord in the channel's
history (a new session does not replay them), Slack in the history (its Events API retries
found no connection)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from bot.app import App
from bot.model import ChatRef
from tests.faults.conftest import (
    ABUSIVE,
    CLEAN,
    Scene,
    new_scene,
    running,
    settled,
    until,
    until_async,
)
from tests.faults.worlds import PLATFORMS, World


async def seen(app: App, scene: Scene) -> bool:
    state = await app.store.chat_state(ChatRef(scene.world.name, scene.chat))
    return state.last_seen_id is not None


@pytest.mark.parametrize("platform", PLATFORMS)
async def test_messages_posted_while_the_bot_was_down_are_moderated_when_it_is_back(
    platform: str, scene_on: Callable[[World], Scene]
) -> None:
    scene = await new_scene(platform, scene_on)
    async with running(scene) as app:
        await until(scene.world.connected, "the bot connected")
        await scene.world.post(scene.chat, scene.parent, CLEAN)
        await until_async(lambda: seen(app, scene), "the first message handled")

    posted = [
        await scene.world.post(scene.chat, scene.parent, ABUSIVE),
        await scene.world.post(scene.chat, scene.parent, CLEAN),
    ]
    async with running(scene) as app:
        await until(lambda: bool(scene.reminders() and scene.alerts()), "the reminder and alert")
        await settled(app)
        incidents = await app.store.incidents()
        last = (await app.store.chat_state(ChatRef(platform, scene.chat))).last_seen_id

    assert [(i.message_id, i.text) for i in incidents] == [(posted[0], ABUSIVE)]
    assert (len(scene.reminders()), len(scene.alerts())) == (1, 1)
    assert last == posted[1]  # everything up to the newest message was handled
