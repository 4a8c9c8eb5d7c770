"""Delivery through the Bot API when Telegram pushes back: 429s, 500s, missing rights."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from bot.config import Config
from bot.model import (
    Alert,
    ButtonAction,
    ChatRef,
    PermanentFailure,
    RetryAfter,
    UserRef,
)
from tests.fakes.telegram_api import (
    FakeTelegramApi,
    cannot_initiate,
    server_error,
    too_many_requests,
)

from .builders import ABUSIVE, CHAT, PARENT, SLT, message, press
from .conftest import Running
from .test_commands import alert_button


async def test_a_429_on_the_alert_is_retried_after_retry_after_and_delivered_once(
    fake_telegram: FakeTelegramApi, make_config: Callable[..., Config], running: Running
) -> None:
    fake_telegram.fail("sendMessage", too_many_requests(retry_after=1), times=1, chat_id=SLT)
    async with running(make_config()) as (app, _):
        fake_telegram.push_update(message(CHAT, PARENT, ABUSIVE))
        attempts = await fake_telegram.wait_for("sendMessage", 2, chat_id=SLT)
        await app.drain()
        [alert] = [a for a in await app.store.actions() if a.kind == "alert"]

    # The first attempt met the 429; the second went through; there was no third.
    assert len(attempts) == 2
    assert attempts[0].params == attempts[1].params
    assert (alert.status, alert.attempts, alert.path) == ("done", 2, "dm")


async def test_a_server_error_is_retried(
    fake_telegram: FakeTelegramApi, make_config: Callable[..., Config], running: Running
) -> None:
    fake_telegram.fail("sendMessage", server_error(), times=1, chat_id=PARENT)
    async with running(make_config()) as (app, _):
        fake_telegram.push_update(message(CHAT, PARENT, ABUSIVE))
        attempts = await fake_telegram.wait_for("sendMessage", 2, chat_id=PARENT)
        await app.drain()
        [remind] = [a for a in await app.store.actions() if a.kind == "remind"]

    assert len(attempts) == 2
    assert (remind.status, remind.path) == ("done", "dm")


async def test_slt_delete_press_deletes_the_message(
    fake_telegram: FakeTelegramApi, make_config: Callable[..., Config], running: Running
) -> None:
    async with running(make_config()) as (app, _):
        flagged = message(CHAT, PARENT, ABUSIVE)
        fake_telegram.push_update(flagged)
        fake_telegram.push_update(
            press(SLT, await alert_button(fake_telegram, ButtonAction.DELETE))
        )
        [deleting] = await fake_telegram.wait_for("deleteMessage")
        await app.drain()

    assert deleting["chat_id"] == str(CHAT)
    assert deleting["message_id"] == str(flagged["message"]["message_id"])


async def test_a_message_older_than_48_hours_is_not_deleted_and_slt_hear_why(
    fake_telegram: FakeTelegramApi, make_config: Callable[..., Config], running: Running
) -> None:
    three_days_ago = int(time.time()) - 3 * 24 * 3600
    async with running(make_config()) as (app, _):
        fake_telegram.push_update(message(CHAT, PARENT, ABUSIVE, sent_at=three_days_ago))
        fake_telegram.push_update(
            press(SLT, await alert_button(fake_telegram, ButtonAction.DELETE))
        )
        told = await fake_telegram.wait_for("sendMessage", 2, chat_id=SLT)
        await app.drain()
        [delete] = [a for a in await app.store.actions() if a.kind == "delete"]

    assert not fake_telegram.calls_to("deleteMessage")
    assert delete.status == "failed"
    assert "48 hours" in delete.note
    assert "48 hours" in told[-1]["text"]


async def test_without_the_delete_right_nothing_is_deleted(
    fake_telegram: FakeTelegramApi, make_config: Callable[..., Config], running: Running
) -> None:
    fake_telegram.set_bot_member(CHAT, admin=True, rights={"can_delete_messages": False})
    config = make_config(policy="policy:\n  delete: [abuse]\n  escalation: {alert_after: 1}")
    async with running(config) as (app, _):
        fake_telegram.push_update(message(CHAT, PARENT, ABUSIVE))
        [alert] = await fake_telegram.wait_for("sendMessage", chat_id=SLT)
        await app.drain()
        kinds = [a.kind for a in await app.store.actions()]

    # The core knows the bot cannot delete here, so it neither tries nor offers the button.
    assert "delete" not in kinds
    assert "Delete message" not in alert.params["reply_markup"]
    assert not fake_telegram.calls_to("deleteMessage")


async def test_telegram_refusals_reach_the_outbox_in_its_terms(
    fake_telegram: FakeTelegramApi, make_config: Callable[..., Config], running: Running
) -> None:
    fake_telegram.fail("sendMessage", too_many_requests(retry_after=1), times=1, chat_id=SLT)
    fake_telegram.fail("sendMessage", cannot_initiate(), times=1, chat_id=SLT)
    alert = Alert(
        key="k-a0",
        chat=ChatRef("telegram", str(CHAT)),
        recipient=UserRef("telegram", str(SLT), "Ms Okafor"),
        incident_key="k",
        text="An alert",
        buttons=(),
    )
    async with running(make_config()) as (_, platform):
        with pytest.raises(RetryAfter) as waited:
            await platform.deliver(alert)
        with pytest.raises(PermanentFailure) as refused:
            await platform.deliver(alert)
        delivered = await platform.deliver(alert)

    assert waited.value.seconds == 1
    assert refused.value.reason == (
        "SLT contact Ms Okafor has not started the bot; ask them to open "
        "https://t.me/schoolgate_test_bot?start=slt-riverside once"
    )
    assert delivered.path == "dm"
