"""Gateway events whose ids are not Discord ids (out of 64 bits, signed, not plain digits),
through the real discord.py client: each is skipped with one warning line, and the next good
message is moderated."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from tests.adapters.discord.conftest import ABUSIVE, Running, World
from tests.payloads.discord import build

CASES = [
    ("MESSAGE_CREATE", "id", str(2**64)),
    ("MESSAGE_CREATE", "id", str(2**70)),
    ("MESSAGE_CREATE", "id", "-5"),
    ("MESSAGE_CREATE", "channel_id", "12ab"),
    ("MESSAGE_CREATE", "guild_id", str(2**70)),
    ("MESSAGE_CREATE", "author.id", str(2**65)),
    ("MESSAGE_CREATE", "author.id", "\uff11\uff12\uff13"),  # full-width digits: int() takes them
    ("MESSAGE_UPDATE", "id", str(2**70)),
]


def abusive_message(world: World, path: str, value: str) -> dict[str, Any]:
    """A member's abusive message in the class chat, with one id replaced by `value`."""
    payload: dict[str, Any] = dict(
        build.message(
            world.fake.ids(),
            world.channel,
            world.fake.users[world.parent],
            ABUSIVE,
            guild_id=world.guild,
            author_member=world.fake.member_payload(world.guild, world.parent),
        )
    )
    *parents, last = path.split(".")
    node = payload
    for key in parents:
        node[key] = node = dict(node[key])
    node[last] = value
    return payload


@pytest.mark.parametrize(("event", "path", "value"), CASES)
async def test_an_event_with_an_id_out_of_range_is_skipped_in_one_line(
    world: World,
    bot: Running,
    caplog: pytest.LogCaptureFixture,
    event: str,
    path: str,
    value: str,
) -> None:
    caplog.set_level(logging.INFO)
    await world.fake.dispatch(event, abusive_message(world, path, value))
    await bot.settle()
    await world.fake.say(world.channel, world.parent, ABUSIVE)
    await bot.settle()

    [incident] = await bot.app.store.incidents()  # the good one only
    assert int(incident.message_id) < 2**64
    assert world.fake.connected
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    [skipped] = warnings
    assert skipped.name.startswith("adapters.discord")
    assert skipped.getMessage() == (
        f"skipped a malformed {event} event from Discord: {path} is not a Discord id"
    )
    assert skipped.exc_info is None
    assert not [r for r in caplog.records if r.exc_info]
    assert all(ABUSIVE not in r.getMessage() for r in caplog.records)
