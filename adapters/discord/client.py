"""The discord.py client: connects, turns gateway events into calls on the core, and says at
start what it cannot do in each moderated channel.

Events are handled in tasks the client keeps track of (`settle` waits for them), so a test or
a shutdown knows when everything received so far has reached the core. A chat's messages reach
the core one at a time in the order they arrived, and wait while the chat's history is caught
up on after each new session (see adapters/catchup_gate.py).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from contextlib import suppress
from typing import Any

import discord

from adapters.catchup_gate import CatchUpGate
from adapters.discord.catchup import catch_up
from adapters.discord.chats import ConfiguredChats
from adapters.discord.commands import command_tree, sync_to
from adapters.discord.events import (
    ContentIntentWatch,
    chat_message,
    is_written_by_a_person,
    user_ref,
)
from adapters.discord.interactions import CoreLink
from adapters.discord.permissions import missing
from adapters.discord.snowflakes import bad_id
from adapters.discord.views import CoreButton
from bot.platform import EventSink, NotStored

log = logging.getLogger(__name__)

# discord.py waits out shorter rate limits itself; a longer one is handed to the outbox.
LONGEST_WAIT = 30.0


def intents() -> discord.Intents:
    wanted = discord.Intents.default()
    wanted.message_content = True  # privileged: without it message text arrives empty
    wanted.members = True  # privileged: member joins, for the welcome
    return wanted


class SchoolgateClient(discord.Client):
    def __init__(self, chats: ConfiguredChats, *, guild_ready_timeout: float) -> None:
        # The bot never joins voice: no warnings about voice libraries at every start.
        discord.VoiceClient.warn_nacl = discord.VoiceClient.warn_dave = False
        super().__init__(
            intents=intents(),
            chunk_guilds_at_startup=False,  # members come with their events
            max_messages=None,  # keep no copies of message text
            guild_ready_timeout=guild_ready_timeout,
            max_ratelimit_timeout=LONGEST_WAIT,
            allowed_mentions=discord.AllowedMentions.none(),
        )
        self.link = CoreLink(chats)
        self.tree = command_tree(self)
        self.ready_once = asyncio.Event()
        self._content_watch = ContentIntentWatch()
        self._event_tasks: set[asyncio.Task[None]] = set()
        self._commands_synced = False
        # Held until the first READY's catch-up; again whenever the session is lost.
        self.gate = CatchUpGate(str(channel_id) for channel_id in chats.ids)
        self._round = self.gate.hold_all()
        _skip_malformed_events(self)

    @property
    def chats(self) -> ConfiguredChats:
        return self.link.chats

    def attach(self, events: EventSink) -> None:
        self.link.events = events

    async def setup_hook(self) -> None:
        self.add_dynamic_items(CoreButton)
        self._content_watch.check_application(self.application_flags)

    # ---- events --------------------------------------------------------------------------

    def dispatch(self, event: str, /, *args: Any, **kwargs: Any) -> None:
        super().dispatch(event, *args, **kwargs)
        if event == "disconnect":
            # A new session does not replay what was missed: hold until it is caught up on.
            self._round = self.gate.hold_all()
        handler = self._moderation_handlers().get(event)
        if handler is not None:
            self._spawn(event, handler(*args))

    def _moderation_handlers(self) -> dict[str, Callable[..., Coroutine[Any, Any, None]]]:
        return {
            "message": self._on_message,
            "raw_message_edit": self._on_raw_edit,
            "member_join": self._on_member_join,
            "ready": self._on_ready,
            "resumed": self._catch_up,
        }

    def _spawn(self, event: str, work: Coroutine[Any, Any, None]) -> None:
        async def guarded() -> None:
            try:
                await work
            except Exception:
                log.exception("failed to handle a Discord %s event", event)

        task = asyncio.create_task(guarded(), name=f"schoolgate-discord-{event}")
        self._event_tasks.add(task)
        task.add_done_callback(self._event_tasks.discard)

    async def settle(self) -> None:
        """Return once every event received so far has been handed to the core."""
        while self._event_tasks:
            await asyncio.gather(*self._event_tasks, return_exceptions=True)

    async def _on_message(self, message: discord.Message) -> None:
        chat = self.chats.ref_of(message.channel)
        key = chat.chat_id if chat is not None else ""
        await self.gate.handle(key, float(message.id), lambda: self.moderate(message))

    async def _on_raw_edit(self, payload: discord.RawMessageUpdateEvent) -> None:
        if payload.message.edited_at is None:
            return  # an embed or a pin changed, not the text
        chat = self.chats.ref_of(payload.message.channel)
        key = chat.chat_id if chat is not None else ""
        await self.gate.handle(key, None, lambda: self.moderate(payload.message, edited=True))

    async def moderate(self, message: discord.Message, *, edited: bool = False) -> None:
        chat = self.chats.ref_of(message.channel)
        if chat is None or self.link.events is None or not is_written_by_a_person(message):
            return
        self._content_watch.check_message(message)
        # Discord has no acknowledgement to withhold. The core keeps a message it could not
        # store and stores it later; the chat's last seen message stays before it meanwhile,
        # so the catch-up after a restart reads it again.
        with suppress(NotStored):
            await self.link.events.on_message(chat_message(message, chat, edited=edited))

    async def _on_member_join(self, member: discord.Member) -> None:
        if member.bot or self.link.events is None:
            return
        here = [c.id for c in member.guild.channels if c.id in self.chats.titles]
        here += [t.id for t in member.guild.threads if t.id in self.chats.titles]
        for chat in self.chats.first_per_school(here):
            await self.link.events.on_member_joined(chat, user_ref(member))

    async def _on_ready(self) -> None:
        """After every READY (start and each new session): check, register, catch up. The
        bot counts as connected before the catch-up, which may take a while on a bad network:
        the chats' live messages wait for it meanwhile, actions need not."""
        try:
            guilds = self._check_chats()
            if not self._commands_synced:
                await sync_to(self.tree, guilds)
                self._commands_synced = True
        finally:
            self.ready_once.set()
        await self._catch_up()

    async def _catch_up(self) -> None:
        """Read what was missed in each chat, then let its held live messages through."""
        round_ = self._round
        events = self.link.events
        if events is None:
            return

        def release(channel_id: int, caught_up_to: float | None) -> None:
            self.gate.release(str(channel_id), round_, caught_up_to)

        await catch_up(self, self.chats, events, self.moderate, release)

    def _check_chats(self) -> set[int]:
        """Log what the bot cannot do in each moderated channel; the guilds they are in."""
        guilds: set[int] = set()
        for channel_id in self.chats.ids:
            channel = self.get_channel(channel_id)
            if not isinstance(channel, discord.abc.GuildChannel | discord.Thread):
                log.error(
                    "Discord channel %s is not visible to the bot: check the id in the config "
                    "and that the bot was invited to that server (docs/discord.md)",
                    channel_id,
                )
                continue
            guilds.add(channel.guild.id)
            lacking = missing(channel.permissions_for(channel.guild.me))
            if lacking:
                log.warning(
                    "in #%s (%s) the bot lacks: %s", channel.name, channel_id, "; ".join(lacking)
                )
            else:
                log.info(
                    "in #%s (%s) the bot has every permission it needs", channel.name, channel_id
                )
        log.info("connected to Discord as %s; moderating %d chats", self.user, len(self.chats.ids))
        return guilds


def _skip_malformed_events(client: discord.Client) -> None:
    """Log and skip, in one line, a gateway event discord.py cannot parse (instead of dropping
    the connection: the library lets a parser's exception end its event loop), or one with an
    id that is not a Discord id (which its parser would let through, to fail later)."""
    parsers = client._connection.parsers
    for name, parse in list(parsers.items()):
        parsers[name] = _guarded(name, parse)


def _guarded(name: str, parse: Callable[[Any], None]) -> Callable[[Any], None]:
    def run(data: Any) -> None:
        where = bad_id(data)
        if where is not None:
            # The path only: neither the value nor the rest of the payload (it may hold text).
            log.warning(
                "skipped a malformed %s event from Discord: %s is not a Discord id", name, where
            )
            return
        try:
            parse(data)
        except Exception as exc:
            # The type only: the payload may hold message text.
            log.warning("skipped a malformed %s event from Discord (%s)", name, type(exc).__name__)

    return run
