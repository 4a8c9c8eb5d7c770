"""New members: the welcome with its acknowledge button, and the optional join-request gate."""

from __future__ import annotations

from collections.abc import Callable

from bot.config import Config
from bot.model import ButtonAction, decode_button
from tests.fakes.telegram_api import FakeTelegramApi

from .builders import CHAT, OTHER_PARENT, PARENT, join_request, joined, joined_message, press
from .conftest import Running
from .test_moderation import keyboard


async def test_a_new_member_is_welcomed_once_and_can_acknowledge_the_code(
    fake_telegram: FakeTelegramApi, make_config: Callable[..., Config], running: Running
) -> None:
    async with running(make_config()) as (app, _):
        # Telegram reports one arrival twice: as a chat_member update and a service message.
        fake_telegram.push_update(joined(CHAT, PARENT))
        fake_telegram.push_update(joined_message(CHAT, PARENT))
        [welcome] = await fake_telegram.wait_for("sendMessage", chat_id=CHAT)
        await app.drain()
        [(label, data)] = keyboard(welcome)
        pressed = press(PARENT, data)
        fake_telegram.push_update(pressed)
        [answer] = await fake_telegram.wait_for("answerCallbackQuery")
        acknowledgements = await app.store.acknowledgements()

    assert len(fake_telegram.calls_to("sendMessage", chat_id=CHAT)) == 1
    decoded = decode_button(data)
    assert decoded is not None
    assert decoded[0] is ButtonAction.ACK
    assert "agree" in label.lower()
    assert "Thank you" in answer["text"]
    assert [(a.user_id, a.chat_id) for a in acknowledgements] == [(str(PARENT), str(CHAT))]


async def test_join_gate_approves_only_after_the_code_is_accepted_in_private(
    fake_telegram: FakeTelegramApi, make_config: Callable[..., Config], running: Running
) -> None:
    async with running(make_config(telegram_extra="  join_gate: true\n")) as (app, _):
        fake_telegram.push_update(join_request(CHAT, PARENT))
        [welcome] = await fake_telegram.wait_for("sendMessage", chat_id=PARENT)
        await app.drain()
        assert not fake_telegram.calls_to("approveChatJoinRequest")
        [(_, data)] = keyboard(welcome)
        # Someone else pressing the same button approves nothing.
        fake_telegram.push_update(press(OTHER_PARENT, data))
        fake_telegram.push_update(press(PARENT, data))
        [approval] = await fake_telegram.wait_for("approveChatJoinRequest")
        await fake_telegram.wait_for("answerCallbackQuery", 2)
        # Joining after approval is not welcomed a second time.
        fake_telegram.push_update(joined(CHAT, PARENT))
        fake_telegram.push_update(press(PARENT, "sg:dismiss:unknown-key"))
        await fake_telegram.wait_for("answerCallbackQuery", 3)
        await app.drain()

    assert (approval["chat_id"], approval["user_id"]) == (str(CHAT), str(PARENT))
    assert len(fake_telegram.calls_to("approveChatJoinRequest")) == 1
    assert not fake_telegram.calls_to("sendMessage", chat_id=CHAT)
