"""An incident is decided once, on every platform: a second decision on the same alert is
refused politely, saying who decided what and when, and the alert as SLT see it loses its
buttons for that line (edited through the outbox with the platform's own edit call)."""

from __future__ import annotations

import pytest

from bot.model import ButtonAction

from .matrix import PLATFORMS
from .worlds import World

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest.mark.parametrize("bot_on", PLATFORMS, indirect=True)
async def test_a_decided_incident_refuses_further_decisions_and_its_alert_shows_who_decided(
    bot_on: World,
) -> None:
    world = bot_on
    await world.set_closed(None)
    flagged = await world.flag()
    sent_text, sent_buttons = world.shown_alert(flagged)
    assert set(sent_buttons) == set(flagged.buttons.values())

    first = await world.press("slt_this", flagged.buttons[ButtonAction.DISMISS])
    await world.settle()
    assert "not a breach" in first.reply
    mark = world.mark()
    audited = len(await world.app.store.audit_log())

    second = await world.press("slt_this", flagged.buttons[ButtonAction.DELETE])
    await world.settle()
    assert second.reply.startswith("This has already been decided.")
    assert "marked it as not a breach on" in second.reply
    assert world.effects_since(mark) == []  # nothing deleted
    [refusal] = (await world.app.store.audit_log())[audited:]
    assert (refusal.action, refusal.outcome, refusal.detail) == (
        "button:delete",
        "refused",
        "already decided",
    )
    [incident] = [i for i in await world.app.store.incidents() if i.key == flagged.key]
    assert incident.status == "dismissed"

    text, buttons = world.shown_alert(flagged)
    assert buttons == []
    assert text.startswith(sent_text.splitlines()[0])
    assert "Decided:" in text
    assert "marked it as not a breach on" in text
