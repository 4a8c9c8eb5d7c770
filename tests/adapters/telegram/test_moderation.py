"""Messages from Telegram groups through the real app: reminders by each path, SLT alerts.

The real python-telegram-bot Application long-polls the loopback fake Bot API; updates are
queued at the fake and every request the bot makes is read back from it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest

from bot.config import Config
from bot.model import ButtonAction, decode_button
from tests.fakes.telegram_api import ApiCall, FakeTelegramApi, cannot_initiate

from .builders import (
    ABUSIVE,
    CHAT,
    CLEAN,
    OTHER_PARENT,
    PARENT,
    PLAIN_CHAT,
    SLT,
    STRANGER_CHAT,
    anonymous_message,
    chatless,
    command,
    edited,
    message,
    photo,
    unreadable,
)
from .conftest import Running


def keyboard(call: ApiCall) -> list[tuple[str, str]]:
    """(label, callback_data or url) of each inline button of a sent message."""
    rows = call.json("reply_markup")["inline_keyboard"]
    return [(b["text"], b.get("callback_data") or b.get("url")) for row in rows for b in row]


def ephemeral(call: ApiCall) -> bool:
    return call.get("ephemeral_message_parameters") is not None


async def test_abusive_message_dm_reminder_and_one_alert_with_keyboard(
    fake_telegram: FakeTelegramApi, make_config: Callable[..., Config], running: Running
) -> None:
    async with running(make_config()) as (app, _):
        fake_telegram.push_update(message(CHAT, OTHER_PARENT, CLEAN))
        fake_telegram.push_update(message(CHAT, PARENT, ABUSIVE))
        await fake_telegram.wait_for("sendMessage", chat_id=PARENT)
        await fake_telegram.wait_for("sendMessage", chat_id=SLT)
        await app.drain()
        actions = await app.store.actions()

    [reminder] = fake_telegram.calls_to("sendMessage", chat_id=PARENT)
    assert "Debbie" not in reminder["text"]  # the reminder never repeats the words
    [alert] = fake_telegram.calls_to("sendMessage", chat_id=SLT)
    assert ABUSIVE in alert["text"]  # SLT need the message itself to judge it
    buttons = keyboard(alert)
    assert [label for label, _ in buttons] == ["Not a breach", "Delete message", "Close chat"]
    decoded = [decode_button(data) for _, data in buttons]
    assert [d[0] for d in decoded if d] == [
        ButtonAction.DISMISS,
        ButtonAction.DELETE,
        ButtonAction.CLOSE,
    ]
    assert all(len(data.encode()) <= 64 for _, data in buttons)
    # Nothing reached the clean parent or the group.
    assert not fake_telegram.calls_to("sendMessage", chat_id=OTHER_PARENT)
    assert not fake_telegram.calls_to("sendMessage", chat_id=CHAT)
    assert {a.kind: a.path for a in actions} == {"remind": "dm", "alert": "dm"}


async def test_dm_refused_and_bot_admin_gives_an_ephemeral_reminder_and_the_nudge(
    fake_telegram: FakeTelegramApi, make_config: Callable[..., Config], running: Running
) -> None:
    """Telegram does not promise to show an ephemeral message, nor say whether it did: the
    neutral nudge with its link to the full reminder follows it, as for a bot that is not an
    admin, and the reminder is recorded as both."""
    fake_telegram.fail("sendMessage", cannot_initiate(), times=None, chat_id=PARENT)
    async with running(make_config()) as (app, _):
        fake_telegram.push_update(message(CHAT, PARENT, ABUSIVE))
        await fake_telegram.wait_for("sendMessage", 2, chat_id=CHAT)
        await fake_telegram.wait_for("sendMessage", chat_id=SLT)
        await app.drain()
        [remind] = [a for a in await app.store.actions() if a.kind == "remind"]

    whisper, nudge = fake_telegram.calls_to("sendMessage", chat_id=CHAT)
    assert whisper.json("ephemeral_message_parameters") == {"receiver_user_id": PARENT}
    assert whisper["text"] == fake_telegram.calls_to("sendMessage", chat_id=PARENT)[0]["text"]
    assert not ephemeral(nudge)
    assert "Debbie" not in nudge["text"]
    [(_, link)] = keyboard(nudge)
    assert link == f"https://t.me/schoolgate_test_bot?start={remind.key}"
    assert len(fake_telegram.calls_to("sendMessage", chat_id=SLT)) == 1
    assert remind.path == "ephemeral+nudge"


async def test_a_parent_who_started_the_bot_gets_the_reminder_by_dm_only(
    fake_telegram: FakeTelegramApi, make_config: Callable[..., Config], running: Running
) -> None:
    async with running(make_config()) as (app, _):
        fake_telegram.push_update(message(CHAT, PARENT, ABUSIVE))
        await fake_telegram.wait_for("sendMessage", chat_id=PARENT)
        await fake_telegram.wait_for("sendMessage", chat_id=SLT)
        await app.drain()
        [remind] = [a for a in await app.store.actions() if a.kind == "remind"]

    assert fake_telegram.calls_to("sendMessage", chat_id=CHAT) == []
    assert remind.path == "dm"


async def test_a_server_that_posts_the_ephemeral_reminder_publicly_is_cleaned_up(
    fake_telegram: FakeTelegramApi, make_config: Callable[..., Config], running: Running
) -> None:
    fake_telegram.ephemeral = False
    fake_telegram.fail("sendMessage", cannot_initiate(), times=None, chat_id=PARENT)
    async with running(make_config()) as (app, _):
        fake_telegram.push_update(message(CHAT, PARENT, ABUSIVE))
        posted = await fake_telegram.wait_for("sendMessage", 2, chat_id=CHAT)
        [deleted] = await fake_telegram.wait_for("deleteMessage")
        await app.drain()
        [remind] = [a for a in await app.store.actions() if a.kind == "remind"]

    assert [ephemeral(c) for c in posted] == [True, False]
    # The full reminder that went public is taken down; a neutral nudge follows.
    assert deleted["chat_id"] == str(CHAT)
    assert remind.path == "nudge"


async def test_dm_refused_and_bot_not_admin_gives_a_nudge_with_a_deep_link(
    fake_telegram: FakeTelegramApi, make_config: Callable[..., Config], running: Running
) -> None:
    # The parent has never started the bot: the first DM is refused.
    fake_telegram.fail("sendMessage", cannot_initiate(), times=1, chat_id=PARENT)
    async with running(make_config()) as (app, _):
        update = message(PLAIN_CHAT, PARENT, ABUSIVE)
        fake_telegram.push_update(update)
        [nudge] = await fake_telegram.wait_for("sendMessage", chat_id=PLAIN_CHAT)
        await fake_telegram.wait_for("sendMessage", chat_id=SLT)
        await app.drain()
        [remind] = [a for a in await app.store.actions() if a.kind == "remind"]

        # The parent follows the link: Telegram sends /start <payload> in private.
        [(_, link)] = keyboard(nudge)
        payload = link.removeprefix("https://t.me/schoolgate_test_bot?start=")
        fake_telegram.push_update(command(PARENT, PARENT, f"/start {payload}"))
        opened = await fake_telegram.wait_for("sendMessage", 2, chat_id=PARENT)

    assert not ephemeral(nudge)
    assert "Debbie" not in nudge["text"]
    assert "f*ck" not in nudge["text"]
    assert nudge.json("reply_parameters")["message_id"] == update["message"]["message_id"]
    assert payload == remind.key
    assert remind.path == "nudge"
    # The private chat now shows the full reminder that the DM could not deliver.
    assert opened[-1]["text"] == opened[0]["text"]
    # Without admin rights the alert offers neither deleting nor closing.
    [alert] = fake_telegram.calls_to("sendMessage", chat_id=SLT)
    assert [label for label, _ in keyboard(alert)] == ["Not a breach"]


async def test_an_anonymous_admin_is_nudged_in_the_chat_never_sent_a_dm(
    fake_telegram: FakeTelegramApi, make_config: Callable[..., Config], running: Running
) -> None:
    async with running(make_config()) as (app, _):
        fake_telegram.push_update(anonymous_message(CHAT, ABUSIVE))
        [nudge] = await fake_telegram.wait_for("sendMessage", chat_id=CHAT)
        await app.drain()

    # The sender is the group itself: a "DM" to its id would post the reminder for all to see.
    assert [c["text"] for c in fake_telegram.calls_to("sendMessage", chat_id=CHAT)] == [
        nudge["text"]
    ]
    assert not ephemeral(nudge)
    assert "private note" in nudge["text"]


async def test_an_edit_that_turns_abusive_is_caught(
    fake_telegram: FakeTelegramApi, make_config: Callable[..., Config], running: Running
) -> None:
    async with running(make_config()) as (app, _):
        original = message(CHAT, PARENT, CLEAN)
        fake_telegram.push_update(original)
        message_id = original["message"]["message_id"]
        fake_telegram.push_update(edited(CHAT, PARENT, ABUSIVE, message_id=message_id))
        [alert] = await fake_telegram.wait_for("sendMessage", chat_id=SLT)
        await app.drain()
        [incident] = await app.store.incidents()

    assert ABUSIVE in alert["text"]
    assert len(fake_telegram.calls_to("sendMessage", chat_id=PARENT)) == 1
    assert incident.edited
    assert incident.message_id == str(message_id)


async def test_captions_are_read_and_other_chats_ignored(
    fake_telegram: FakeTelegramApi,
    make_config: Callable[..., Config],
    running: Running,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    async with running(make_config()) as (app, _):
        fake_telegram.push_update(message(STRANGER_CHAT, OTHER_PARENT, ABUSIVE))
        fake_telegram.push_update(photo(CHAT, PARENT, ABUSIVE))
        await fake_telegram.wait_for("sendMessage", chat_id=PARENT)
        await app.drain()
        incidents = await app.store.incidents()

    assert [(i.chat.chat_id, i.user.user_id) for i in incidents] == [(str(CHAT), str(PARENT))]
    assert not fake_telegram.calls_to("sendMessage", chat_id=OTHER_PARENT)
    # The admin learns the id of a group the bot was added to but is not configured for.
    assert f"ignoring chat {STRANGER_CHAT}" in caplog.text


async def test_malformed_updates_are_skipped_and_polling_goes_on(
    fake_telegram: FakeTelegramApi,
    make_config: Callable[..., Config],
    running: Running,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    async with running(make_config()) as (app, _):
        unparsable = fake_telegram.push_update(unreadable(CHAT, OTHER_PARENT, ABUSIVE))
        incomplete = fake_telegram.push_update(chatless(OTHER_PARENT, ABUSIVE))
        fake_telegram.push_update(message(CHAT, PARENT, ABUSIVE))
        await fake_telegram.wait_for("sendMessage", chat_id=PARENT)
        await app.drain()
        incidents = await app.store.incidents()

    assert [i.user.user_id for i in incidents] == [str(PARENT)]
    assert f"skipped malformed update {unparsable}" in caplog.text
    assert f"skipped update {incomplete}" in caplog.text
    # Polling moved past the unreadable update instead of fetching it again and again.
    assert fake_telegram.served.count(unparsable) == 1
    # Message text never reaches the log at INFO or above, malformed or not.
    assert ABUSIVE not in caplog.text
