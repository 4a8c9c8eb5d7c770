"""A platform that cannot be reached at start: the bot starts anyway, tries it again with
capped, jittered back-off (one log line per attempt), keeps its stored actions waiting however
long that takes, and delivers them once it connects. A platform that refuses its settings stops
the start with the platform's own message."""

from __future__ import annotations

import asyncio
import logging
import random
from pathlib import Path

import pytest

from adapters.local import LocalPlatform
from bot.app import App
from bot.clock import ManualClock
from bot.config import Config
from bot.logs import protect_logs
from bot.platform import PlatformSetupError
from learned import Detector
from tests.bot.conftest import CHAT, PARENT, SLT, STAFF, StartApp, make_config, private


@pytest.fixture
def slow_retries(tmp_path: Path) -> Config:
    return make_config(tmp_path, "connect: {retry_delay: 1, max_retry_delay: 600}\n")


async def test_a_platform_down_at_start_keeps_its_actions_until_it_connects(
    slow_retries: Config,
    clock: ManualClock,
    running: StartApp,
    detector: Detector,
    caplog: pytest.LogCaptureFixture,
) -> None:
    first = LocalPlatform(clock=clock)
    first.pause()  # the network went down: the reminder and alert stay stored
    async with running(slow_retries, first) as (_, local):
        await local.send(CHAT, PARENT, STAFF)
    caplog.set_level(logging.INFO, logger="bot.connecting")

    second = LocalPlatform(clock=clock)
    second.refuse_starts(10_000)  # still no network when the bot starts again
    app = App(slow_retries, [second], clock=clock, detector=detector, rng=random.Random(3))
    async with app:  # starts, rather than exiting with the first error
        health = await app.health()
        assert health["status"] == "connecting"
        assert health["platforms"]["local"]["connected"] is False
        assert "the local platform is unreachable" in health["platforms"]["local"]["error"]
        assert health["pending_actions"] == 2

        for _ in range(100):  # a whole day without the platform, well past 480 attempts' worth
            clock.advance(900)
            await app.drain()
        attempts = (await app.health())["platforms"]["local"]["attempts"]
        assert attempts > 50
        assert await app.store.actions(status="failed") == []

        second.refuse_starts(0)  # the network is back
        clock.advance(600)
        await asyncio.wait_for(app.started("local"), timeout=10)
        await app.drain()
        health = await app.health()
        assert health == {
            "status": "ok",
            "platforms": {"local": {"connected": True, "attempts": attempts + 1, "error": ""}},
            "pending_actions": 0,
            "unstored_messages": 0,
        }
        assert len(private(second, PARENT, "reminder")) == 1
        assert len(private(second, SLT, "alert")) == 1

    lines = [r.getMessage() for r in caplog.records if "could not connect" in r.getMessage()]
    assert len(lines) == attempts
    assert lines[0].startswith("local could not connect (attempt 1: ConnectionError: ")
    waits = [float(line.rsplit(" ", 1)[1].rstrip("s")) for line in lines]
    assert 0.5 <= waits[0] <= 1.0
    assert max(waits) <= 600
    assert len(set(waits)) > len(waits) // 2  # jittered: the waits do not repeat in step
    assert f"local started (attempt {attempts + 1})" in caplog.text


async def test_a_refused_setting_stops_the_start_with_the_platforms_message(
    config: Config, clock: ManualClock, detector: Detector
) -> None:
    local = LocalPlatform(clock=clock)
    local.refuse_starts(1, PlatformSetupError("the token was rejected: copy it again"))
    app = App(config, [local], clock=clock, detector=detector)
    with pytest.raises(PlatformSetupError, match="copy it again"):
        await app.start()


async def test_a_refusal_after_the_network_comes_back_is_reported(
    config: Config, clock: ManualClock, detector: Detector
) -> None:
    local = LocalPlatform(clock=clock)
    local.refuse_starts(1)
    async with App(config, [local], clock=clock, detector=detector) as app:
        local.refuse_starts(1, PlatformSetupError("the token was rejected: copy it again"))
        clock.advance(5)
        refusal = await app.fatal()
        assert str(refusal) == "the token was rejected: copy it again"
        assert (await app.health())["platforms"]["local"]["connected"] is False


async def test_the_health_report_never_shows_a_secret_from_an_error(
    config: Config, clock: ManualClock, detector: Detector
) -> None:
    token = "4242:health-report-secret"
    protect_logs([token])
    local = LocalPlatform(clock=clock)
    local.refuse_starts(1, ConnectionError(f"cannot reach https://api.example/bot{token}/getMe"))
    async with App(config, [local], clock=clock, detector=detector) as app:
        error = (await app.health())["platforms"]["local"]["error"]
    assert error == "ConnectionError: cannot reach https://api.example/bot[secret]/getMe"
