"""Catching up after a restart, against the loopback fake Slack: history messages with an
unusable ts are skipped without stopping the channel, and replies posted in threads while the
bot was down are moderated too."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

import pytest

from adapters.slack.catchup import PAGE_SIZE, THREAD_LOOKBACK
from bot.app import App
from bot.config import Config
from bot.model import ChatRef
from tests.adapters.slack.conftest import (
    ABUSIVE,
    CHANNEL,
    CLEAN,
    OTHER_CHANNEL,
    PARENT,
    message_body,
)
from tests.adapters.slack.helpers import running, slack_platform
from tests.fakes.slack_api import FakeSlack

MakeConfig = Callable[..., Config]

SEEN = 1760000000.000100  # the last message the bot saw before it went down
DAY = 24 * 3600.0


def ts(at: float) -> str:
    return f"{at:.6f}"


def said(at: float, text: str, *, thread: float | None = None) -> dict[str, Any]:
    """A parent's message as Slack keeps it; with `thread`, a reply in that thread."""
    message: dict[str, Any] = {"type": "message", "user": PARENT, "text": text, "ts": ts(at)}
    if thread is not None:
        message["thread_ts"] = ts(thread)
    return message


async def seen_before_downtime(
    fake: FakeSlack, config: Config, channels: Iterable[str] = (CHANNEL,)
) -> None:
    """A first run in which the bot sees a message at SEEN in each channel, then stops."""
    async with running(config) as app:
        for n, channel in enumerate(channels):
            body = message_body(CLEAN, ts=ts(SEEN), event_id=f"Ev{n}", channel=channel)
            await fake.deliver("events_api", body)
        await app.drain()


async def caught_up(app: App) -> None:
    await slack_platform(app).caught_up()
    await app.drain()


async def incidents(app: App) -> list[tuple[str, str]]:
    return sorted((i.chat.chat_id, i.message_id) for i in await app.store.incidents())


async def last_seen(app: App, channel: str = CHANNEL) -> str | None:
    return (await app.store.chat_state(ChatRef("slack", channel))).last_seen_id


def threads_read(fake: FakeSlack) -> list[str]:
    return [str(c.params["ts"]) for c in fake.calls_to("conversations.replies")]


async def test_history_messages_with_an_unusable_ts_are_skipped_and_the_rest_moderated(
    fake_slack: FakeSlack, make_config: MakeConfig, caplog: pytest.LogCaptureFixture
) -> None:
    config = make_config(more_channels=[OTHER_CHANNEL])
    await seen_before_downtime(fake_slack, config, [CHANNEL, OTHER_CHANNEL])
    no_ts = {k: v for k, v in said(SEEN, ABUSIVE).items() if k != "ts"}
    bad_ts: list[Any] = [SEEN + 0.0003, "soon", "1760000000", "1760000000.0003\n"]
    unusable = [no_ts, *({**said(SEEN, ABUSIVE), "ts": bad} for bad in bad_ts)]
    fake_slack.history[CHANNEL] = [
        said(SEEN, CLEAN),
        said(SEEN + 0.0002, ABUSIVE),
        *unusable,
        said(SEEN + 0.0005, CLEAN),
    ]
    fake_slack.history[OTHER_CHANNEL] = [said(SEEN, CLEAN), said(SEEN + 0.0004, ABUSIVE)]

    caplog.set_level(logging.INFO)
    async with running(config) as app:
        await caught_up(app)
        assert await incidents(app) == sorted(
            [(CHANNEL, ts(SEEN + 0.0002)), (OTHER_CHANNEL, ts(SEEN + 0.0004))]
        )
        # The cursor moved past the good messages, whatever the bad ones claimed.
        assert await last_seen(app) == ts(SEEN + 0.0005)
        assert await last_seen(app, OTHER_CHANNEL) == ts(SEEN + 0.0004)

    skipped = [
        r
        for r in caplog.records
        if r.name == "adapters.slack.catchup" and "skipped" in r.getMessage()
    ]
    assert len(skipped) == len(unusable)
    for record in skipped:
        assert record.levelno == logging.WARNING
        assert record.exc_info is None
        assert CHANNEL in record.getMessage()
        assert "\n" not in record.getMessage()
    for record in caplog.records:
        assert ABUSIVE not in record.getMessage()
        assert CLEAN not in record.getMessage()


async def test_replies_in_a_thread_begun_while_the_bot_was_down_are_moderated(
    fake_slack: FakeSlack, make_config: MakeConfig
) -> None:
    config = make_config()
    await seen_before_downtime(fake_slack, config)
    parent, abusive_reply, last_reply = SEEN + 1, SEEN + 2, SEEN + 3
    fake_slack.history[CHANNEL] = [
        said(SEEN, CLEAN),
        said(parent, CLEAN),
        said(abusive_reply, ABUSIVE, thread=parent),
        said(last_reply, CLEAN, thread=parent),
    ]

    async with running(config) as app:
        await caught_up(app)
        assert await incidents(app) == [(CHANNEL, ts(abusive_reply))]
        assert await last_seen(app) == ts(last_reply)
    [read] = fake_slack.calls_to("conversations.replies")
    assert (read.params["channel"], read.params["ts"]) == (CHANNEL, ts(parent))
    assert read.params["oldest"] == ts(SEEN)  # replies the bot saw are not asked for again


