"""Reading what was posted while the bot was away.

Discord does not replay messages sent while a bot was offline (a resumed session does, a new
one does not), so after each READY the bot reads every moderated channel's history after the
last message the core saw there. The core de-duplicates, so overlap with live events is fine.
A read that fails for a passing reason (a 5xx, a dropped connection, no answer) is tried again
from the last message handled; live messages in the channel wait meanwhile.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

import aiohttp
import discord

from adapters.discord.chats import ConfiguredChats
from bot.platform import EventSink

log = logging.getLogger(__name__)

# Per channel and start: enough for a long outage in a class chat, bounded for a huge one.
HISTORY_LIMIT = 1000
ATTEMPTS = 8  # reads of one channel's history before giving up on it (with a warning)
READ_WAIT = 5.0  # seconds without an answer before a read counts as failed
_PASSING = (aiohttp.ClientError, OSError, TimeoutError)


async def catch_up(
    client: discord.Client,
    chats: ConfiguredChats,
    events: EventSink,
    moderate: Callable[[discord.Message], Awaitable[None]],
    caught_up: Callable[[int, float | None], None],
) -> None:
    """Catch up on every channel, side by side; `caught_up(channel id, last message id read)`
    follows each as soon as it is done."""

    async def one(channel_id: int) -> None:
        caught_up(channel_id, await _channel(client, chats, events, moderate, channel_id))

    await asyncio.gather(*(one(channel_id) for channel_id in chats.ids))


async def _channel(
    client: discord.Client,
    chats: ConfiguredChats,
    events: EventSink,
    moderate: Callable[[discord.Message], Awaitable[None]],
    channel_id: int,
) -> float | None:
    after = await events.last_seen(chats.ref(channel_id))
    if after is None or not after.isdigit():
        return None  # never seen: the bot was just added, old history is not its business
    channel = client.get_channel(channel_id)
    if not isinstance(channel, discord.TextChannel | discord.Thread | discord.VoiceChannel):
        return None  # reported by the start-up check
    last, read = int(after), 0
    for attempt in range(1, ATTEMPTS + 1):
        try:
            async with asyncio.timeout(READ_WAIT):
                async for message in channel.history(
                    after=discord.Object(last), limit=HISTORY_LIMIT - read, oldest_first=True
                ):
                    await moderate(message)
                    last, read = message.id, read + 1
            break
        except discord.HTTPException as exc:
            passing = exc.status >= 500 or exc.status == 429
            problem = f"{exc.status} {exc.text}"
        except _PASSING as exc:
            passing, problem = True, type(exc).__name__
        if not passing or attempt == ATTEMPTS or read >= HISTORY_LIMIT:
            log.warning(
                "could not read the history of #%s (%s): %s", channel.name, channel_id, problem
            )
            break
        await asyncio.sleep(min(30.0, 2.0 ** (attempt - 1)))
    if read:
        log.info("caught up on %d messages in #%s", read, channel.name)
    return float(last)
