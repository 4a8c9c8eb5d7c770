"""Running the real app with the Slack adapter against the fake Slack."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from adapters.slack import SlackPlatform
from bot.app import App
from bot.clock import ManualClock
from bot.config import Config
from tests.fakes.slack_api import Call, FakeSlack


@asynccontextmanager
async def running(config: Config, clock: ManualClock | None = None) -> AsyncIterator[App]:
    """The app with one Slack adapter, started and connected."""
    platform = SlackPlatform(config)
    async with App(config, [platform], clock=clock or ManualClock()) as app:
        yield app


def slack_platform(app: App) -> SlackPlatform:
    platform = app.platforms["slack"]
    assert isinstance(platform, SlackPlatform)
    return platform


def posts_to(fake: FakeSlack, channel: str) -> list[Call]:
    return [c for c in fake.calls_to("chat.postMessage") if c.params.get("channel") == channel]


def alert_buttons(fake: FakeSlack, slt: str) -> dict[str, str]:
    """Label -> button data of the buttons on the alerts sent to an SLT member."""
    buttons: dict[str, str] = {}
    for post in posts_to(fake, "D" + slt):
        for block in post.json_param("blocks") or []:
            for element in block.get("elements", []) if block["type"] == "actions" else []:
                buttons[element["text"]["text"]] = element["value"]
    return buttons


def response_texts(fake: FakeSlack, key_prefix: str) -> list[str]:
    return [str(r["text"]) for r in fake.responses if str(r["key"]).startswith(key_prefix)]


def ephemeral_to(fake: FakeSlack, user: str) -> list[dict[str, Any]]:
    return [c.params for c in fake.calls_to("chat.postEphemeral") if c.params.get("user") == user]
