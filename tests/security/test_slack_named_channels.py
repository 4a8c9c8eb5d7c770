"""Slack's `/schoolgate <command> #channel` acts on the channel named, wherever it is typed: the
caller must be SLT or an admin of the school that owns the named channel."""

from __future__ import annotations

import pytest

from bot import texts
from bot.model import ChatRef, CommandName

from .worlds import World
from .worlds.slack_world import SlackWorld

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest.mark.parametrize("bot_on", ["slack"], indirect=True)
async def test_naming_another_schools_channel_gives_no_rights_over_it(bot_on: World) -> None:
    world = bot_on
    assert isinstance(world, SlackWorld)
    theirs = f"<#{world.other_chat}|year-6-parents>"
    audited = len(await world.app.store.audit_log())
    mark = world.mark()

    # Riverside's SLT, typing in Riverside's channel, about Hillside's.
    answers = [
        await world.command("slt_this", name, theirs)
        for name in (CommandName.STATUS, CommandName.CLOSE)
    ]
    await world.settle()

    assert [a.reply for a in answers] == [texts.NOT_ALLOWED] * 2
    assert world.effects_since(mark) == []
    entries = (await world.app.store.audit_log())[audited:]
    assert [(e.school_id, e.actor_id, e.action, e.target, e.outcome) for e in entries] == [
        ("hillside", answers[0].actor_id, "status", world.other_chat, "refused"),
        ("hillside", answers[1].actor_id, "close", world.other_chat, "refused"),
    ]

    # Hillside's SLT may, even typing in a channel of Riverside's where they are a member.
    allowed = await world.command("slt_other", CommandName.CLOSE, theirs)
    await world.settle()
    assert allowed.reply != texts.NOT_ALLOWED
    assert world.effects_since(mark) == [f"close {world.other_chat}"]
    assert (await world.app.store.chat_state(ChatRef("slack", world.other_chat))).closed
