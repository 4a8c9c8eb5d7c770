"""Catching up after downtime: Slack drops events it could not deliver, so at start the
adapter reads each channel's history since the last message the core saw (the cursor) and
feeds it in, oldest first. The core de-duplicates, so a message seen both live and here is
handled once. A read that fails for a passing reason is tried again; live messages in the
channel wait meanwhile.

`conversations.history` lists only top-level messages, so replies posted in threads meanwhile
are read with `conversations.replies`, from the cursor on, for each parent whose `latest_reply`
is newer than the cursor: parents posted since the cursor, and parents from THREAD_LOOKBACK
before it (at most MAX_EARLIER of them), since an older message can get new replies too.
Replies in threads begun before that are not caught up on.

A message whose ts is missing or not as Slack writes it is logged (never its text) and
skipped; the rest of the channel is still caught up on.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator, Awaitable, Callable, Iterable, Mapping
from contextlib import aclosing, suppress
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from adapters.slack.clients import describe_error, error_code
from adapters.slack.events import (
    MALFORMED,
    chat_ref,
    message_from_slack,
    slack_ts,
    ts_to_datetime,
)
from bot.model import ChatMessage
from bot.platform import EventSink, NotStored

log = logging.getLogger(__name__)

PAGE_SIZE = 200
MAX_MESSAGES = 2000  # per channel: a long outage is caught up on its most recent messages
THREAD_LOOKBACK = 2 * 24 * 3600.0  # seconds before the cursor whose threads are looked into
MAX_EARLIER = PAGE_SIZE  # messages before the cursor looked into for new replies
MAX_THREADS = 50  # threads read per channel, those replied to most recently first
MAX_REPLIES = 1000  # replies read per thread
ATTEMPTS = 8  # reads of one channel's history before giving up on it (with a warning)
READ_WAIT = 5.0  # seconds without an answer before a read counts as failed
# Slack's answers that no second try can change.
_FOR_GOOD = {"channel_not_found", "not_in_channel", "missing_scope", "invalid_auth"}

Found = tuple[float, Mapping[str, Any]]  # a message read, with its ts as a number


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
    """Feed the channel's messages and thread replies newer than the core's last seen one;
    returns the newest ts of the top-level messages read (None when there were none).

    Only top-level messages count towards the returned ts: every one up to it was read, which
    cannot be said of thread replies (see adapters/catchup_gate.py for how it is used). A
    channel the core has never seen is not replayed: the bot starts from now.
    """
    cursor = await events.last_seen(chat_ref(channel))
    if cursor is None:
        return None
    try:
        since = float(slack_ts(cursor))
    except ValueError as error:
        log.warning("not catching up on Slack channel %s: its last seen id has %s", channel, error)
        return None
    newer, earlier = await _top_level(client, channel, since)
    replies = await _new_replies(client, channel, [*newer, *earlier], cursor)
    found = dict([*newer, *replies])  # by ts: a reply also sent to the channel is in both
    fed = 0
    for ts in sorted(found):
        try:
            message = message_from_slack(channel, found[ts])
        except MALFORMED as error:
            log.warning(
                "skipped a malformed message in %s history: %s", channel, type(error).__name__
            )
            continue
        if message is not None:
            # One the core could not store, it keeps and stores later; the channel's last seen
            # message stays before it meanwhile, so the next start reads it again.
            with suppress(NotStored):
                await events.on_message(await with_names(message))
            fed += 1
    log.info(
        "caught up on %d messages in Slack channel %s (%d thread replies read)",
        fed,
        channel,
        len(replies),
    )
    return max((ts for ts, _ in newer), default=None)


async def _top_level(
    client: AsyncWebClient, channel: str, since: float
) -> tuple[list[Found], list[Found]]:
    """The channel's messages after the cursor (up to MAX_MESSAGES, the newest) and those in
    THREAD_LOOKBACK up to it (up to MAX_EARLIER, the newest), read newest first."""
    newer: list[Found] = []
    earlier: list[Found] = []
    oldest = f"{max(0.0, since - THREAD_LOOKBACK):.6f}"
    pages = _pages(client.conversations_history, channel=channel, oldest=oldest)
    async with aclosing(pages):
        async for page in pages:
            for ts, message in _usable(page, channel, "history"):
                (newer if ts > since else earlier).append((ts, message))
            if len(newer) >= MAX_MESSAGES or len(earlier) >= MAX_EARLIER:
                break
    return newer[:MAX_MESSAGES], earlier[:MAX_EARLIER]


async def _new_replies(
    client: AsyncWebClient, channel: str, top_level: Iterable[Found], cursor: str
) -> list[Found]:
    """Replies after the cursor in the threads replied to since, read thread by thread."""
    since = float(cursor)
    threads = sorted(
        (latest, str(message["ts"]))
        for _, message in top_level
        if (latest := _latest_reply(message)) > since
    )
    replies: list[Found] = []
    for _, parent in reversed(threads[-MAX_THREADS:]):
        try:
            replies += await _thread(client, channel, parent, cursor)
        except SlackApiError as error:
            if error_code(error) != "thread_not_found":
                raise
            log.warning("Slack channel %s: thread %s was deleted meanwhile", channel, parent)
    return replies


async def _thread(client: AsyncWebClient, channel: str, parent: str, cursor: str) -> list[Found]:
    """Up to MAX_REPLIES replies after the cursor in one thread."""
    since = float(cursor)
    replies: list[Found] = []
    pages = _pages(client.conversations_replies, channel=channel, ts=parent, oldest=cursor)
    async with aclosing(pages):
        async for page in pages:
            for ts, message in _usable(page, channel, f"thread {parent}"):
                # Every page begins with the parent, which the history read covers.
                if ts > since and message["ts"] != parent:
                    replies.append((ts, message))
            if len(replies) >= MAX_REPLIES:
                break
    return replies[:MAX_REPLIES]


async def _pages(
    read: Callable[..., Awaitable[AsyncSlackResponse]], **params: str
) -> AsyncGenerator[list[Any]]:
    """The messages of each page of a paginated read, following Slack's cursor."""
    cursor: str | None = None
    while True:
        async with asyncio.timeout(READ_WAIT):
            page = await read(**params, limit=PAGE_SIZE, cursor=cursor)
        messages = page.get("messages")
        yield messages if isinstance(messages, list) else []
        cursor = (page.get("response_metadata") or {}).get("next_cursor")
        if not page.get("has_more") or not cursor:
            return


def _usable(messages: Iterable[Any], channel: str, where: str) -> list[Found]:
    """The messages with a ts as Slack writes it; each other one is logged and skipped."""
    usable: list[Found] = []
    for message in messages:
        try:
            if not isinstance(message, Mapping):
                raise ValueError("not a message object")
            ts = slack_ts(message.get("ts"))
            ts_to_datetime(ts)  # a moment a clock can hold, or ValueError
            usable.append((float(ts), message))
        except ValueError as error:
            log.warning("skipped a message in Slack channel %s (%s): %s", channel, where, error)
    return usable


def _latest_reply(message: Mapping[str, Any]) -> float:
    """When the message's thread was last replied to; 0 for a message without replies."""
    try:
        return float(slack_ts(message.get("latest_reply")))
    except ValueError:
        return 0.0
