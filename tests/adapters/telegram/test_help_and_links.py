"""/help and unknown commands on Telegram, links to the flagged message, and an alert's
buttons replaced once its incident is decided (editMessageText)."""

from __future__ import annotations

from collections.abc import Callable

from bot.config import Config
from bot.model import ButtonAction
from tests.fakes.telegram_api import BOT_USERNAME, FakeTelegramApi

from .builders import ABUSIVE, CHAT, PARENT, SLT, command, message, press
from .conftest import Running
from .test_commands import alert_button


async def test_help_lists_what_the_caller_may_use(
    fake_telegram: FakeTelegramApi, make_config: Callable[..., Config], running: Running
) -> None:
    async with running(make_config()) as (app, _):
        fake_telegram.push_update(command(CHAT, PARENT, "/help"))
        [parent] = await fake_telegram.wait_for("sendMessage", chat_id=PARENT)
        fake_telegram.push_update(command(CHAT, SLT, "/help"))
        [slt] = await fake_telegram.wait_for("sendMessage", chat_id=SLT)
        await app.drain()

    assert "/rules" in parent["text"]
    assert "/help" in parent["text"]
    assert "/close" not in parent["text"]
    assert "/status" not in parent["text"]
    assert "/close [reason]" in slt["text"]
    assert "/reopen" in slt["text"]


async def test_an_unknown_command_is_answered_in_private_or_when_addressed_to_the_bot(
    fake_telegram: FakeTelegramApi, make_config: Callable[..., Config], running: Running
) -> None:
    async with running(make_config()) as (app, _):
        # In the group, a bare /dance may be another bot's: not answered.
        fake_telegram.push_update(command(CHAT, PARENT, "/dance"))
        fake_telegram.push_update(command(CHAT, PARENT, f"/dance@{BOT_USERNAME} now"))
        fake_telegram.push_update(command(PARENT, PARENT, "/twirl"))
        answers = await fake_telegram.wait_for("sendMessage", 2, chat_id=PARENT)
        await app.drain()

    assert [a["text"].splitlines()[0] for a in answers] == [
        "Sorry, there is no /dance command.",
        "Sorry, there is no /twirl command.",
    ]
    assert "/rules" in answers[0]["text"]
    assert not fake_telegram.calls_to("sendMessage", chat_id=CHAT)


async def test_the_reminder_and_the_alert_link_to_the_message_in_the_supergroup(
    fake_telegram: FakeTelegramApi, make_config: Callable[..., Config], running: Running
) -> None:
    async with running(make_config()) as (app, _):
        posted = message(CHAT, PARENT, ABUSIVE)
        fake_telegram.push_update(posted)
        [reminder] = await fake_telegram.wait_for("sendMessage", chat_id=PARENT)
        [alert] = await fake_telegram.wait_for("sendMessage", chat_id=SLT)
        await app.drain()

    link = f"https://t.me/c/{str(CHAT).removeprefix('-100')}/{posted['message']['message_id']}"
    assert f"The message: {link}" in reminder["text"]
    assert f"Link: {link}" in alert["text"]


async def test_a_decided_alert_is_edited_to_say_so_and_loses_its_keyboard(
    fake_telegram: FakeTelegramApi, make_config: Callable[..., Config], running: Running
) -> None:
    async with running(make_config()) as (app, _):
        fake_telegram.push_update(message(CHAT, PARENT, ABUSIVE))
        dismiss = await alert_button(fake_telegram, ButtonAction.DISMISS)
        await app.drain()
        fake_telegram.push_update(press(SLT, dismiss))
        [edit] = await fake_telegram.wait_for("editMessageText", chat_id=SLT)
        await app.drain()
        [settle] = await app.store.actions(kind="settle_alert")

    [sent] = [m for m in fake_telegram.sent if m.chat_id == SLT]
    assert int(edit["message_id"]) == sent.message_id
    assert "reply_markup" not in edit.params  # Telegram drops the keyboard
    assert "Decided: " in sent.text
    assert "marked it as not a breach" in sent.text
    assert sent.reply_markup is None
    assert (settle.status, settle.path) == ("done", "edited")
