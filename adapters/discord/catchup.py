"""Reading what was posted while the bot was away.

Discord does not replay messages sent while a bot was offline (a resumed session does, a new
one does not), so after each READY the bot reads every moderated channel's history after the
last message the core saw there. The core de-duplicates, so overlap with live events is fine.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

import discord

from adapters.discord.chats import ConfiguredChats
from bot.platform import EventSink

log = logging.getLogger(__name__)

# Per channel and start: enough for a long outage in a class chat, bounded for a huge one.
HISTORY_LIMIT = 1000


async def catch_up(
    client: discord.Client,
    chats: ConfiguredChats,
    events: EventSink,
    moderate: Callable[[discord.Message], Awaitable[None]],
) -> None:
    for channel_id in chats.ids:
        after = await events.last_seen(chats.ref(channel_id))
        if after is None or not after.isdigit():
            continue  # never seen: the bot was just added, old history is not its business
        channel = client.get_channel(channel_id)
        if not isinstance(channel, discord.TextChannel | discord.Thread | discord.VoiceChannel):
            continue  # reported by the start-up check
        read = 0
        try:
            async for message in channel.history(
                after=discord.Object(int(after)), limit=HISTORY_LIMIT, oldest_first=True
            ):
                read += 1
                await moderate(message)
        except discord.HTTPException as exc:
            log.warning(
                "could not read the history of #%s (%s): %s %s",
                channel.name,
                channel_id,
                exc.status,
                exc.text,
            )
        if read:
            log.info("caught up on %d messages in #%s", read, channel.name)
