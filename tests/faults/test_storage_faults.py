"""Flagged messages sent while the database cannot be written lose nothing, on a real
filesystem fault (tests/faults/disks.py): a tmpfs filled to the last byte, then freed while the
bot runs; an ext4 disk the kernel makes read-only after an error, repaired while the bot is
stopped. Through the real adapters against the loopback platforms, every message then gets its
incident, reminder and alert, once.

Meanwhile none is acknowledged where the platform would then forget it: Telegram's offset
never moves past the first, Slack gets no ack; a chat's last seen message stays before them
(Discord's and Slack's catch-up starts there)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr

from adapters.local import LocalPlatform
from adapters.slack import SlackPlatform
from adapters.telegram import TelegramPlatform
from bot.app import App
from bot.clock import ManualClock
from bot.config import parse_config
from bot.model import ChatRef
from bot.platform_settings import TelegramWebhook
from bot.unstored import MAX_DELAY
from tests.adapters.slack.conftest import message_body
from tests.adapters.slack.test_http_mode import SECRET as SLACK_SECRET
from tests.adapters.slack.test_http_mode import post as post_event
from tests.adapters.slack.test_http_mode import signed
from tests.adapters.telegram.builders import message as telegram_message
from tests.adapters.telegram.test_webhook import SECRET
from tests.adapters.telegram.test_webhook import post as post_update
from tests.badinput.test_incidents import CHAT, CONFIG, PARENT, SLT
from tests.faults.conftest import (
    ABUSIVE,
    CLEAN,
    Scene,
    new_scene,
    running,
    settled,
    until,
    until_async,
)
from tests.faults.disks import FailingDisk, FullDisk, failing_disk, full_disk
from tests.faults.worlds import PLATFORMS, SlackWorld, TelegramWorld, World

FLAGGED = 30
# About a fifth of a second of checking, against a wait of a hundredth: judged late.
LATE = "daft cow " * 300
LATE_BUDGET_S = 0.01


@pytest.fixture
def full(tmp_path: Path) -> Iterator[FullDisk]:
    with full_disk(tmp_path) as disk:
        yield disk


@pytest.fixture
def failing(tmp_path: Path) -> Iterator[FailingDisk]:
    with failing_disk(tmp_path) as disk:
        yield disk


def kept(app: App) -> int:
    """Flagged messages the bot holds in memory, not yet stored."""
    return len(app.core.moderator.unstored)


async def last_seen(app: App, scene: Scene) -> str | None:
    return (await app.store.chat_state(ChatRef(scene.world.name, scene.chat))).last_seen_id


async def seen(app: App, scene: Scene, message_id: str) -> bool:
    return await last_seen(app, scene) == message_id


class Acknowledged:
    """What the platform was told was handled, where it keeps count."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.before = self.now()

    def now(self) -> int:
        if isinstance(self.world, SlackWorld):
            return len(self.world.fake.acks)
        return 0

    def nothing_since(self, first_update: int | None) -> None:
        if isinstance(self.world, TelegramWorld):
            assert first_update is not None
            assert first_update in self.world.fake.unconfirmed
        assert self.now() == self.before


async def post_flagged(scene: Scene) -> list[str]:
    return [
        await scene.world.post(scene.chat, scene.parent, f"{ABUSIVE} ({n})") for n in range(FLAGGED)
    ]


def first_update(scene: Scene) -> int | None:
    """The first update queued after the clean message (Telegram only)."""
    if isinstance(scene.world, TelegramWorld):
        return min(scene.world.fake.unconfirmed)
    return None


async def all_handled(app: App, scene: Scene, posted: list[str]) -> None:
    await until(
        lambda: len(scene.reminders()) == FLAGGED and len(scene.alerts()) == FLAGGED,
        f"{FLAGGED} reminders and {FLAGGED} alerts",
    )
    await settled(app)
    incidents = await app.store.incidents()
    assert sorted(i.message_id for i in incidents) == sorted(posted)  # each once
    assert len(scene.reminders()) == len(scene.alerts()) == FLAGGED  # none twice


@pytest.mark.parametrize("platform", PLATFORMS)
async def test_flagged_messages_sent_while_the_disk_is_full_are_handled_once_it_has_room(
    platform: str,
    full: FullDisk,
    scene_on: Callable[..., Scene],
    caplog: pytest.LogCaptureFixture,
) -> None:
    scene = await new_scene(platform, scene_on, database=full.folder / "schoolgate.sqlite3")
    async with running(scene) as app:
        await until(scene.world.connected, "the bot connected")
        clean = await scene.world.post(scene.chat, scene.parent, CLEAN)
        await until_async(lambda: seen(app, scene, clean), "the clean message")
        acknowledged = Acknowledged(scene.world)

        full.fill()
        posted = await post_flagged(scene)
        update = first_update(scene)
        # Telegram hands over no update past the first until it is stored; the others arrive.
        expected = 1 if platform == "telegram" else FLAGGED
        await until(lambda: kept(app) == expected, f"{expected} message(s) kept in memory")
        acknowledged.nothing_since(update)
        assert await app.store.incidents() == []
        assert await last_seen(app, scene) == clean
        health = await app.health()
        assert (health["status"], health["unstored_messages"]) == ("not storing", expected)

        full.free()
        await all_handled(app, scene, posted)
        assert kept(app) == 0
        assert (await app.health())["status"] == "ok"

    said = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert any("could not store the incident for flagged message" in r.message for r in said)


