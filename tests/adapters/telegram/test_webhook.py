"""Webhook mode: Telegram POSTs updates; only requests with the secret token are accepted."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable

import aiohttp

from bot.config import Config
from tests.fakes.telegram_api import FakeTelegramApi

from .builders import ABUSIVE, CHAT, PARENT, message
from .conftest import Running

SECRET = "s3cret-token_value"
WEBHOOK = f"""  mode: webhook
  webhook:
    listen: 127.0.0.1
    port: 0
    path: /telegram
    url: https://bot.example.org/telegram
    secret_token: {SECRET}
"""

_update_ids = itertools.count(500)


async def post(port: int | None, update: dict[str, object], token: str | None) -> int:
    update = {"update_id": next(_update_ids), **update}
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers["X-Telegram-Bot-Api-Secret-Token"] = token
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"http://127.0.0.1:{port}/telegram", data=json.dumps(update), headers=headers
        ) as response,
    ):
        return response.status


async def test_webhook_rejects_missing_or_wrong_secret_and_accepts_the_right_one(
    fake_telegram: FakeTelegramApi, make_config: Callable[..., Config], running: Running
) -> None:
    async with running(make_config(telegram_extra=WEBHOOK)) as (app, platform):
        [registered] = fake_telegram.calls_to("setWebhook")
        port = platform.webhook_port
        refused = [
            await post(port, message(CHAT, PARENT, ABUSIVE), None),
            await post(port, message(CHAT, PARENT, ABUSIVE), "not-the-secret"),
        ]
        accepted = await post(port, message(CHAT, PARENT, ABUSIVE), SECRET)
        await fake_telegram.wait_for("sendMessage", chat_id=PARENT)
        await app.drain()
        incidents = await app.store.incidents()

    assert refused == [403, 403]
    assert accepted == 200
    # Only the accepted request was handled.
    assert len(incidents) == 1
    assert len(fake_telegram.calls_to("sendMessage", chat_id=PARENT)) == 1
    assert registered["url"] == "https://bot.example.org/telegram"
    assert registered["secret_token"] == SECRET
    assert not fake_telegram.calls_to("getUpdates")
