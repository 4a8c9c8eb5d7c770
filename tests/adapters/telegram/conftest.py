"""Fixtures for the Telegram adapter tests: the loopback fake Bot API with the test chats, a
config pointing at it, and the real app running with the real adapter."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path

import pytest

from adapters.telegram import TelegramPlatform
from bot.app import App
from bot.config import Config, parse_config
from tests.fakes.telegram_api import OPEN_PERMISSIONS, TOKEN, FakeTelegramApi

from .builders import (
    ADMIN,
    CHAT,
    CHAT_TITLE,
    FORUM,
    FORUM_TITLE,
    PLAIN_CHAT,
    PLAIN_TITLE,
    SLT,
)

# The Year 4 chat's permissions before anyone closes it: not the defaults, so that reopening
# is seen to restore exactly these.
YEAR4_PERMISSIONS = {**OPEN_PERMISSIONS, "can_send_polls": False, "can_invite_users": False}

# SLT hear of every flagged message, even a first low-severity one, so each test sees an alert.
ALERT_AT_ONCE = "policy:\n  escalation: {alert_after: 1}"

Running = Callable[..., AbstractAsyncContextManager[tuple[App, TelegramPlatform]]]


@pytest.fixture
async def fake_telegram() -> AsyncIterator[FakeTelegramApi]:
    fake = FakeTelegramApi(privacy_mode=True)
    fake.add_chat(CHAT, CHAT_TITLE, bot_admin=True, permissions=YEAR4_PERMISSIONS)
    fake.add_chat(PLAIN_CHAT, PLAIN_TITLE, bot_admin=False)
    fake.add_chat(FORUM, FORUM_TITLE, bot_admin=True, is_forum=True)
    await fake.start()
    try:
        yield fake
    finally:
        await fake.close()


@pytest.fixture
def make_config(tmp_path: Path, fake_telegram: FakeTelegramApi) -> Callable[..., Config]:
    """One school with three Telegram chats; `telegram_extra` adds keys to `telegram:`,
    `extra_chats` entries to the school's `chats:`."""

    def make(
        *, telegram_extra: str = "", policy: str = ALERT_AT_ONCE, extra_chats: str = ""
    ) -> Config:
        text = f"""
storage:
  path: {tmp_path / "schoolgate.sqlite3"}
telegram:
  token: "{TOKEN}"
  base_url: {fake_telegram.base_url}
{telegram_extra}
{policy}
schools:
  - id: riverside
    name: Riverside Primary School
    staff:
      - {{id: s1, title: Mrs, first: Priya, last: Patel, roles: [head]}}
    slt:
      - {{name: Ms Okafor, telegram: {SLT}}}
    admins:
      - {{name: Mr Hughes, telegram: {ADMIN}}}
    chats:
      - {{platform: telegram, id: "{CHAT}", name: {CHAT_TITLE}}}
      - {{platform: telegram, id: "{PLAIN_CHAT}", name: {PLAIN_TITLE}}}
      - {{platform: telegram, id: "{FORUM}", name: {FORUM_TITLE}}}
{extra_chats}"""
        return parse_config(text, "test")

    return make


@pytest.fixture
def running() -> Running:
    """`async with running(config) as (app, platform):` the real app with the real adapter."""

    @asynccontextmanager
    async def run(config: Config) -> AsyncIterator[tuple[App, TelegramPlatform]]:
        platform = TelegramPlatform(config)
        async with App(config, [platform]) as app:
            yield app, platform

    return run
