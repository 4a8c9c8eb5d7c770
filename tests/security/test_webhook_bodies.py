"""Webhook bodies that pass the secret or signature check but cannot be read (JSON nested past
any sensible depth, bytes that are not UTF-8) are answered 400 with one log line, so the
platform does not send them again and no traceback reaches the log; the next update works."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from pathlib import Path

import aiohttp
import pytest

from adapters.telegram import TelegramPlatform
from adapters.telegram.webhook import SECRET_HEADER
from bot.app import App
from bot.config import parse_config
from tests.adapters.slack.conftest import ABUSIVE as SLACK_ABUSIVE
from tests.adapters.slack.conftest import message_body, slack_yaml
from tests.adapters.slack.helpers import running, slack_platform
from tests.adapters.slack.test_http_mode import SECRET as SLACK_SECRET
from tests.adapters.telegram.builders import ABUSIVE, CHAT, PARENT, SLT, message
from tests.adapters.telegram.test_webhook import SECRET, WEBHOOK, post
from tests.fakes.slack_api import FakeSlack
from tests.fakes.telegram_api import FakeTelegramApi

from .worlds.slack_world import USER_TOKEN
from .worlds.slack_world import config_yaml as slack_config
from .worlds.telegram_world import config_yaml as telegram_config

DEPTH = 100_000
UNREADABLE = {
    "nested": ("[" * DEPTH + "]" * DEPTH).encode(),
    "nested-object": (
        '{"update_id": 1, "message": ' + '{"a": ' * DEPTH + "1" + "}" * DEPTH + "}"
    ).encode(),
    "not-utf8": b'{"update_id": 7, "message": {"text": "\xff\xfe caf\xe9"}}',
}


async def post_bytes(url: str, body: bytes, headers: dict[str, str]) -> int:
    async with (
        aiohttp.ClientSession() as session,
        session.post(url, data=body, headers=headers) as response,
    ):
        return response.status


def no_traceback(caplog: pytest.LogCaptureFixture) -> None:
    assert [r.getMessage() for r in caplog.records if r.exc_info] == []
    assert "Traceback" not in caplog.text


@pytest.mark.parametrize("body", UNREADABLE.values(), ids=UNREADABLE.keys())
async def test_telegram_webhook_answers_400_to_an_unreadable_body(
    fake_telegram: FakeTelegramApi, tmp_path: Path, caplog: pytest.LogCaptureFixture, body: bytes
) -> None:
    config = parse_config(telegram_config(fake_telegram, tmp_path / "db", extra=WEBHOOK), "test")
    platform = TelegramPlatform(config)
    caplog.set_level(logging.INFO)
    async with App(config, [platform]):
        headers = {"Content-Type": "application/json", SECRET_HEADER: SECRET}
        url = f"http://127.0.0.1:{platform.webhook_port}/telegram"
        assert await post_bytes(url, body, headers) == 400
        no_traceback(caplog)
        assert await post(platform.webhook_port, message(CHAT, PARENT, ABUSIVE), SECRET) == 200
        await fake_telegram.wait_for("sendMessage", chat_id=SLT)


def signed(body: bytes) -> dict[str, str]:
    """Slack's signature over raw bytes (slack_sdk's own signer needs text)."""
    timestamp = str(int(time.time()))
    base = b"v0:" + timestamp.encode() + b":" + body
    signature = "v0=" + hmac.new(SLACK_SECRET.encode(), base, hashlib.sha256).hexdigest()
    return {
        "Content-Type": "application/json",
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": signature,
    }


@pytest.mark.parametrize("body", UNREADABLE.values(), ids=UNREADABLE.keys())
async def test_slack_http_endpoint_answers_400_to_an_unreadable_body(
    fake_slack: FakeSlack, tmp_path: Path, caplog: pytest.LogCaptureFixture, body: bytes
) -> None:
    http = slack_yaml(fake_slack, extra=USER_TOKEN, mode="http")
    config = parse_config(slack_config(fake_slack, tmp_path / "db.sqlite3", slack=http), "test")
    caplog.set_level(logging.INFO)
    async with running(config) as app:
        url = f"http://127.0.0.1:{slack_platform(app).http_port}/slack/events"
        assert await post_bytes(url, body, signed(body)) == 400
        no_traceback(caplog)
        good = json.dumps(message_body(SLACK_ABUSIVE, ts="9.1", event_id="EvGood")).encode()
        assert await post_bytes(url, good, signed(good)) == 200
        await app.drain()
        assert len(await app.store.incidents()) == 1
