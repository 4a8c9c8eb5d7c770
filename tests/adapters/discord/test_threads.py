"""Threads: moderated with the channel they were opened under; a listed thread is locked and
archived to close it."""

from __future__ import annotations

from collections.abc import Callable

from bot.config import Config
from tests.adapters.discord.conftest import ABUSIVE, World, running


async def test_a_thread_under_the_class_chat_is_moderated_with_it(
    world: World, config: Config
) -> None:
    thread = world.fake.add_thread(world.guild, world.channel, "swimming kit")
    world.fake.dm_blocked.add(world.parent)

    async with running(config, world.fake) as bot:
        await world.fake.say(thread, world.parent, ABUSIVE)
        await bot.settle()

        (incident,) = await bot.app.store.incidents()
        assert (incident.chat.chat_id, incident.chat.thread_id) == (str(world.channel), str(thread))
        (nudge,) = world.fake.sent_to(thread)  # said where it happened
        assert nudge["content"].startswith(f"<@{world.parent}>")
        assert world.fake.sent_to(world.channel) == []


async def test_a_listed_thread_is_locked_and_archived_to_close_it(
    world: World, make_config: Callable[..., Config]
) -> None:
    thread = world.fake.add_thread(world.guild, world.channel, "year 3 trip")

    async with running(make_config(chat=thread), world.fake) as bot:
        await world.fake.interaction_reply(await world.fake.command(thread, world.slt, "close"))
        await bot.settle()
        (lock,) = world.fake.calls("PATCH", rf"/channels/{thread}")
        assert (lock.body["locked"], lock.body["archived"]) == (True, True)

        await world.fake.interaction_reply(await world.fake.command(thread, world.slt, "reopen"))
        await bot.settle()

        _, unlock = world.fake.calls("PATCH", rf"/channels/{thread}")
        assert (unlock.body["locked"], unlock.body["archived"]) == (False, False)
        assert world.fake.calls("PUT", r"/channels/\d+/permissions/\d+") == []
