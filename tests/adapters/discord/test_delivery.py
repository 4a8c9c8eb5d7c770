"""Delivery when Discord pushes back (rate limits, server errors), and welcomes."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.clock import ManualClock
from bot.config import Config
from bot.model import Alert, Button, ButtonAction, ChatRef, UserRef
from tests.adapters.discord.conftest import ABUSIVE, World, custom_ids, running

SEND = r"/channels/\d+/messages"


async def test_a_short_rate_limit_is_waited_out_by_discord_py(world: World, config: Config) -> None:
    async with running(config, world.fake) as bot:
        world.fake.rate_limit("POST", SEND, retry_after=0.05)
        await world.fake.say(world.channel, world.parent, ABUSIVE)
        await bot.settle()

        dm = world.fake.dm_channel_of(world.parent)
        assert len(world.fake.calls("POST", rf"/channels/{dm}/messages")) == 2  # 429, then sent
        (remind,) = await bot.app.store.actions(kind="remind")
        assert (remind.status, remind.attempts) == ("done", 1)


async def test_a_long_rate_limit_goes_back_to_the_outbox(world: World, config: Config) -> None:
    clock = ManualClock()
    async with running(config, world.fake, clock=clock) as bot:
        world.fake.rate_limit("POST", SEND, retry_after=120)
        await world.fake.say(world.channel, world.parent, ABUSIVE)
        await bot.settle()

        (remind,) = await bot.app.store.actions(kind="remind")
        assert remind.status == "pending"
        assert (remind.next_attempt_at - clock.now()).total_seconds() == 120
        assert world.fake.dms_to(world.parent) == []

        clock.advance(121)
        await bot.settle()

        assert len(world.fake.dms_to(world.parent)) == 1
        (remind,) = await bot.app.store.actions(kind="remind")
        assert remind.status == "done"


async def test_a_server_error_is_retried_by_the_outbox(world: World, config: Config) -> None:
    clock = ManualClock()
    async with running(config, world.fake, clock=clock) as bot:
        # 503 is not among the statuses discord.py retries itself.
        world.fake.fail("POST", SEND, 503, {"message": "Service Unavailable", "code": 0})
        await world.fake.say(world.channel, world.parent, ABUSIVE)
        await bot.settle()
        (remind,) = await bot.app.store.actions(kind="remind")
        assert (remind.status, remind.attempts) == ("pending", 1)

        clock.advance(600)
        await bot.settle()

        (remind,) = await bot.app.store.actions(kind="remind")
        assert (remind.status, remind.path) == ("done", "dm")
        assert len(world.fake.dms_to(world.parent)) == 1


async def test_a_new_member_is_welcomed_by_dm_and_can_accept_the_code(
    world: World, config: Config
) -> None:
    async with running(config, world.fake) as bot:
        newcomer = await world.fake.member_joins(world.guild, "new-parent")
        await bot.settle()

        (welcome,) = world.fake.dms_to(newcomer)
        (accept,) = custom_ids(welcome).values()
        pressed = await world.fake.press(welcome, accept, newcomer)
        await world.fake.interaction_reply(pressed)

        (ack,) = await bot.app.store.acknowledgements()
        assert (ack.user_id, ack.school_id) == (str(newcomer), "riverside")
        assert ack.code_version == config.schools[0].policy.version


async def test_a_member_who_blocks_dms_is_welcomed_in_the_welcome_channel(
    world: World, config: Config
) -> None:
    async with running(config, world.fake) as bot:
        newcomer = await world.fake.member_joins(world.guild, "private-parent", blocks_dms=True)
        await bot.settle()

        (welcome,) = world.fake.sent_to(world.welcome_channel)
        assert welcome["content"].startswith(f"<@{newcomer}>")
        (accept,) = custom_ids(welcome).values()
        pressed = await world.fake.press(welcome, accept, newcomer, in_guild=True)
        await world.fake.interaction_reply(pressed)

        (ack,) = await bot.app.store.acknowledgements()
        assert ack.user_id == str(newcomer)
        (action,) = await bot.app.store.actions(kind="welcome")
        assert action.path == "welcome_channel"


async def test_a_message_discord_would_refuse_is_given_up_on_at_once(
    world: World, config: Config
) -> None:
    """More than 25 buttons or 2,000 characters cannot succeed however often it is tried: the
    alert fails at its first attempt, and its fallback is used, instead of six hours of retries."""
    slt = UserRef("discord", str(world.slt), "SLT")
    chat = ChatRef("discord", str(world.channel))
    buttons = tuple(
        Button(ButtonAction.DISMISS, f"incident{n}", f"Not a breach ({n})") for n in range(27)
    )
    too_many = Alert(
        key="a-buttons", chat=chat, recipient=slt, incident_key="i", text="x", buttons=buttons
    )
    too_long = Alert(
        key="a-long", chat=chat, recipient=slt, incident_key="i", text="x" * 2001, buttons=()
    )
    async with running(config, world.fake) as bot:
        async with bot.app.store.transaction() as s:
            await s.add_actions([too_many, too_long], datetime.now(UTC), school_id="riverside")
        bot.app.outbox.wake()
        await bot.settle()
        rows = {row.key: row for row in await bot.app.store.actions(kind="alert")}
        assert (rows["a-buttons"].status, rows["a-buttons"].attempts) == ("failed", 1)
        assert (rows["a-long"].status, rows["a-long"].attempts) == ("failed", 1)
        assert world.fake.dms_to(world.slt) == []
