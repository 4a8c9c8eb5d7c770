"""Long polling for real: the SDK's Updater against the fake, and resuming after a restart."""

from __future__ import annotations

from collections.abc import Callable

from bot.config import Config
from tests.fakes.telegram_api import FakeTelegramApi

from .builders import ABUSIVE, CHAT, OTHER_PARENT, PARENT, message
from .conftest import Running


async def test_polling_runs_against_the_bot_api(
    fake_telegram: FakeTelegramApi, make_config: Callable[..., Config], running: Running
) -> None:
    async with running(make_config()):
        polls = await fake_telegram.wait_for("getUpdates", 2)
    assert fake_telegram.calls_to("getMe")
    assert fake_telegram.calls_to("deleteWebhook")
    # chat_member and chat_join_request are delivered only when asked for by name.
    allowed = polls[-1].json("allowed_updates")
    assert {"message", "edited_message", "callback_query", "chat_member"} <= set(allowed)


async def test_polling_resumes_after_a_restart_without_repeats_or_gaps(
    fake_telegram: FakeTelegramApi, make_config: Callable[..., Config], running: Running
) -> None:
    config = make_config()
    async with running(config) as (app, _):
        first = fake_telegram.push_update(message(CHAT, PARENT, ABUSIVE))
        await fake_telegram.wait_for("sendMessage", chat_id=PARENT)
        await app.drain()
    # Posted while the bot was down: Telegram keeps it until the bot fetches it.
    fake_telegram.push_update(message(CHAT, OTHER_PARENT, ABUSIVE))
    async with running(config) as (app, _):
        await fake_telegram.wait_for("sendMessage", chat_id=OTHER_PARENT)
        await app.drain()
        incidents = await app.store.incidents()

    # The first update was confirmed before stopping, so it was served once only.
    assert fake_telegram.served.count(first) == 1
    assert sorted(i.user.user_id for i in incidents) == sorted([str(PARENT), str(OTHER_PARENT)])
    assert len(fake_telegram.calls_to("sendMessage", chat_id=PARENT)) == 1
