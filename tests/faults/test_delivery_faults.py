"""Each way a call can fail, on each platform: the reminder and the SLT alert still arrive,
once.

The first message the bot sends (a reminder or an alert, whichever goes first) meets the fault.
A 429 or a 500 is refused before anything is done. A timeout or a dropped connection either
never reached the platform or was carried out with only its answer lost; the bot cannot tell
which, so its next attempt asks the platform first: Discord returns the message already made
with the same nonce, Slack shows it in the conversation's history by its metadata. Telegram's
Bot API has neither, so there the lost answer is the one case that sends twice.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.fakes.faults import Fault, FaultPlan
from tests.faults.conftest import ABUSIVE, Scene, new_scene, running, settled, until
from tests.faults.worlds import PLATFORMS, SEND_CALL, World

FAULTS = [
    Fault("429"),
    Fault("500"),
    Fault("timeout"),
    Fault("timeout", acted=True),
    Fault("drop"),
    Fault("drop", acted=True),
]
# The one case no platform-side check can settle: Telegram carried out the send, its answer
# was lost, and the Bot API offers no way to ask.
TELEGRAM_BLIND = {("timeout", True), ("drop", True)}


def _case(platform: str, fault: Fault) -> str:
    return f"{platform}-{fault.kind}{'-acted' if fault.acted else ''}"


@pytest.mark.parametrize(
    ("platform", "fault"),
    [(p, f) for p in PLATFORMS for f in FAULTS],
    ids=[_case(p, f) for p in PLATFORMS for f in FAULTS],
)
async def test_a_failed_send_still_delivers_the_reminder_and_the_alert_once(
    platform: str, fault: Fault, scene_on: Callable[[World], Scene]
) -> None:
    plan = FaultPlan()
    plan.force(SEND_CALL[platform], fault)
    scene = await new_scene(platform, scene_on, plan)
    async with running(scene) as app:
        await scene.world.post(scene.chat, scene.parent, ABUSIVE)
        await until(lambda: bool(scene.reminders() and scene.alerts()), "a reminder and an alert")
        await settled(app)
        actions = await app.store.actions()

    assert plan.total() == 1  # the fault was met
    assert {(a.kind, a.status) for a in actions} == {("remind", "done"), ("alert", "done")}
    reminders, alerts = len(scene.reminders()), len(scene.alerts())
    if platform == "telegram" and (fault.kind, fault.acted) in TELEGRAM_BLIND:
        assert sorted([reminders, alerts]) == [1, 2]  # the one that met the fault went twice
    else:
        assert (reminders, alerts) == (1, 1)
    resent_blind = sum(a.blind_resends for a in actions)
    if platform == "telegram" and fault.kind != "429":
        # A 5xx, a timeout or a drop leaves it unknown whether Telegram acted, and Telegram
        # cannot be asked: the bot says so by counting the unchecked resend.
        assert resent_blind == 1
    else:
        assert resent_blind == 0
