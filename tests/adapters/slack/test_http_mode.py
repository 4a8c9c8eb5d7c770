"""HTTP mode: Slack's requests reach Bolt's aiohttp endpoint, checked against the signing
secret (HMAC-SHA256 of v0:timestamp:body, within five minutes)."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from typing import Any

import aiohttp
import pytest
from slack_sdk.signature import SignatureVerifier

from bot.config import Config
from tests.adapters.slack.conftest import ABUSIVE, PARENT, message_body
from tests.adapters.slack.helpers import ephemeral_to, running, slack_platform
from tests.fakes.slack_api import FakeSlack

SECRET = "test-signing-secret"  # as in conftest.slack_yaml
STALE = 10 * 60  # seconds: Slack's window is five minutes


def signed(body: str, *, secret: str = SECRET, age: int = 0) -> dict[str, str]:
    timestamp = str(int(time.time()) - age)
    signature = SignatureVerifier(secret).generate_signature(timestamp=timestamp, body=body)
    assert signature is not None
    return {
        "Content-Type": "application/json",
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": signature,
    }


async def post(url: str, body: dict[str, Any], headers: Callable[[str], dict[str, str]]) -> int:
    text = json.dumps(body)
    async with (
        aiohttp.ClientSession() as session,
        session.post(url, data=text, headers=headers(text)) as response,
    ):
        return response.status


async def test_signed_request_is_accepted_and_forged_or_stale_ones_get_401(
    fake_slack: FakeSlack, make_config: Callable[..., Config], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    async with running(make_config(mode="http")) as app:
        url = f"http://127.0.0.1:{slack_platform(app).http_port}/slack/events"
        forged = message_body(ABUSIVE, ts="7.1", event_id="EvForged")
        stale = message_body(ABUSIVE, ts="7.2", event_id="EvStale")
        good = message_body(ABUSIVE, ts="7.3", event_id="EvGood")

        assert await post(url, forged, lambda b: signed(b, secret="not-the-secret")) == 401
        assert await post(url, stale, lambda b: signed(b, age=STALE)) == 401
        assert await post(url, good, signed) == 200
        await app.drain()

        assert [i.message_id for i in await app.store.incidents()] == ["7.3"]
        assert len(ephemeral_to(fake_slack, PARENT)) == 1
        assert fake_slack.connections == 0  # no Socket Mode in http mode
        assert fake_slack.calls_to("apps.connections.open", ok_only=False) == []
    assert "invalid or stale signature" in caplog.text
    assert "yourself" not in caplog.text  # a refused request's text is never logged
