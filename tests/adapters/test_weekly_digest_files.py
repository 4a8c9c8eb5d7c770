"""The weekly digest through each platform's loopback fake with the real SDK: the text, and the
report as a file (Telegram sendDocument, a Discord attachment, Slack's external upload), from
the outbox, which tries again after the platform fails once."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime

from adapters.discord import DiscordPlatform
from adapters.telegram import TelegramPlatform
from bot.app import App
from bot.clock import ManualClock
from bot.config import Config, WeeklyDigest
from tests.adapters.discord.conftest import World, fake, running, world  # noqa: F401
from tests.adapters.discord.conftest import make_config as discord_config  # noqa: F401
from tests.adapters.slack.conftest import SLT as SLACK_SLT
from tests.adapters.slack.conftest import fake_slack  # noqa: F401
from tests.adapters.slack.conftest import make_config as slack_config  # noqa: F401
from tests.adapters.slack.helpers import running as slack_running
from tests.adapters.telegram.builders import SLT as TELEGRAM_SLT
from tests.adapters.telegram.conftest import fake_telegram  # noqa: F401
from tests.adapters.telegram.conftest import make_config as telegram_config  # noqa: F401
from tests.fakes.discord_api import FakeDiscord
from tests.fakes.slack_api import FakeSlack
from tests.fakes.telegram_api import FakeTelegramApi, server_error

MONDAY = datetime(2026, 3, 2, 8, 30, tzinfo=UTC)  # half an hour after the digest was due
# Each try moves the clock past the outbox's wait and gives the digest time to be prepared
# (the report is drawn in a thread, matplotlib imported the first time).
TRIES = 300
NAME = "schoolgate-riverside-2025-12-01-to-2026-03-01.html"


def weekly(config: Config) -> Config:
    policy = config.policy.model_copy(update={"weekly_digest": WeeklyDigest()})
    return config.model_copy(update={"policy": policy})


def _report(content: bytes) -> None:
    page = content.decode()
    assert page.startswith("<!DOCTYPE html>")
    assert "Riverside Primary School" in page


async def test_telegram_sends_the_report_as_a_document(
    fake_telegram: FakeTelegramApi,  # noqa: F811
    telegram_config: Callable[..., Config],  # noqa: F811
) -> None:
    fake_telegram.fail("sendDocument", server_error())  # the first try fails
    clock = ManualClock(MONDAY)
    async with App(weekly(telegram_config()), [TelegramPlatform(telegram_config())], clock=clock):
        await fake_telegram.wait_for("sendDocument", 1, chat_id=TELEGRAM_SLT)
        for _ in range(TRIES):  # past the outbox's wait before it tries again
            clock.advance(seconds=5)
            await asyncio.sleep(0.1)
            if len(fake_telegram.documents) == 2:
                break
    [failed, document] = fake_telegram.documents
    assert failed.content == document.content
    assert document.chat_id == TELEGRAM_SLT
    assert document.file_name == NAME
    assert document.params["caption"].startswith("Weekly digest for Riverside Primary School")
    _report(document.content)


async def test_discord_attaches_the_report_to_the_direct_message(
    fake: FakeDiscord,  # noqa: F811
    world: World,  # noqa: F811
    discord_config: Callable[..., Config],  # noqa: F811
) -> None:
    fake.fail("POST", r"/channels/\d+/messages", 500, {"message": "oops", "code": 0})
    clock = ManualClock(MONDAY)
    async with running(weekly(discord_config()), fake, clock=clock) as bot:
        for _ in range(TRIES):
            clock.advance(seconds=5)
            await bot.settle()
            await asyncio.sleep(0.1)
            sent = [m for m in fake.dms_to(world.slt) if m.get("attachments")]
            if sent:
                break
        [message] = sent
    assert str(message["content"]).startswith("Weekly digest for Riverside Primary School")
    [(name, content)] = fake.attachments[str(message["id"])]
    assert name == NAME
    _report(content)
    assert isinstance(bot.platform, DiscordPlatform)


async def test_slack_uploads_the_report_into_the_direct_message(
    fake_slack: FakeSlack,  # noqa: F811
    slack_config: Callable[..., Config],  # noqa: F811
) -> None:
    fake_slack.fail("files.completeUploadExternal", status=500)
    clock = ManualClock(MONDAY)
    async with slack_running(weekly(slack_config()), clock=clock) as app:
        for _ in range(TRIES):
            clock.advance(seconds=5)
            await app.drain()
            await asyncio.sleep(0.1)
            if fake_slack.files:
                break
    [shared] = fake_slack.files
    assert shared.channel == "D" + SLACK_SLT
    assert shared.name == NAME
    assert shared.comment.startswith("Weekly digest for Riverside Primary School")
    _report(shared.content)
    assert len(fake_slack.calls_to("files.getUploadURLExternal")) == 2  # tried again
