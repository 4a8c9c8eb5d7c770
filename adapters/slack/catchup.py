"""Catching up after downtime: Slack drops events it could not deliver, so at start the
adapter reads each channel's history since the last message the core saw and feeds it in.
The core de-duplicates, so a message seen both live and here is handled once. A read that
fails for a passing reason is tried again; live messages in the channel wait meanwhile."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.clients import describe_error, error_code
from adapters.slack.events import MALFORMED, chat_ref, message_from_slack
from bot.model import ChatMessage
from bot.platform import EventSink

log = logging.getLogger(__name__)

PAGE_SIZE = 200
MAX_MESSAGES = 2000  # per channel: a long outage is caught up on its most recent messages
ATTEMPTS = 8  # reads of one channel's history before giving up on it (with a warning)
READ_WAIT = 5.0  # seconds without an answer before a read counts as failed
# Slack's answers that no second try can change.
_FOR_GOOD = {"channel_not_found", "not_in_channel", "missing_scope", "invalid_auth"}


async def catch_up_with_retries(
    client: AsyncWebClient,
    events: EventSink,
    channel: str,
    with_names: Callable[[ChatMessage], Awaitable[ChatMessage]],
) -> float | None:
    """`catch_up`, tried again after a failure that may pass; the newest ts read, if any."""
    for attempt in range(1, ATTEMPTS + 1):
        try:
            return await catch_up(client, events, channel, with_names)
        except Exception as error:
            for_good = isinstance(error, SlackApiError) and error_code(error) in _FOR_GOOD
            if for_good or attempt == ATTEMPTS:
                log.warning(
                    "could not catch up on Slack channel %s: %s", channel, describe_error(error)
                )
                return None
        await asyncio.sleep(min(30.0, 2.0 ** (attempt - 1)))
    return None


async def catch_up(
    client: AsyncWebClient,
    events: EventSink,
    channel: str,
    with_names: Callable[[ChatMessage], Awaitable[ChatMessage]],
) -> float | None:
    """Feed the channel's messages newer than the core's last seen one; returns the newest ts
    read (None when nothing was).

    A channel the core has never seen is not replayed: the bot starts from now.
    """
    oldest = await events.last_seen(chat_ref(channel))
    if oldest is None:
        return None
    found = await _history_since(client, channel, oldest)
    fed = 0
    for raw in sorted(found, key=lambda m: float(m.get("ts") or 0)):
        try:
            message = message_from_slack(channel, raw)
        except MALFORMED as error:
            log.warning(
                "skipped a malformed message in %s history: %s", channel, type(error).__name__
            )
            continue
        if message is not None:
            await events.on_message(await with_names(message))
            fed += 1
    log.info("caught up on %d messages in Slack channel %s", fed, channel)
    return max((float(m.get("ts") or 0) for m in found), default=None)


async def _history_since(client: AsyncWebClient, channel: str, oldest: str) -> list[dict[str, Any]]:
    """Newest pages first, as Slack serves them, up to MAX_MESSAGES."""
    messages: list[dict[str, Any]] = []
    cursor: str | None = None
    while len(messages) < MAX_MESSAGES:
        async with asyncio.timeout(READ_WAIT):
            page = await client.conversations_history(
                channel=channel, oldest=oldest, limit=PAGE_SIZE, cursor=cursor
            )
        messages.extend(page.get("messages") or [])
        cursor = (page.get("response_metadata") or {}).get("next_cursor")
        if not page.get("has_more") or not cursor:
            break
    return messages[:MAX_MESSAGES]
