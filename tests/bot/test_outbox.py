"""Delivery guarantees: retry-after honoured, back-off on errors, permanent failures recorded,
and actions pending at a stop delivered exactly once after the next start."""

from __future__ import annotations

import random
from collections import Counter
from datetime import timedelta

from adapters.local import LocalPlatform
from bot.app import App
from bot.clock import ManualClock
from bot.config import Config
from bot.model import Alert, Notice, PermanentFailure, Remind, RetryAfter
from learned import Detector
from tests.bot.conftest import ABUSIVE, CHAT, PARENT, SLT, STAFF, THREAT, StartApp, private


async def test_retry_after_is_honoured_and_the_alert_delivered_once(
    config: Config, clock: ManualClock, running: StartApp
) -> None:
    async with running(config) as (app, local):
        local.fail(RetryAfter(30), kind=Alert)
        await local.send(CHAT, PARENT, STAFF)
        await app.drain()
        assert private(local, SLT, "alert") == []
        [alert] = await app.store.actions(kind="alert")
        assert (alert.status, alert.attempts) == ("pending", 1)
        assert alert.next_attempt_at == clock.now() + timedelta(seconds=30)

        clock.advance(29)
        await app.drain()
        assert private(local, SLT, "alert") == []
        clock.advance(1)
        await app.drain()
        assert len(private(local, SLT, "alert")) == 1
        [alert] = await app.store.actions(kind="alert")
        assert (alert.status, alert.attempts) == ("done", 2)


async def test_transient_errors_back_off_exponentially_with_jitter(
    config: Config, clock: ManualClock, detector: Detector
) -> None:
    local = LocalPlatform(clock=clock)
    local.fail(ConnectionResetError("connection reset"), kind=Remind, times=3)
    async with App(config, [local], clock=clock, detector=detector, rng=random.Random(7)) as app:
        await local.send(CHAT, PARENT, STAFF)
        await app.drain()
        gaps = []
        for _ in range(3):
            [remind] = await app.store.actions(kind="remind")
            assert remind.status == "pending"
            assert "ConnectionResetError" in remind.note
            gaps.append((remind.next_attempt_at - clock.now()).total_seconds())
            clock.set(remind.next_attempt_at)
            await app.drain()
        [remind] = await app.store.actions(kind="remind")
        assert (remind.status, remind.attempts) == ("done", 4)
        assert len(private(local, PARENT, "reminder")) == 1
        # Each wait lies in [half, all] of 1 s, 2 s, 4 s.
        for gap, ceiling in zip(gaps, (1.0, 2.0, 4.0), strict=True):
            assert ceiling / 2 <= gap <= ceiling


async def test_a_permanent_failure_is_recorded_and_others_still_delivered(
    config: Config, running: StartApp
) -> None:
    async with running(config) as (app, local):
        local.fail(PermanentFailure("the chat no longer exists"), kind=Remind)
        await local.send(CHAT, PARENT, STAFF)
        await app.drain()
        [remind] = await app.store.actions(kind="remind")
        assert (remind.status, remind.note) == ("failed", "the chat no longer exists")
        assert len(private(local, SLT, "alert")) == 1
        # The fallback for a reminder that cannot be delivered: the neutral nudge in the chat.
        [notice] = await app.store.actions(kind="notice")
        assert notice.status == "done"
        assert isinstance(remind.action, Remind)
        assert [s.text for s in local.posted_in(CHAT)][-1] == remind.action.nudge


async def test_delivery_keeps_trying_through_an_outage_then_gives_up(
    config: Config, clock: ManualClock, running: StartApp
) -> None:
    async with running(config) as (app, local):
        local.fail(TimeoutError("platform timeout"), kind=Alert, times=1000)
        await local.send(CHAT, PARENT, STAFF)
        await app.drain()
        for _ in range(5 * 60):  # five hours, a minute at a time: still trying
            clock.advance(60)
            await app.drain()
        [alert] = await app.store.actions(kind="alert")
        assert alert.status == "pending"
        assert alert.attempts >= 5 * 60 - 10  # back-off is capped at a minute
        for _ in range(3 * 60):
            clock.advance(60)
            await app.drain()
        [alert] = await app.store.actions(kind="alert")
        assert alert.status == "failed"
        assert alert.attempts == 480
        assert alert.note.startswith("gave up after 480 attempts")


async def test_an_action_stored_long_before_its_first_failure_is_still_retried(
    config: Config, clock: ManualClock, running: StartApp
) -> None:
    first = LocalPlatform(clock=clock)
    first.pause()  # the platform unreachable, then the bot stopped for the night
    async with running(config, first) as (app, local):
        await local.send(CHAT, PARENT, STAFF)
    clock.advance(10 * 3600)
    second = LocalPlatform(clock=clock)
    second.fail(TimeoutError("platform timeout"), kind=Alert, times=1)
    async with running(config, second) as (app, _):
        await app.drain()
        clock.advance(60)
        await app.drain()
        [alert] = await app.store.actions(kind="alert")
        assert alert.status == "done"
        assert [a.key for a, _ in second.delivered if isinstance(a, Alert)] == [alert.key]


async def test_actions_pending_at_a_stop_are_delivered_exactly_once_after_restart(
    config: Config, clock: ManualClock, running: StartApp
) -> None:
    first = LocalPlatform(clock=clock)
    first.pause()  # deliveries hang, as if the platform were unreachable
    async with running(config, first) as (app, local):
        for text in (STAFF, THREAT, ABUSIVE):
            await local.send(CHAT, PARENT, text)
        stored = {a.key for a in await app.store.actions()}
    assert first.delivered == []
    assert len(stored) >= 5  # three reminders and at least two alerts

    clock.advance(600)  # past any back-off the interrupted deliveries were given
    second = LocalPlatform(clock=clock)
    async with running(config, second) as (app, local):
        await app.drain()
        delivered = Counter(action.key for action, _ in second.delivered)
        assert set(delivered) == stored
        assert set(delivered.values()) == {1}
        assert {a.status for a in await app.store.actions()} == {"done"}
        # A third start finds nothing left to send.
    third = LocalPlatform(clock=clock)
    async with running(config, third) as (app, _):
        await app.drain()
    assert third.delivered == []


async def test_a_lane_waits_for_its_head_while_other_lanes_go_on(
    config: Config, clock: ManualClock, running: StartApp
) -> None:
    async with running(config) as (app, local):
        local.fail(RetryAfter(60), kind=Notice)
        await local.command(CHAT, SLT, "/close")
        await local.send("hill6", PARENT, ABUSIVE)  # another chat: another lane
        await app.drain()
        # The chat is not locked before its closing notice is out...
        [close] = await app.store.actions(kind="close")
        assert (close.status, close.attempts) == ("pending", 0)
        assert local.chats[CHAT].can_send_messages
        # ...while the other chat's reminder did not wait.
        [remind] = await app.store.actions(kind="remind")
        assert remind.status == "done"

        clock.advance(60)
        await app.drain()
        assert {a.status for a in await app.store.actions()} == {"done"}
        assert not local.chats[CHAT].can_send_messages
        kinds = [type(action).__name__ for action, _ in local.delivered]
        assert kinds.index("Notice") < kinds.index("CloseChat")
