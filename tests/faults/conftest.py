"""Fixtures for the fault suite: one school with one chat on a loopback platform whose fake
fails the calls a test chooses, and the real app with the real adapter running against it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from adapters.discord import DiscordPlatform
from bot.app import App, build_platforms
from bot.config import Config, parse_config
from bot.platform import Platform
from tests.fakes.faults import FaultPlan
from tests.faults.worlds import School, Sent, World, make_world, render_config, schools

ABUSIVE = "go f*ck yourself Debbie"
CLEAN = "Is it swimming on Tuesday or Wednesday this half term?"
# Short, so that a test need not wait long for the client to give up on a held call.
DELIVERY_TIMEOUT = 1.5
RETRY_DELAY = 0.2
# A safety net so that a broken test fails instead of hanging; never a measure of speed.
WAIT_LIMIT = 30.0


@dataclass
class Scene:
    """A school on one platform: its class chat, a parent in it and the SLT contact."""

    world: World
    config: Config
    chat: str
    parent: str
    slt: str

    def reminders(self) -> list[Sent]:
        return [s for s in self.world.sent() if s.dm and s.to == self.parent]

    def alerts(self) -> list[Sent]:
        return [s for s in self.world.sent() if s.dm and s.to == self.slt]


@pytest.fixture
async def scene_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Callable[..., Scene]]:
    """`scene_on(world, database=None)`: sets up one school on the world's fake (started),
    its database at `database` (else under tmp_path)."""
    started: list[World] = []

    def make(world: World, database: Path | None = None) -> Scene:
        for name, value in world.env.items():
            monkeypatch.setenv(name, value)
        chat = world.add_chat("Year 4 parents")
        parent = world.add_person("Dawn")
        slt = world.add_person("Ms Okafor")
        school: School = schools()[0]
        school.slt = {world.name: slt}
        school.chats = [(world.name, chat, "Year 4 parents")]
        text = render_config(
            [school],
            [world],
            database=database or tmp_path / "schoolgate.sqlite3",
            delivery_timeout=DELIVERY_TIMEOUT,
            retry_delay=RETRY_DELAY,
        )
        started.append(world)
        return Scene(world, parse_config(text, "faults.yaml"), chat, parent, slt)

    yield make
    for world in started:
        await world.close()


async def new_scene(
    platform: str,
    scene_on: Callable[..., Scene],
    faults: FaultPlan | None = None,
    *,
    database: Path | None = None,
) -> Scene:
    world = make_world(platform, faults)
    await world.start()
    return scene_on(world, database)


def platform_of(config: Config) -> Platform:
    """The config's one adapter; Discord's waits only briefly for servers after READY (the
    fake sends them all at once)."""
    if config.discord is not None:
        return DiscordPlatform(config, guild_ready_timeout=0.05)
    [platform] = build_platforms(config)
    return platform


@asynccontextmanager
async def running(scene: Scene) -> AsyncIterator[App]:
    async with App(scene.config, [platform_of(scene.config)]) as app:
        yield app


async def until(condition: Callable[[], bool], what: str) -> None:
    """Wait until `condition()` holds (an upper bound for asynchronous work, not a timing).
    Polled: the three fakes share no event to wait on."""
    try:
        async with asyncio.timeout(WAIT_LIMIT):
            while not condition():  # noqa: ASYNC110
                await asyncio.sleep(0.02)
    except TimeoutError:
        raise AssertionError(f"never saw {what}") from None


async def until_async(check: Callable[[], Awaitable[bool]], what: str) -> None:
    """`until` for a check that must itself wait (reading the store)."""
    try:
        async with asyncio.timeout(WAIT_LIMIT):
            while not await check():  # noqa: ASYNC110
                await asyncio.sleep(0.02)
    except TimeoutError:
        raise AssertionError(f"never saw {what}") from None


async def settled(app: App) -> None:
    """Wait until no action is pending: delivered, or failed for good."""
    try:
        async with asyncio.timeout(WAIT_LIMIT):
            while await app.store.actions(status="pending"):  # noqa: ASYNC110
                await asyncio.sleep(0.05)
    except TimeoutError:
        pending = [(a.kind, a.attempts, a.note) for a in await app.store.actions(status="pending")]
        raise AssertionError(f"actions still pending: {pending}") from None
