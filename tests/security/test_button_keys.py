"""Alert buttons carry an incident key: a real alert's button with another school's key in it
is refused (and audited under that school), and garbage or malformed keys do nothing at all."""

from __future__ import annotations

import pytest

from bot import texts
from bot.model import ButtonAction, ChatRef, CommandName

from .matrix import PLATFORMS
from .worlds import World
from .worlds.discord_world import DiscordWorld

pytestmark = pytest.mark.asyncio(loop_scope="module")

ALERT_ACTIONS = (ButtonAction.DISMISS, ButtonAction.DELETE, ButtonAction.CLOSE)
# Keys no alert ever had: look-alikes of a real one, injection attempts, odd characters.
UNKNOWN_KEYS = (
    "{key}x",
    "{key}:{key}",
    "{KEY}",
    "../{key}",
    "' OR '1'='1",
    "%",
    "*",
    "ключ-🙂",
)
# Button data that is not ours or is malformed: ignored, or answered as an unknown alert.
NOT_OURS = (
    "sg:close:",
    "sg:explode:{key}",
    "sg:CLOSE:{key}",
    "xx:close:{key}",
    "sg",
    "{key}",
    "sg:close:\x00\n",
    "sg:close:" + "x" * 300,
)
IGNORED = ("", "This button is no longer in use.", texts.UNKNOWN_ALERT)


async def incident_status(world: World, key: str) -> str:
    [incident] = [i for i in await world.app.store.incidents() if i.key == key]
    return incident.status


async def closed(world: World, chat: str) -> bool:
    return (await world.app.store.chat_state(ChatRef(world.platform, chat))).closed


@pytest.mark.parametrize("bot_on", PLATFORMS, indirect=True)
async def test_another_schools_key_in_a_real_button_is_refused_and_audited(bot_on: World) -> None:
    world = bot_on
    ours = await world.flag()
    theirs = await world.flag(other_school=True)
    audited = len(await world.app.store.audit_log())
    mark = world.mark()

    replies = []
    for action in ALERT_ACTIONS:
        forged = ours.buttons[action].replace(ours.key, theirs.key)
        assert forged != ours.buttons[action]
        replies.append((await world.press("slt_this", forged)).reply)
    await world.settle()

    assert replies == [texts.NOT_ALLOWED] * len(ALERT_ACTIONS)
    assert world.effects_since(mark) == []
    assert await incident_status(world, theirs.key) == "open"
    assert not await closed(world, world.other_chat)
    refused = [
        (e.school_id, e.action, e.target, e.outcome)
        for e in (await world.app.store.audit_log())[audited:]
    ]
    assert refused == [
        ("hillside", f"button:{action.value}", theirs.key, "refused") for action in ALERT_ACTIONS
    ]
    # The forged data is a well-formed button: the other school's own SLT may press it.
    dismiss = ours.buttons[ButtonAction.DISMISS].replace(ours.key, theirs.key)
    assert (await world.press("slt_other", dismiss)).reply not in (texts.NOT_ALLOWED,)
    assert await incident_status(world, theirs.key) == "dismissed"


@pytest.mark.parametrize("bot_on", PLATFORMS, indirect=True)
async def test_unknown_keys_do_nothing(bot_on: World) -> None:
    world = bot_on
    ours = await world.flag()
    mark = world.mark()
    audited = len(await world.app.store.audit_log())

    replies = set()
    for template in UNKNOWN_KEYS:
        key = template.format(key=ours.key, KEY=ours.key.upper())
        for action in ALERT_ACTIONS:
            replies.add((await world.press("slt_this", f"sg:{action.value}:{key}")).reply)
    await world.settle()

    assert replies == {texts.UNKNOWN_ALERT}
    assert world.effects_since(mark) == []
    assert await incident_status(world, ours.key) == "open"
    assert not await closed(world, world.chat)
    assert [e.outcome for e in (await world.app.store.audit_log())[audited:]] == []


@pytest.mark.parametrize("bot_on", ["telegram", "discord", "slack"], indirect=True)
async def test_button_data_that_is_not_ours_is_ignored(bot_on: World) -> None:
    world = bot_on
    ours = await world.flag()
    mark = world.mark()

    for template in NOT_OURS:
        outcome = await world.press("slt_this", template.format(key=ours.key), answered=False)
        assert outcome.reply in IGNORED
    # Still answering, and nothing was done.
    status = await world.command("slt_this", CommandName.STATUS)
    await world.settle()

    assert "is open" in status.reply
    assert world.effects_since(mark) == []
    assert await incident_status(world, ours.key) == "open"


@pytest.mark.parametrize("bot_on", ["discord"], indirect=True)
async def test_a_staff_role_counts_only_in_its_own_schools_server(bot_on: World) -> None:
    """`discord.admin_roles` lists the staff roles of every school's server; a role of one
    school's server gives no rights over another school's incidents."""
    world = bot_on
    assert isinstance(world, DiscordWorld)
    servers = world.servers
    ours = await world.flag()
    mark = world.mark()
    audited = len(await world.app.store.audit_log())
    # A button pressed inside Hillside's server by Hillside's staff, carrying Riverside's key.
    there = world.fake.post(servers.other_channel, servers.other_teacher, "hello")

    for action in ALERT_ACTIONS:
        outcome = await world.press_on(
            there, ours.buttons[action], servers.other_teacher, in_guild=True
        )
        assert outcome.reply == texts.NOT_ALLOWED
    await world.settle()

    assert world.effects_since(mark) == []
    assert await incident_status(world, ours.key) == "open"
    refused = [e for e in (await world.app.store.audit_log())[audited:] if e.outcome == "refused"]
    assert [(e.school_id, e.actor_id) for e in refused] == [
        ("riverside", str(servers.other_teacher))
    ] * len(ALERT_ACTIONS)

    # Riverside's staff role, pressed inside Riverside's server, makes its holder an admin
    # there; and admins never decide an incident.
    here = world.fake.post(servers.channel, servers.users["role_admin"], "hello")
    dismiss = ours.buttons[ButtonAction.DISMISS]
    outcome = await world.press_on(here, dismiss, servers.users["role_admin"], in_guild=True)
    assert outcome.reply == texts.NOT_ALLOWED
    assert await incident_status(world, ours.key) == "open"
    [entry] = [e for e in await world.app.store.audit_log() if e.action == "button:dismiss"][-1:]
    assert (entry.actor_id, entry.outcome, entry.detail) == (
        str(servers.users["role_admin"]),
        "refused",
        "role: admin",
    )