async def test_new_replies_to_an_earlier_message_are_moderated_and_quiet_threads_not_read(
    fake_slack: FakeSlack, make_config: MakeConfig
) -> None:
    config = make_config()
    await seen_before_downtime(fake_slack, config)
    replied = SEEN - DAY  # replied to before the bot went down, and again while it was down
    quiet = SEEN - DAY + 1  # replied to only before
    too_old = SEEN - THREAD_LOOKBACK - 1  # beyond what catch-up looks into
    fake_slack.history[CHANNEL] = [
        said(replied, CLEAN),
        said(replied + 1, ABUSIVE, thread=replied),  # already moderated: not read again
        said(quiet, CLEAN),
        said(quiet + 1, CLEAN, thread=quiet),
        said(too_old, CLEAN),
        said(SEEN, CLEAN),
        said(SEEN + 1, ABUSIVE, thread=replied),
        said(SEEN + 2, ABUSIVE, thread=too_old),
    ]

    async with running(config) as app:
        await caught_up(app)
        assert await incidents(app) == [(CHANNEL, ts(SEEN + 1))]
    assert threads_read(fake_slack) == [ts(replied)]


async def test_a_long_thread_is_read_page_by_page(
    fake_slack: FakeSlack, make_config: MakeConfig
) -> None:
    config = make_config()
    await seen_before_downtime(fake_slack, config)
    parent = SEEN + 1
    replies = [said(parent + n * 0.001, CLEAN, thread=parent) for n in range(1, PAGE_SIZE + 6)]
    first, last = replies[0], replies[-1]
    first["text"] = last["text"] = ABUSIVE
    fake_slack.history[CHANNEL] = [said(SEEN, CLEAN), said(parent, CLEAN), *replies]

    async with running(config) as app:
        await caught_up(app)
        assert await incidents(app) == [(CHANNEL, first["ts"]), (CHANNEL, last["ts"])]
        assert await last_seen(app) == last["ts"]
    pages = fake_slack.calls_to("conversations.replies")
    assert len(pages) == 2
    assert pages[1].params["cursor"] == pages[0].answer["response_metadata"]["next_cursor"]


async def test_a_thread_deleted_meanwhile_is_skipped_and_the_rest_moderated(
    fake_slack: FakeSlack, make_config: MakeConfig, caplog: pytest.LogCaptureFixture
) -> None:
    config = make_config()
    await seen_before_downtime(fake_slack, config)
    gone, kept = SEEN + 1, SEEN + 2
    fake_slack.history[CHANNEL] = [
        said(SEEN, CLEAN),
        said(gone, CLEAN),
        said(kept, CLEAN),
        said(SEEN + 3, ABUSIVE, thread=gone),
        said(SEEN + 4, ABUSIVE, thread=kept),
        said(SEEN + 5, ABUSIVE),
    ]
    fake_slack.fail(
        "conversations.replies", error="thread_not_found", when=lambda p: p["ts"] == ts(gone)
    )

    async with running(config) as app:
        await caught_up(app)
        assert await incidents(app) == [(CHANNEL, ts(SEEN + 4)), (CHANNEL, ts(SEEN + 5))]
    [warning] = [r for r in caplog.records if ts(gone) in r.getMessage()]
    assert warning.levelno == logging.WARNING


async def test_a_live_reply_in_a_thread_catch_up_does_not_read_is_still_moderated(
    fake_slack: FakeSlack, make_config: MakeConfig
) -> None:
    """A reply arriving while the channel is caught up on waits, and is handed to the core
    afterwards even though catch-up read a newer message: catch-up cannot know every
    thread, so it cannot have handled the reply."""
    config = make_config()
    await seen_before_downtime(fake_slack, config)
    old_parent = SEEN - THREAD_LOOKBACK - 1
    reply = said(SEEN + 1, ABUSIVE, thread=old_parent)
    fake_slack.history[CHANNEL] = [said(old_parent, CLEAN), said(SEEN, CLEAN), reply]
    fake_slack.history[CHANNEL].append(said(SEEN + 2, CLEAN))  # newer than the reply
    fake_slack.fail("conversations.history", status=500)  # holds catch-up for a retry

    async with running(config) as app:
        await fake_slack.wait_for(
            lambda: bool(fake_slack.calls_to("conversations.history", ok_only=False)),
            "a first read of the history",
        )
        body = message_body(ABUSIVE, ts=reply["ts"], event_id="EvLive")
        body["event"]["thread_ts"] = reply["thread_ts"]
        envelope = await fake_slack.push("events_api", body)
        await caught_up(app)
        await fake_slack.wait_ack(envelope)
        await app.drain()
        assert await incidents(app) == [(CHANNEL, reply["ts"])]
    assert threads_read(fake_slack) == []
