"""An alert that its platform refuses goes to the same SLT contact on another platform, built
within that platform's limits: a long message quoted for Telegram (4,096 characters) is more
than Discord's 2,000, which the fake Discord refuses as Discord does."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from adapters.discord import DiscordPlatform
from adapters.telegram import TelegramPlatform
from bot.app import App
from bot.config import parse_config
from bot.platform import Platform
from tests.fakes.telegram_api import cannot_initiate
from tests.faults.conftest import (
    ABUSIVE,
    DELIVERY_TIMEOUT,
    RETRY_DELAY,
    settled,
    until,
)
from tests.faults.worlds import DiscordWorld, TelegramWorld, render_config, schools

DISCORD_LIMIT = 2000
# Flagged three ways (each reason a line of the alert), and long enough that its alert quotes
# as much as any alert may (1,500 characters): for Telegram, over 2,100 characters in all.
LONG = (
    "Mrs Patel is a useless idiot and should be sacked, I know where she lives, "
    + ABUSIVE
    + ". "
    + " ".join(["We were all at the school gate at half past three."] * 40)
)


@pytest.fixture
async def worlds(
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[tuple[TelegramWorld, DiscordWorld]]:
    telegram, discord = TelegramWorld(), DiscordWorld()
    for world in (telegram, discord):
        await world.start()
        for name, value in world.env.items():
            monkeypatch.setenv(name, value)
    yield telegram, discord
    for world in (telegram, discord):
        await world.close()


async def test_an_alert_refused_on_telegram_reaches_discord_within_its_limit(
    worlds: tuple[TelegramWorld, DiscordWorld], tmp_path: Path
) -> None:
    telegram, discord = worlds
    chat = telegram.add_chat("Year 4 parents")
    parent = telegram.add_person("Dawn")
    slt = {"telegram": telegram.add_person("Ms Okafor"), "discord": discord.add_person("Ms Okafor")}
    school = schools()[0]
    school.slt = slt
    school.chats = [("telegram", chat, "Year 4 parents")]
    config = parse_config(
        render_config(
            [school],
            [telegram, discord],
            database=tmp_path / "schoolgate.sqlite3",
            delivery_timeout=DELIVERY_TIMEOUT,
            retry_delay=RETRY_DELAY,
        ),
        "fallback.yaml",
    )
    # The SLT contact never opened a private chat with the Telegram bot.
    telegram.fake.fail("sendMessage", cannot_initiate(), times=None, chat_id=slt["telegram"])

    platforms: list[Platform] = [
        TelegramPlatform(config),
        DiscordPlatform(config, guild_ready_timeout=0.05),
    ]
    async with App(config, platforms) as app:
        await until(lambda: telegram.connected() and discord.connected(), "both connected")
        await telegram.post(chat, parent, LONG)
        await until(lambda: bool(telegram.sent()), "the reminder")
        await settled(app)
        alerts = await app.store.actions(kind="alert")

    assert [(a.platform, a.status) for a in alerts] == [("telegram", "failed"), ("discord", "done")]
    [shown] = [s for s in discord.sent() if s.dm and s.to == slt["discord"]]
    assert len(shown.text) <= DISCORD_LIMIT
    assert f"Message: \u201c{LONG[:200]}" in shown.text
