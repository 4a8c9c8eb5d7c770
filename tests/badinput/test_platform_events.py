"""A fuzzing run through each platform's real SDK against its loopback fake: malformed message
events (keys missing, values of the wrong kind, parts misplaced), then a well-formed abusive
message. The bot stays connected, logs and skips what it cannot read, and handles the good one.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.app import App
from bot.config import Config, parse_config
from tests.adapters.telegram.builders import message as telegram_message
from tests.badinput.payloads import JSON, mutate
from tests.fakes.slack_api import APP_ID, TEAM_ID
from tests.faults.conftest import platform_of
from tests.faults.worlds import (
    PLATFORMS,
    DiscordWorld,
    SlackWorld,
    TelegramWorld,
    World,
    make_world,
    render_config,
    schools,
)
from tests.payloads.discord import build as discord_build

MALFORMED_EVENTS = 60
ABUSIVE = "you stupid cow Sharon"
WAIT_LIMIT = 30.0  # a safety net so that a broken test fails instead of hanging
# What the SDKs log when an exception escapes a handler: the bot never lets one.
ESCAPED = ("Task exception was never retrieved", "No error handlers are registered", "Ignoring")


@dataclass
class Scene:
    world: World
    config: Config
    chat: str
    parent: str


@pytest.fixture
async def scene_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Callable[[str], Awaitable[Scene]]]:
    started: list[World] = []

    async def make(platform: str) -> Scene:
        world = make_world(platform)
        await world.start()
        started.append(world)
        for name, value in world.env.items():
            monkeypatch.setenv(name, value)
        chat, parent = world.add_chat("Year 4 parents"), world.add_person("Dawn")
        school = schools()[0]
        school.slt = {platform: world.add_person("Ms Okafor")}
        school.chats = [(platform, chat, "Year 4 parents")]
        text = render_config(
            [school],
            [world],
            database=tmp_path / "schoolgate.sqlite3",
            delivery_timeout=5.0,
            retry_delay=0.2,
        )
        return Scene(world, parse_config(text, "badinput.yaml"), chat, parent)

    yield make
    for world in started:
        await world.close()


@asynccontextmanager
async def running(scene: Scene) -> AsyncIterator[App]:
    async with App(scene.config, [platform_of(scene.config)]) as app:
        await until(scene.world.connected)
        yield app


async def until(condition: Callable[[], bool]) -> None:
    async with asyncio.timeout(WAIT_LIMIT):
        while not condition():  # noqa: ASYNC110 (the fakes share no event to wait on)
            await asyncio.sleep(0.02)


# ---- one well-formed message event per platform, and how to deliver any event ------------

_event_ids = itertools.count(1)


def good_event(scene: Scene) -> JSON:
    world, chat, parent = scene.world, scene.chat, scene.parent
    if isinstance(world, TelegramWorld):
        return telegram_message(int(chat), int(parent), ABUSIVE)
    if isinstance(world, DiscordWorld):
        fake, channel = world.fake, int(chat)
        guild = fake.guild_of(channel)
        return dict(
            discord_build.message(
                fake.ids(),
                channel,
                fake.users[int(parent)],
                ABUSIVE,
                guild_id=guild,
                author_member=fake.member_payload(guild, int(parent)),
            )
        )
    assert isinstance(world, SlackWorld)
    ts = world.fake.next_ts()
    return {
        "token": "verification-token",
        "team_id": TEAM_ID,
        "api_app_id": APP_ID,
        "event": {
            "type": "message",
            "user": parent,
            "text": ABUSIVE,
            "ts": ts,
            "channel": chat,
            "channel_type": "channel",
            "event_ts": ts,
        },
        "type": "event_callback",
        "event_id": f"EvBad{next(_event_ids):06d}",
        "event_time": int(float(ts)),
    }


async def deliver(world: World, event: JSON) -> None:
    """Hand an event to the bot exactly as the platform would, however broken it is."""
    if isinstance(world, TelegramWorld):
        world.fake.push_update(event)
    elif isinstance(world, DiscordWorld):
        await world.fake.dispatch("MESSAGE_CREATE", event)
    else:
        assert isinstance(world, SlackWorld)
        await world.fake.push("events_api", event)


@pytest.mark.parametrize("platform", PLATFORMS)
async def test_malformed_events_are_skipped_and_the_next_good_one_is_handled(
    platform: str,
    scene_on: Callable[[str], Awaitable[Scene]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    scene = await scene_on(platform)
    async with running(scene) as app:
        for seed in range(MALFORMED_EVENTS):
            await deliver(scene.world, mutate(good_event(scene), random.Random(seed)))
        good = await scene.world.post(scene.chat, scene.parent, ABUSIVE)

        async def handled() -> bool:
            return any(i.message_id == good for i in await app.store.incidents())

        async with asyncio.timeout(WAIT_LIMIT):
            while not await handled():  # noqa: ASYNC110 (the store has no event to wait on)
                await asyncio.sleep(0.05)
        assert scene.world.connected()

    records = [r for r in caplog.records if r.name.startswith(("adapters", "telegram"))]
    skipped = [r for r in records if "skipped" in r.getMessage()]
    assert skipped, "no malformed event was reported as skipped"
    assert all(r.levelno <= logging.WARNING for r in skipped)
    # What the adapter passed on, the core handled: nothing failed on the way to the store.
    core = ("bot", "rules")
    failed = [r.getMessage() for r in caplog.records if r.name.startswith(core) and r.levelno >= 40]
    assert failed == []
    for record in caplog.records:
        assert not record.getMessage().startswith(ESCAPED), record.getMessage()
        assert ABUSIVE not in record.getMessage()  # never the words of a message
