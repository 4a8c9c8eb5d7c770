"""How the bot acts on the learned stage's flags: a moderate one asks SLT to review and sends the
parent nothing; a confident one, or any with `learned: act`, is acted on like the rules core's;
`learned: off` leaves the rules core alone."""

from __future__ import annotations

from pathlib import Path

import pytest

from adapters.local import LocalPlatform
from bot.app import App
from bot.clock import ManualClock
from bot.moderator import build_profile
from bot.texts import OBSERVE_MARK, REVIEW_NOTE
from learned import Detector, LinearModel
from rules import RulesEngine
from tests.bot.conftest import CHAT, PARENT, SLT, make_config, private
from tests.learned.test_detector import with_thresholds

# The rules core finds nothing here; what the model makes of it is set by the thresholds.
UNSURE = "well that's one way to run a school I suppose"


@pytest.fixture(scope="module")
def model() -> LinearModel:
    return LinearModel.load()


def detector(model: LinearModel, *, remind: float) -> Detector:
    return Detector(RulesEngine(), with_thresholds(model, review=0.0, remind=remind))


async def run_one(
    tmp_path: Path, detector: Detector, policy: str = ""
) -> tuple[list[str], list[str]]:
    clock = ManualClock()
    local = LocalPlatform(clock=clock)
    async with App(make_config(tmp_path, policy), [local], clock=clock, detector=detector) as app:
        await local.send(CHAT, PARENT, UNSURE)
        await app.drain()
        return private(local, PARENT, "reminder"), private(local, SLT, "alert")


async def test_a_moderate_learned_flag_asks_slt_to_review_and_tells_the_parent_nothing(
    tmp_path: Path, model: LinearModel
) -> None:
    school = make_config(tmp_path).schools[0]
    assert not RulesEngine().evaluate(UNSURE, build_profile(school)).flagged
    reminders, [alert] = await run_one(tmp_path, detector(model, remind=1.01))
    assert reminders == []
    assert REVIEW_NOTE in alert
    assert not alert.startswith("URGENT")
    assert "learned model is" in alert


async def test_a_confident_learned_flag_is_acted_on_like_any_other(
    tmp_path: Path, model: LinearModel
) -> None:
    reminders, alerts = await run_one(tmp_path, detector(model, remind=0.0))
    assert len(reminders) == 1
    assert all(REVIEW_NOTE not in a for a in alerts)


async def test_a_school_may_have_every_learned_flag_acted_on(
    tmp_path: Path, model: LinearModel
) -> None:
    reminders, alerts = await run_one(
        tmp_path, detector(model, remind=1.01), "policy:\n  learned: act\n"
    )
    assert len(reminders) == 1
    assert all(REVIEW_NOTE not in a for a in alerts)


async def test_a_school_may_turn_the_learned_stage_off(tmp_path: Path, model: LinearModel) -> None:
    reminders, alerts = await run_one(
        tmp_path, detector(model, remind=1.01), "policy:\n  learned: off\n"
    )
    assert reminders == []
    assert alerts == []


async def test_in_observe_mode_a_moderate_learned_flag_is_still_for_review(
    tmp_path: Path, model: LinearModel
) -> None:
    reminders, [alert] = await run_one(
        tmp_path, detector(model, remind=1.01), "policy:\n  mode: observe\n"
    )
    assert reminders == []
    assert alert.splitlines()[:2] == [
        OBSERVE_MARK,
        "In enforce mode the bot would have alerted SLT.",
    ]
    assert REVIEW_NOTE in alert


async def test_in_observe_mode_a_learned_flag_a_school_acts_on_says_it_would_remind(
    tmp_path: Path, model: LinearModel
) -> None:
    reminders, [alert] = await run_one(
        tmp_path, detector(model, remind=1.01), "policy:\n  learned: act\n  mode: observe\n"
    )
    assert reminders == []
    assert alert.startswith(OBSERVE_MARK)
    assert "would have sent the sender a private reminder" in alert
    assert REVIEW_NOTE not in alert
