"""Every privileged action against every kind of caller, on every platform: only those the
table in `matrix.py` allows succeed (as the fake platform sees it), and every refusal is
written to the audit log."""

from __future__ import annotations

import pytest

from bot import texts
from bot.model import ChatRef

from .matrix import CALLERS, PLATFORMS, PRIVILEGED, SEES_INCIDENTS, Privileged, applies, may
from .worlds import World

pytestmark = pytest.mark.asyncio(loop_scope="module")

REFUSALS = (texts.NOT_ALLOWED, texts.ANONYMOUS)
STATUS_ANSWER = "Incidents in the last 7 days"
CHAT_STATE = "is open"  # what /status says of an open chat, to everyone allowed it
INCIDENTS_ANSWER = "open incident"  # what /incidents says to SLT: how many, sent how


@pytest.mark.parametrize(
    ("action", "caller"),
    [pytest.param(a, c, id=f"{a.name}-{c}") for a in PRIVILEGED for c in CALLERS],
)
@pytest.mark.parametrize("bot_on", PLATFORMS, indirect=True)
async def test_only_the_allowed_succeed_and_every_refusal_is_audited(
    bot_on: World, action: Privileged, caller: str
) -> None:
    world = bot_on
    if not applies(world.platform, caller):
        pytest.skip(f"not applicable: no {caller} caller on {world.platform}")
    allowed = may(caller, action)
    await world.set_closed(action.closed_by)
    needs_incident = action.button is not None or action.about_incident
    flagged = await world.flag() if needs_incident else None
    audited = len(await world.app.store.audit_log())
    mark = world.mark()

    if action.button is not None:
        assert flagged is not None
        assert action.button in flagged.buttons, f"the alert has no {action.button} button"
        outcome = await world.press(caller, flagged.buttons[action.button])
        target = flagged.key
    else:
        assert action.command is not None
        number = await _number_of(world, flagged.key) if flagged else None
        outcome = await world.command(caller, action.command, str(number or ""))
        target = world.chat
    await world.settle()

    expected = []
    if allowed and action.effect == "delete":
        assert flagged is not None
        expected = [f"delete {world.chat} {flagged.message_id}"]
    elif allowed and action.effect is not None:
        expected = [f"{action.effect} {world.chat}"]
    assert world.effects_since(mark) == expected

    entries = (await world.app.store.audit_log())[audited:]
    refused = [
        (e.school_id, e.actor_id, e.action, e.target) for e in entries if e.outcome == "refused"
    ]
    if allowed:
        assert outcome.reply not in REFUSALS
        assert refused == []
    else:
        assert outcome.reply in REFUSALS
        assert refused == [("riverside", outcome.actor_id, action.audit, target)]

    closed = (await world.app.store.chat_state(ChatRef(world.platform, world.chat))).closed
    if action.effect in ("close", "reopen"):
        assert closed == ((action.closed_by is not None) != allowed)
    if action.name == "status_command":
        assert (CHAT_STATE in outcome.reply) == allowed
        # Incidents, with parents' names, only for those who may see them.
        assert (STATUS_ANSWER in outcome.reply) == (allowed and caller in SEES_INCIDENTS)
    if action.name == "incidents_command":
        assert (INCIDENTS_ANSWER in outcome.reply) == allowed
    if action.name == "incident_command":
        assert flagged is not None
        assert (f"#{await _number_of(world, flagged.key)} " in outcome.reply) == allowed
    if flagged is not None:
        [incident] = [i for i in await world.app.store.incidents() if i.key == flagged.key]
        assert incident.status == ((action.decides or "open") if allowed else "open")


async def _number_of(world: World, key: str) -> int:
    [incident] = [i for i in await world.app.store.incidents() if i.key == key]
    return incident.id
