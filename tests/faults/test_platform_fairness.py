"""One platform's trouble does not hold up another's deliveries: each platform has its own
deliveries in flight, so a Slack that answers nothing leaves Telegram's alerts going out."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.app import App, build_platforms
from bot.config import parse_config
from tests.fakes.faults import FaultKind, FaultPlan, subject_to
from tests.faults.conftest import ABUSIVE, until, until_async
from tests.faults.worlds import SlackWorld, TelegramWorld, render_config, schools

IN_FLIGHT = 16  # the outbox's deliveries in flight at once, per platform
HANG: dict[str, tuple[FaultKind, ...]] = {"chat.postMessage": ("timeout",)}


async def test_a_platform_that_hangs_does_not_hold_up_the_others(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Slack takes every message and never answers, as far as the bot can wait.
    slack = SlackWorld(FaultPlan(1.0, acted_share=0.0, subject=subject_to(HANG)))
    telegram = TelegramWorld()
    for world in (slack, telegram):
        await world.start()
        for name, value in world.env.items():
            monkeypatch.setenv(name, value)
    try:
        school = schools()[0]
        slack_chat, telegram_chat = slack.add_chat("Year 4"), telegram.add_chat("Year 5")
        school.chats = [("slack", slack_chat, "Year 4"), ("telegram", telegram_chat, "Year 5")]
        slt = {"slack": slack.add_person("SLT"), "telegram": telegram.add_person("SLT")}
        school.slt = slt
        text = render_config(
            [school],
            [slack, telegram],
            database=tmp_path / "schoolgate.sqlite3",
            delivery_timeout=60.0,
            retry_delay=1.0,
        )
        config = parse_config(text, "fairness.yaml")
        async with App(config, build_platforms(config)) as app:
            # More flagged messages (each a reminder of its own and an alert) than it has room
            # for in flight: every Slack delivery it may start hangs.
            for n in range(IN_FLIGHT):
                await slack.post(slack_chat, slack.add_person(f"Parent {n}"), ABUSIVE)
            await until(lambda: slack.faults.total() >= IN_FLIGHT, "Slack's sends hanging")

            async def all_stored() -> bool:  # on a busy machine the last may still be on its way
                return len(await app.store.actions(status="pending")) == 2 * IN_FLIGHT

            await until_async(all_stored, "every Slack message's reminder and alert stored")
            parent = telegram.add_person("Dawn")
            await telegram.post(telegram_chat, parent, ABUSIVE)
            await until(
                lambda: {s.to for s in telegram.sent() if s.dm} == {parent, slt["telegram"]},
                "Telegram's reminder and alert, while Slack's still hang",
            )

            async def telegram_done() -> bool:  # recorded just after Telegram answers
                pending = await app.store.actions(status="pending")
                return all(a.platform != "telegram" for a in pending)

            await until_async(telegram_done, "Telegram's deliveries recorded as done")
            hanging = await app.store.actions(status="pending")
            assert {a.platform for a in hanging} == {"slack"}
            assert len(hanging) == 2 * IN_FLIGHT
    finally:
        for world in (slack, telegram):
            await world.close()
