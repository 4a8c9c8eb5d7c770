"""Telegram webhook mode: an update without exactly the secret token given to setWebhook is
refused before anything reads it, whether it carries a message or a press on an alert."""

from __future__ import annotations

import json
from pathlib import Path

import aiohttp
import pytest

from adapters.telegram import TelegramPlatform
from adapters.telegram.webhook import SECRET_HEADER
from bot.app import App
from bot.config import parse_config
from bot.model import ButtonAction
from tests.adapters.telegram.builders import ABUSIVE, CHAT, PARENT, SLT, message, press
from tests.adapters.telegram.test_moderation import keyboard
from tests.adapters.telegram.test_webhook import SECRET, WEBHOOK, post
from tests.fakes.telegram_api import FakeTelegramApi

from .worlds.base import buttons_of
from .worlds.telegram_world import config_yaml

WRONG_TOKENS = (
    None,  # no header at all
    "",
    "not-the-secret",
    SECRET.upper(),
    SECRET[:-1],
    SECRET + "x",
    SECRET.replace("_", "-"),
)


async def post_elsewhere(port: int | None, update: dict[str, object]) -> int:
    """The secret in the query string and in another header, not where Telegram puts it."""
    url = f"http://127.0.0.1:{port}/telegram?secret_token={SECRET}&{SECRET_HEADER}={SECRET}"
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {SECRET}"}
    body = json.dumps({"update_id": 9_999, **update})
    async with (
        aiohttp.ClientSession() as session,
        session.post(url, data=body, headers=headers) as response,
    ):
        return response.status


async def test_updates_without_the_right_secret_token_are_refused_and_do_nothing(
    fake_telegram: FakeTelegramApi, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    config = parse_config(config_yaml(fake_telegram, tmp_path / "db", extra=WEBHOOK), "test")
    platform = TelegramPlatform(config)
    async with App(config, [platform]) as app:
        port = platform.webhook_port
        assert await post(port, message(CHAT, PARENT, ABUSIVE), SECRET) == 200
        [alert] = await fake_telegram.wait_for("sendMessage", chat_id=SLT)
        await app.drain()
        close = buttons_of([data for _, data in keyboard(alert)])[ButtonAction.CLOSE]
        closing = press(SLT, close)
        forged_text = "forged words that no one must read"

        statuses = []
        for token in WRONG_TOKENS:
            statuses.append(await post(port, closing, token))
            statuses.append(await post(port, message(CHAT, PARENT, forged_text), token))
        # The secret anywhere but in its header does not count either.
        statuses.append(await post_elsewhere(port, closing))
        await app.drain()

        assert statuses == [403] * len(statuses)
        assert fake_telegram.calls_to("setChatPermissions") == []
        assert fake_telegram.calls_to("answerCallbackQuery") == []
        assert len(await app.store.incidents()) == 1
        assert len(fake_telegram.calls_to("sendMessage", chat_id=PARENT)) == 1
        assert forged_text not in caplog.text

        # The same press with the secret token closes the chat: the refusals were the token's.
        assert await post(port, closing, SECRET) == 200
        await fake_telegram.wait_for("setChatPermissions")
        await app.drain()
    [answer] = fake_telegram.calls_to("answerCallbackQuery")
    assert "Closing" in (answer.get("text") or "")
    assert (
        json.loads(fake_telegram.calls_to("setChatPermissions")[0]["permissions"])[
            "can_send_messages"
        ]
        is False
    )
