"""Slack in HTTP mode: only requests signed with the signing secret, within Slack's five
minutes, and never the same signed request twice, reach the core."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from slack_bolt.async_app import AsyncBoltRequest
from slack_bolt.response import BoltResponse

from adapters.slack.serving import REPLAY_WINDOW, RefuseReplays
from bot.app import App
from bot.config import parse_config
from bot.model import ChatRef
from tests.adapters.slack.conftest import (
    ABUSIVE,
    CHANNEL,
    PARENT,
    SLT,
    button_body,
    command_body,
    message_body,
    slack_yaml,
)
from tests.adapters.slack.helpers import alert_buttons, ephemeral_to, running, slack_platform
from tests.adapters.slack.test_http_mode import STALE
from tests.fakes.slack_api import FakeSlack

from .slack_requests import Signed, event, form, interactive, send
from .worlds.slack_world import USER_TOKEN, config_yaml


@dataclass
class Endpoint:
    app: App
    fake: FakeSlack
    url: str

    async def send(self, request: Signed) -> int:
        return await send(self.url, request)

    async def answered(self, count: int) -> None:
        """Wait for the core's answers to commands and presses (through response URLs)."""
        await self.fake.wait_for(lambda: len(self.fake.responses) >= count, f"{count} answers")
        await self.app.drain()


@pytest.fixture
async def endpoint(fake_slack: FakeSlack, tmp_path: Path) -> AsyncIterator[Endpoint]:
    http = slack_yaml(fake_slack, extra=USER_TOKEN, mode="http")
    config = parse_config(config_yaml(fake_slack, tmp_path / "db.sqlite3", slack=http), "test")
    async with running(config) as app:
        port = slack_platform(app).http_port
        yield Endpoint(app, fake_slack, f"http://127.0.0.1:{port}/slack/events")


def archives(fake: FakeSlack) -> list[str]:
    return [c.params["channel"] for c in fake.calls_to("conversations.archive")]


async def test_forged_unsigned_tampered_and_stale_requests_are_refused(endpoint: Endpoint) -> None:
    fake = endpoint.fake
    abuse = message_body(ABUSIVE, ts="8.1", event_id="EvAbuse")
    close = {k: str(v) for k, v in command_body(fake, "close", user=SLT).items()}
    good = event(abuse)
    refused = [
        event(abuse, secret="not-the-secret"),
        event(abuse, age=STALE),
        event(abuse, age=-STALE),  # from the future
        Signed(good.body, {"Content-Type": "application/json"}),  # no signature at all
        Signed(good.body.replace("8.1", "8.2"), good.headers),  # signed, then changed
        form(close, secret="not-the-secret"),
        form(close, age=STALE),
        Signed(urlencode({**close, "user_id": PARENT}), form(close).headers),
    ]

    statuses = [await endpoint.send(request) for request in refused]
    await endpoint.app.drain()

    assert statuses == [401] * len(refused)
    assert await endpoint.app.store.incidents() == []
    assert fake.responses == []
    assert archives(fake) == []
    assert ephemeral_to(fake, PARENT) == []
    # The same requests, signed properly, are accepted: the refusals were the signatures'.
    assert await endpoint.send(good) == 200
    assert await endpoint.send(form(close)) == 200
    await endpoint.answered(1)
    assert [i.message_id for i in await endpoint.app.store.incidents()] == ["8.1"]
    assert archives(fake) == [CHANNEL]


async def test_a_replayed_event_is_refused_and_handled_once(endpoint: Endpoint) -> None:
    fake = endpoint.fake
    request = event(message_body(ABUSIVE, ts="9.1", event_id="EvOnce"))

    first = await endpoint.send(request)
    await endpoint.app.drain()
    second = await endpoint.send(request)
    await endpoint.app.drain()

    assert (first, second) == (200, 401)
    assert len(await endpoint.app.store.incidents()) == 1
    assert len(ephemeral_to(fake, PARENT)) == 1
    assert len(alert_buttons(fake, SLT)) == 3


@pytest.mark.parametrize("how", ["button", "command"])
async def test_a_replayed_close_cannot_close_the_chat_again_after_it_was_reopened(
    endpoint: Endpoint, how: str
) -> None:
    fake = endpoint.fake
    assert await endpoint.send(event(message_body(ABUSIVE, ts="9.5", event_id="EvClose"))) == 200
    await endpoint.app.drain()
    if how == "button":
        close = interactive(button_body(fake, alert_buttons(fake, SLT)["Close chat"], user=SLT))
    else:
        close = form({k: str(v) for k, v in command_body(fake, "close", user=SLT).items()})
    reopen = form({k: str(v) for k, v in command_body(fake, "reopen", user=SLT).items()})

    assert await endpoint.send(close) == 200
    await endpoint.answered(1)
    assert await endpoint.send(reopen) == 200
    await endpoint.answered(2)
    replayed = await endpoint.send(close)
    # A new request whose answer shows that everything before it was handled.
    status = form({k: str(v) for k, v in command_body(fake, "status", user=SLT).items()})
    assert await endpoint.send(status) == 200
    await endpoint.answered(3 if replayed == 401 else 4)

    assert replayed == 401
    assert archives(fake) == [CHANNEL]
    assert [c.params["channel"] for c in fake.calls_to("conversations.unarchive")] == [CHANNEL]
    assert not (await endpoint.app.store.chat_state(ChatRef("slack", CHANNEL))).closed


async def test_signatures_are_remembered_only_while_a_replay_could_pass_the_time_check() -> None:
    now = [1000.0]
    guard = RefuseReplays(clock=lambda: now[0])
    request = event(message_body(ABUSIVE, ts="9.9", event_id="EvGuard"))
    passed: list[int] = []

    async def through() -> int:
        async def next_() -> BoltResponse:
            passed.append(1)
            return BoltResponse(status=200)

        bolt = AsyncBoltRequest(body=request.body, headers=dict[str, Any](request.headers))
        answer = await guard.async_process(req=bolt, resp=BoltResponse(status=200), next=next_)
        assert answer is not None
        return answer.status

    first = await through()
    now[0] += REPLAY_WINDOW  # Bolt would still take its timestamp at the far edge
    replay = await through()
    now[0] += 1  # beyond: Bolt refuses it as stale, so it need not be remembered
    late = await through()

    assert (first, replay, late) == (200, 401, 200)
    assert len(passed) == 2
