"""New members: the welcome with its acknowledge button, and the optional join-request gate."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from adapters.telegram import TelegramPlatform
from bot.app import App
from bot.clock import ManualClock
from bot.config import Config
from bot.model import ButtonAction, decode_button
from tests.fakes.telegram_api import FakeTelegramApi, cannot_initiate, server_error

from .builders import CHAT, OTHER_PARENT, PARENT, join_request, joined, joined_message, press
from .conftest import Running
from .test_moderation import keyboard

GATE = "  join_gate: true\n"


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
    async with running(make_config(telegram_extra=GATE)) as (app, _):
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


async def test_join_gate_approves_an_acceptance_made_after_a_restart(
    fake_telegram: FakeTelegramApi,
    make_config: Callable[..., Config],
    running: Running,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    config = make_config(telegram_extra=GATE)
    async with running(config) as (app, _):
        fake_telegram.push_update(join_request(CHAT, PARENT))
        [welcome] = await fake_telegram.wait_for("sendMessage", chat_id=PARENT)
        await app.drain()
    [(_, data)] = keyboard(welcome)

    # A new process on the same database: nothing of the request is left in memory.
    async with running(config) as (app, _):
        fake_telegram.push_update(press(PARENT, data))
        [approval] = await fake_telegram.wait_for("approveChatJoinRequest")
        [answer] = await fake_telegram.wait_for("answerCallbackQuery")
        # Pressed again once in: Telegram answers that no request waits.
        fake_telegram.push_update(press(PARENT, data))
        await fake_telegram.wait_for("answerCallbackQuery", 2)
        acknowledgements = await app.store.acknowledgements()

    assert (approval["chat_id"], approval["user_id"]) == (str(CHAT), str(PARENT))
    assert fake_telegram.join_requests == set()
    assert len(fake_telegram.calls_to("approveChatJoinRequest")) == 2
    assert "Thank you" in answer["text"]
    assert {(a.user_id, a.chat_id) for a in acknowledgements} == {(str(PARENT), str(CHAT))}
    [refused] = [r for r in caplog.records if "not approved" in r.getMessage()]
    assert refused.exc_info is None
    assert "\n" not in refused.getMessage()
    assert "hide_requester_missing" in refused.getMessage().lower()


async def test_a_welcome_still_pending_at_a_restart_goes_to_the_person_in_private(
    fake_telegram: FakeTelegramApi, make_config: Callable[..., Config], running: Running
) -> None:
    config = make_config(telegram_extra=GATE)
    fake_telegram.fail("sendMessage", server_error(), chat_id=PARENT)
    async with running(config) as (app, _):
        fake_telegram.push_update(join_request(CHAT, PARENT))
        await fake_telegram.wait_for("sendMessage", chat_id=PARENT)

    # Restarted once the welcome's retry is due.
    later = ManualClock(datetime.now(UTC) + timedelta(minutes=2))
    async with App(config, [TelegramPlatform(config, clock=later)], clock=later) as app:
        [_, welcome] = await fake_telegram.wait_for("sendMessage", 2, chat_id=PARENT)
        await app.drain()
        [row] = await app.store.actions(kind="welcome")
        [(_, data)] = keyboard(welcome)
        fake_telegram.push_update(press(PARENT, data))
        [approval] = await fake_telegram.wait_for("approveChatJoinRequest")

    assert (row.status, row.path) == ("done", "dm")
    assert (approval["chat_id"], approval["user_id"]) == (str(CHAT), str(PARENT))
    assert not fake_telegram.calls_to("sendMessage", chat_id=CHAT)


async def test_a_person_the_bot_may_no_longer_write_to_is_not_welcomed_in_the_group(
    fake_telegram: FakeTelegramApi, make_config: Callable[..., Config], running: Running
) -> None:
    # Telegram lets a bot write to someone asking to join for 5 minutes only.
    fake_telegram.fail("sendMessage", cannot_initiate(), chat_id=PARENT)
    async with running(make_config(telegram_extra=GATE)) as (app, _):
        fake_telegram.push_update(join_request(CHAT, PARENT))
        await fake_telegram.wait_for("sendMessage", chat_id=PARENT)
        await app.drain()
        [row] = await app.store.actions(kind="welcome")

    assert row.status == "failed"
    assert "approve their request by hand" in row.note
    assert not fake_telegram.calls_to("sendMessage", chat_id=CHAT)
    assert fake_telegram.join_requests == {(CHAT, PARENT)}


async def test_with_the_gate_on_a_member_who_joined_is_welcomed_in_the_group(
    fake_telegram: FakeTelegramApi, make_config: Callable[..., Config], running: Running
) -> None:
    fake_telegram.add_member(CHAT, PARENT)
    async with running(make_config(telegram_extra=GATE)) as (app, _):
        fake_telegram.push_update(joined(CHAT, PARENT))
        [welcome] = await fake_telegram.wait_for("sendMessage", chat_id=CHAT)
        await app.drain()
        [(_, data)] = keyboard(welcome)
        fake_telegram.push_update(press(PARENT, data, in_chat=CHAT))
        [answer] = await fake_telegram.wait_for("answerCallbackQuery")
        [row] = await app.store.actions(kind="welcome")

    assert row.path == "chat"
    assert "Thank you" in answer["text"]
    assert not fake_telegram.calls_to("sendMessage", chat_id=PARENT)
    assert not fake_telegram.calls_to("approveChatJoinRequest")  # in the group already


async def test_an_approval_telegram_did_not_take_can_be_pressed_for_again(
    fake_telegram: FakeTelegramApi, make_config: Callable[..., Config], running: Running
) -> None:
    fake_telegram.fail("approveChatJoinRequest", server_error())
    async with running(make_config(telegram_extra=GATE)) as (app, _):
        fake_telegram.push_update(join_request(CHAT, PARENT))
        [welcome] = await fake_telegram.wait_for("sendMessage", chat_id=PARENT)
        await app.drain()
        [(_, data)] = keyboard(welcome)
        fake_telegram.push_update(press(PARENT, data))
        [first] = await fake_telegram.wait_for("answerCallbackQuery")
        fake_telegram.push_update(press(PARENT, data))
        [_, second] = await fake_telegram.wait_for("answerCallbackQuery", 2)

    assert "press the button again" in first["text"]
    assert "press the button again" not in second["text"]
    assert len(fake_telegram.calls_to("approveChatJoinRequest")) == 2
    assert fake_telegram.join_requests == set()
