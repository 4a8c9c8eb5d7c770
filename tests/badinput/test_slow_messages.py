"""A message that takes long to check holds up no other: the rules core runs in worker threads,
off the event loop, and a platform waits for a check only up to the moderator's budget. Past it,
the platform moves on and the message is judged, and acted on, when its check finishes.

The slow message here is real (the longest Slack allows, of a phrase the core finds many times
over), not a stand-in; the budget is lowered below what checking it takes."""

from __future__ import annotations

from pathlib import Path

from adapters.local import LocalPlatform
from bot.app import App
from bot.clock import ManualClock
from bot.config import parse_config
from bot.store import Store
from rules.normalise import MAX_CHARS
from tests.badinput.test_incidents import CHAT, CONFIG, PARENT, SLT

SLOW = ("daft cow " * (MAX_CHARS // 9 + 1))[:MAX_CHARS]  # about two seconds of checking
QUICK = "you stupid cow"  # a few milliseconds
OTHER_PARENT = LocalPlatform.user("p-bea", "Bea")
BUDGET_S = 0.3  # well below what SLOW takes, well above what QUICK takes


async def test_a_slow_message_is_judged_after_a_quick_one_sent_behind_it(tmp_path: Path) -> None:
    database = tmp_path / "schoolgate.sqlite3"
    config = parse_config(CONFIG + f"storage: {{path: '{database}'}}\n", "slow.yaml")
    clock = ManualClock()
    local = LocalPlatform(clock=clock)
    async with App(config, [local], clock=clock) as app:
        moderator = app.core.moderator
        moderator.budget_s = BUDGET_S
        await local.send(CHAT, PARENT, SLOW)  # returns at the budget, still being checked
        assert await app.store.incidents() == []
        await local.send(CHAT, OTHER_PARENT, QUICK)  # judged at once, slow one or not
        [first] = await app.store.incidents()
        assert first.text == QUICK
        await app.drain()  # every message judged, every action delivered
        alerts = [s.text for s in local.seen_by(SLT) if s.kind == "alert"]

    async with Store(database) as store:
        incidents = await store.incidents()
    # SLOW is kept in part (bot/excerpt.py), with its whole length.
    assert sorted(i.length for i in incidents) == sorted([len(QUICK), len(SLOW)])
    assert {i.user.user_id for i in incidents} == {PARENT.user_id, OTHER_PARENT.user_id}
    assert len(alerts) == 2


async def test_the_bot_stops_only_once_a_message_being_checked_is_judged(tmp_path: Path) -> None:
    database = tmp_path / "schoolgate.sqlite3"
    config = parse_config(CONFIG + f"storage: {{path: '{database}'}}\n", "slow.yaml")
    clock = ManualClock()
    local = LocalPlatform(clock=clock)
    async with App(config, [local], clock=clock) as app:
        app.core.moderator.budget_s = BUDGET_S
        await local.send(CHAT, PARENT, SLOW)
        assert await app.store.incidents() == []
    # Stopped straight after: the incident and its actions were still stored.
    async with Store(database) as store:
        [incident] = await store.incidents()
        assert incident.length == len(SLOW)
        assert await store.actions()
