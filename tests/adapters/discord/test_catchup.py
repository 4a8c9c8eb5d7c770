"""Messages posted while the bot was offline are read from the channel history at start."""

from __future__ import annotations

from bot.config import Config
from tests.adapters.discord.conftest import ABUSIVE, CLEAN, Running, World, running


async def test_messages_posted_while_offline_are_moderated_on_catch_up(
    world: World, config: Config
) -> None:
    async with running(config, world.fake) as before:
        seen = await world.fake.say(world.channel, world.parent, CLEAN)
        await before.settle()

    missed = world.fake.post(world.channel, world.parent, ABUSIVE)  # nobody connected
    world.fake.post(world.channel, world.other_parent, CLEAN)

    async with running(config, world.fake) as after:
        (read, *_) = world.fake.calls("GET", rf"/channels/{world.channel}/messages")
        assert read.query["after"] == seen["id"]
        (incident,) = await after.app.store.incidents()
        assert incident.message_id == missed["id"]
        assert len(world.fake.dms_to(world.parent)) == 1
        assert len(world.fake.dms_to(world.slt)) == 1


async def test_a_restart_does_not_act_again_on_what_was_seen(world: World, config: Config) -> None:
    async with running(config, world.fake) as first:
        flagged = await world.fake.say(world.channel, world.parent, ABUSIVE)
        await first.settle()
    world.fake.requests.clear()

    async with running(config, world.fake) as second:
        (read,) = world.fake.calls("GET", rf"/channels/{world.channel}/messages")
        assert read.query["after"] == flagged["id"]
        assert len(await second.app.store.incidents()) == 1
        assert world.fake.calls("POST", r"/channels/\d+/messages") == []


async def test_a_first_start_leaves_old_history_alone(world: World, config: Config) -> None:
    world.fake.post(world.channel, world.parent, ABUSIVE)  # before the bot was added

    async with running(config, world.fake) as bot:
        assert world.fake.calls("GET", r"/channels/\d+/messages") == []
        assert await bot.app.store.incidents() == []


async def test_messages_missed_while_reconnecting_are_caught_up(world: World, bot: Running) -> None:
    seen = await world.fake.say(world.channel, world.parent, CLEAN)
    await bot.settle()

    await world.fake.drop_connections()  # the session cannot be resumed: a new one starts
    missed = world.fake.post(world.channel, world.parent, ABUSIVE)
    # discord.py waits 5 s before identifying again (Discord's identify rate limit).
    (read,) = await world.fake.wait_for("GET", rf"/channels/{world.channel}/messages")
    await bot.settle()

    assert read.query["after"] == seen["id"]
    (incident,) = await bot.app.store.incidents()
    assert incident.message_id == missed["id"]
    assert len(world.fake.identifies) == 2
    assert len(world.fake.calls("PUT", r"/applications/\d+/guilds/\d+/commands")) == 1
