"""`DiscordPlatform`: the core's view of Discord (the `Platform` protocol)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime

import discord
import discord.gateway
import discord.http
import yarl

from adapters.discord.chats import PLATFORM, ConfiguredChats
from adapters.discord.client import SchoolgateClient
from adapters.discord.delivery import Deliverer
from adapters.discord.permissions import ALWAYS, AT_BEST, capabilities
from bot.config import Config
from bot.model import Action, ChatRef, Delivery
from bot.platform import Capability, EventSink, PlatformSetupError

log = logging.getLogger(__name__)

DISCORD_API = "https://discord.com/api/v10"
DISCORD_GATEWAY = "wss://gateway.discord.gg/"
CONNECT_TIMEOUT = 60.0


class DiscordError(PlatformSetupError):
    """Discord refused to let the bot connect; the message says what to fix."""


class DiscordPlatform:
    name = PLATFORM

    def __init__(self, config: Config, *, guild_ready_timeout: float = 2.0) -> None:
        if config.discord is None:
            raise ValueError("the config has no 'discord:' section")
        self.settings = config.discord
        self.chats = ConfiguredChats.from_config(config)
        # How long discord.py waits for the servers after READY; tests shorten it.
        self._guild_ready_timeout = guild_ready_timeout
        self._client: SchoolgateClient | None = None
        self._deliverer: Deliverer | None = None
        self._running: asyncio.Task[None] | None = None

    @property
    def capabilities(self) -> frozenset[Capability]:
        return AT_BEST

    def capabilities_in(self, chat: ChatRef) -> frozenset[Capability]:
        client = self._client
        if client is None or not client.is_ready():
            return AT_BEST  # not known yet; delivery reports what fails
        channel = client.get_channel(int(chat.chat_id))
        if not isinstance(channel, discord.abc.GuildChannel | discord.Thread):
            return ALWAYS
        perms = channel.permissions_for(channel.guild.me)
        return capabilities(perms, thread=isinstance(channel, discord.Thread))

    def message_link(self, chat: ChatRef, message_id: str) -> str | None:
        """https://discord.com/channels/<server>/<channel>/<message>, for a channel (or
        thread) of a server the bot has seen."""
        client = self._client
        if client is None or not chat.chat_id.isdigit():
            return None
        channel = client.get_channel(int(chat.chat_id))
        if not isinstance(channel, discord.abc.GuildChannel | discord.Thread):
            return None
        return f"https://discord.com/channels/{channel.guild.id}/{chat.chat_id}/{message_id}"

    async def start(self, events: EventSink) -> None:
        if self._running is not None:
            return
        # discord.py reads both from class attributes: one Discord connection per process.
        discord.http.Route.BASE = self.settings.api_url or DISCORD_API
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(
            self.settings.gateway_url or DISCORD_GATEWAY
        )
        client = SchoolgateClient(self.chats, guild_ready_timeout=self._guild_ready_timeout)
        client.attach(events)
        self._client = client
        self._deliverer = Deliverer(client, self.settings.welcome_channel)
        token = self.settings.token.get_secret_value()
        self._running = asyncio.create_task(client.start(token), name="schoolgate-discord")
        self._running.add_done_callback(_report_end)
        ready = asyncio.create_task(client.ready_once.wait())
        done, _ = await asyncio.wait(
            {ready, self._running}, timeout=CONNECT_TIMEOUT, return_when=asyncio.FIRST_COMPLETED
        )
        if ready not in done:
            ready.cancel()
            failure, refused = _explain(self._running), _refused(self._running)
            await self.stop()
            # A refused token or intent needs the admin; anything else may pass: try again.
            raise DiscordError(failure) if refused else ConnectionError(failure)

    async def stop(self) -> None:
        client, running = self._client, self._running
        self._client = self._deliverer = self._running = None
        if client is None:
            return
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(client.settle(), timeout=5.0)
        await client.close()
        if running is not None:
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await asyncio.wait_for(running, timeout=5.0)

    async def settle(self) -> None:
        """Return once every Discord event received so far has reached the core."""
        if self._client is not None:
            await self._client.settle()

    async def deliver(self, action: Action) -> Delivery:
        return await (await self._ready_deliverer()).deliver(action)

    async def redeliver(self, action: Action, since: datetime) -> Delivery:
        """Deliver an action an unanswered attempt may already have sent (see delivery.py)."""
        return await (await self._ready_deliverer()).redeliver(action, since)

    async def _ready_deliverer(self) -> Deliverer:
        client, deliverer = self._client, self._deliverer
        if client is None or deliverer is None:
            raise ConnectionError("Discord is not connected")  # transient: retried later
        await asyncio.wait_for(client.ready_once.wait(), timeout=CONNECT_TIMEOUT)
        return deliverer


def _explain(running: asyncio.Task[None]) -> str:
    if not running.done():
        return f"no answer from Discord within {CONNECT_TIMEOUT:.0f}s"
    exc = running.exception() if not running.cancelled() else None
    if isinstance(exc, discord.LoginFailure):
        return "Discord rejected the bot token (discord.token in the config)"
    if isinstance(exc, discord.PrivilegedIntentsRequired):
        return (
            "Discord refused the Message Content and Server Members intents: turn both on "
            "on the Bot page of the developer portal (docs/discord.md)"
        )
    return f"could not connect to Discord: {type(exc).__name__}: {exc}"


def _refused(running: asyncio.Task[None]) -> bool:
    exc = running.exception() if running.done() and not running.cancelled() else None
    return isinstance(exc, discord.LoginFailure | discord.PrivilegedIntentsRequired)


def _report_end(running: asyncio.Task[None]) -> None:
    if running.cancelled():
        return
    exc = running.exception()
    if exc is not None:
        log.error("the Discord connection ended: %s", _explain(running))
