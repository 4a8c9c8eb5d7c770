"""Starting the Slack adapter: clear errors for tokens Slack refuses, and what it learns about
the configured channels."""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest

from adapters.slack import SlackPlatform
from adapters.slack.clients import SlackSetupError
from bot.app import App
from bot.clock import ManualClock
from bot.config import Config
from bot.model import ChatRef
from bot.platform import Capability
from tests.adapters.slack.conftest import CHANNEL
from tests.adapters.slack.helpers import running, slack_platform
from tests.fakes.slack_api import FakeSlack

MakeConfig = Callable[..., Config]


async def start_fails(config: Config) -> str:
    app = App(config, [SlackPlatform(config)], clock=ManualClock())
    try:
        with pytest.raises(SlackSetupError) as raised:
            await app.start()
    finally:
        await app.stop()
    return str(raised.value)


async def test_a_refused_bot_token_is_one_clear_line(
    fake_slack: FakeSlack, make_config: MakeConfig
) -> None:
    fake_slack.fail("auth.test", error="invalid_auth")
    message = await start_fails(make_config())
    assert message.startswith("Slack refused slack.bot_token (invalid_auth)")
    assert "xoxb-" in message
    assert "xoxb-test" not in message  # never the token itself


async def test_a_refused_app_token_is_one_clear_line(
    fake_slack: FakeSlack, make_config: MakeConfig
) -> None:
    fake_slack.fail("apps.connections.open", error="invalid_auth")
    message = await start_fails(make_config())
    assert message.startswith("Slack refused slack.app_token (invalid_auth)")
    assert "connections:write" in message
    assert fake_slack.connections == 0


async def test_a_channel_without_the_bot_is_named_in_the_log_and_capabilities_shrink(
    fake_slack: FakeSlack, make_config: MakeConfig, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    fake_slack.channels[CHANNEL] = {"is_member": False}
    async with running(make_config()) as app:
        platform = slack_platform(app)
        outside = platform.capabilities_in(ChatRef("slack", CHANNEL))
        elsewhere = platform.capabilities_in(ChatRef("slack", "C0ELSEWHERE"))
    assert Capability.EPHEMERAL not in outside
    assert Capability.DIRECT_MESSAGE in outside
    assert Capability.EPHEMERAL in elsewhere
    assert f"Slack channel {CHANNEL}: the bot is not a member" in caplog.text