@pytest.mark.parametrize("platform", PLATFORMS)
async def test_flagged_messages_sent_while_the_disk_is_read_only_are_handled_after_a_restart(
    platform: str, failing: FailingDisk, scene_on: Callable[..., Scene]
) -> None:
    scene = await new_scene(platform, scene_on, database=failing.folder / "schoolgate.sqlite3")
    async with running(scene) as app:
        await until(scene.world.connected, "the bot connected")
        clean = await scene.world.post(scene.chat, scene.parent, CLEAN)
        await until_async(lambda: seen(app, scene, clean), "the clean message")
        acknowledged = Acknowledged(scene.world)

        failing.fail()
        posted = await post_flagged(scene)
        update = first_update(scene)
        expected = 1 if platform == "telegram" else FLAGGED
        await until(lambda: kept(app) == expected, f"{expected} message(s) kept in memory")
        acknowledged.nothing_since(update)
    # Stopped with the disk still read-only: what was kept in memory is gone with the process.

    failing.repair()
    async with running(scene) as app:
        await all_handled(app, scene, posted)


async def test_a_message_judged_late_is_stored_once_the_disk_has_room(full: FullDisk) -> None:
    """A message whose check outlasts the platform's wait is judged in the background, the
    platform already answered: there too, what cannot be stored is kept and stored later."""
    database = full.folder / "schoolgate.sqlite3"
    config = parse_config(CONFIG + f"storage: {{path: '{database}'}}\n", "late.yaml")
    clock = ManualClock()
    local = LocalPlatform(clock=clock)
    async with App(config, [local], clock=clock) as app:
        app.core.moderator.budget_s = LATE_BUDGET_S
        full.fill()
        await local.send(CHAT, PARENT, LATE)  # returns at the budget: nothing to withhold
        await until(lambda: kept(app) == 1, "the message kept in memory")
        assert await app.store.incidents() == []

        full.free()
        clock.advance(MAX_DELAY)  # the next try
        await until(lambda: kept(app) == 0, "the message stored")
        await app.drain()
        [incident] = await app.store.incidents()
        alerts = [s.text for s in local.seen_by(SLT) if s.kind == "alert"]

    assert incident.text == LATE
    assert len(alerts) == 1


async def test_a_telegram_webhook_is_answered_503_until_the_message_is_stored(
    full: FullDisk, scene_on: Callable[..., Scene]
) -> None:
    scene = await new_scene("telegram", scene_on, database=full.folder / "schoolgate.sqlite3")
    assert scene.config.telegram is not None
    hook = TelegramWebhook(
        listen="127.0.0.1", port=0, url="https://bot.example.org/telegram", secret_token=SECRET
    )
    telegram = scene.config.telegram.model_copy(update={"mode": "webhook", "webhook": hook})
    config = scene.config.model_copy(update={"telegram": telegram})
    platform = TelegramPlatform(config)
    update = {"update_id": 9001, **telegram_message(int(scene.chat), int(scene.parent), ABUSIVE)}
    async with App(config, [platform]) as app:
        full.fill()
        refused = await post_update(platform.webhook_port, update, SECRET)
        full.free()
        again = await post_update(platform.webhook_port, update, SECRET)  # as Telegram retries
        await until(lambda: bool(scene.reminders() and scene.alerts()), "the reminder and alert")
        await settled(app)
        incidents = await app.store.incidents()

    assert (refused, again) == (503, 200)
    assert len(incidents) == len(scene.reminders()) == len(scene.alerts()) == 1


async def test_a_slack_event_over_http_is_answered_503_until_its_message_is_stored(
    full: FullDisk, scene_on: Callable[..., Scene]
) -> None:
    scene = await new_scene("slack", scene_on, database=full.folder / "schoolgate.sqlite3")
    assert scene.config.slack is not None
    slack = scene.config.slack.model_copy(
        update={
            "mode": "http",
            "signing_secret": SecretStr(SLACK_SECRET),
            "listen": "127.0.0.1",
            "port": 0,
        }
    )
    config = scene.config.model_copy(update={"slack": slack})
    platform = SlackPlatform(config)
    body = message_body(
        ABUSIVE, ts="1760000000.000100", event_id="EvFull", user=scene.parent, channel=scene.chat
    )
    async with App(config, [platform]) as app:
        url = f"http://127.0.0.1:{platform.http_port}/slack/events"
        full.fill()
        refused = await post_event(url, body, signed)
        full.free()
        # Slack signs its retry afresh (a second later here, not to look like a replay).
        again = await post_event(url, body, lambda text: signed(text, age=1))
        await until(lambda: bool(scene.reminders() and scene.alerts()), "the reminder and alert")
        await settled(app)
        incidents = await app.store.incidents()

    assert (refused, again) == (503, 200)
    assert len(incidents) == len(scene.reminders()) == len(scene.alerts()) == 1
