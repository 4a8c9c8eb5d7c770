"""Each adapter's mapping from a platform payload to a `ChatMessage`, fed malformed payloads
and hostile text: it maps the message with its text exactly as written, ignores it, or rejects
it in the way its adapter logs and skips. Nothing else may escape.

Telegram: the SDK reads an update (`usable_updates` skips what it cannot read) and
`mapping.chat_message` maps it. Discord: the SDK's own MESSAGE_CREATE parser (whose failures
the client logs and skips) and `events.chat_message`. Slack: `events.message_from_event`,
which raises one of `MALFORMED` for a payload of the wrong shape.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

import discord
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from telegram import Update

from adapters.discord.chats import ConfiguredChats
from adapters.discord.client import intents
from adapters.discord.events import chat_message as discord_chat_message
from adapters.discord.events import is_written_by_a_person
from adapters.slack.blocks import escape
from adapters.slack.events import MALFORMED, message_from_event, message_from_slack
from adapters.telegram import mapping as telegram_mapping
from adapters.telegram.application import usable_updates
from bot.model import ChatMessage
from tests.adapters.telegram import builders as telegram
from tests.badinput.payloads import JSON, mutated
from tests.badinput.text import messages
from tests.payloads.discord import build as discord_build

FUZZ = settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
TEXT = "you stupid cow, Mr Carter"

any_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | messages,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=8,
)

# ---- Telegram ---------------------------------------------------------------------------

TELEGRAM_UPDATE = {**telegram.message(telegram.CHAT, telegram.PARENT, TEXT), "update_id": 41}


def telegram_update(text: str) -> JSON:
    update = telegram.message(telegram.CHAT, telegram.PARENT, text)
    return {**update, "update_id": 42}


@given(st.lists(st.one_of(mutated(TELEGRAM_UPDATE), any_json), max_size=4))
@FUZZ
def test_telegram_skips_what_it_cannot_read_and_logs_only_ids(
    caplog: pytest.LogCaptureFixture, updates: list[Any]
) -> None:
    """Polling confirms what it fetched with the last update's id plus one: an update whose
    id is not a whole number must never reach it, or the polling task stops for good."""
    caplog.clear()
    with caplog.at_level(logging.DEBUG):
        usable = usable_updates(updates)
    numbered = [u for u in updates if isinstance(u, dict) and type(u.get("update_id")) is int]
    assert [u["update_id"] for u in usable] == [u["update_id"] for u in numbered]
    for kept, sent in zip(usable, numbered, strict=True):
        # Kept as it came, when the SDK can read it; else an empty update, so that polling
        # confirms it and moves on.
        assert kept is sent or kept == {"update_id": sent["update_id"]}
        if kept is sent:
            read_telegram(kept)
    assert "stupid" not in caplog.text  # the log says which update, never what it held


@given(mutated(TELEGRAM_UPDATE))
@FUZZ
def test_telegram_maps_what_its_sdk_reads(update: JSON) -> None:
    try:
        Update.de_json(update, None)
    except Exception:
        return  # `usable_updates` logs and skips it
    read_telegram(update)


def read_telegram(update: JSON) -> None:
    """The SDK reads the update; a message with a chat is mapped with its text unchanged."""
    message = Update.de_json(update, None).effective_message
    if message is None or message.chat is None:
        return  # the handler finds no chat and the update is skipped
    text: object = message.text or message.caption  # typed str, but the SDK does not check
    if text and not isinstance(text, str):
        with pytest.raises(TypeError):  # the handler logs the update's id and skips it
            telegram_mapping.chat_message(message, edited=False)
        return
    mapped = telegram_mapping.chat_message(message, edited=False)
    if mapped is not None:
        assert mapped.text == text
        assert mapped.chat.chat_id == str(message.chat.id)
        # Names are shown and stored as text, whatever the update held.
        assert isinstance(mapped.author.display_name, str)
        assert isinstance(mapped.chat.title, str)


@given(messages.filter(bool))
@FUZZ
def test_telegram_text_arrives_as_written(text: str) -> None:
    message = Update.de_json(telegram_update(text), None).effective_message
    assert message is not None
    mapped = telegram_mapping.chat_message(message, edited=False)
    assert mapped is not None
    assert mapped.text == text


# ---- Discord ----------------------------------------------------------------------------

GUILD, CHANNEL, AUTHOR, MESSAGE = (
    111111111111111111,
    222222222222222222,
    333333333333333333,
    444444444444444444,
)


DISCORD_MEMBER = discord_build.member(
    discord_build.user(AUTHOR, "dawn"), [], datetime(2026, 1, 5, tzinfo=UTC)
)
DISCORD_CHATS = ConfiguredChats({CHANNEL: "Year 4 parents"}, {CHANNEL: "riverside"})


def discord_message(content: str) -> JSON:
    return dict(
        discord_build.message(
            MESSAGE,
            CHANNEL,
            DISCORD_MEMBER["user"],
            content,
            guild_id=GUILD,
            author_member=DISCORD_MEMBER,
        )
    )


class ParsedMessages(discord.Client):
    """A discord.py client with the school's server in its cache, recording the messages its
    parser dispatches instead of handling them (it is never connected)."""

    def __init__(self) -> None:
        super().__init__(intents=intents(), max_messages=None)
        self.parsed: list[discord.Message] = []
        self._connection._add_guild_from_data(
            discord_build.guild(
                GUILD,
                "Parents",
                AUTHOR,
                roles=[discord_build.role(GUILD, "@everyone", 0, 0)],
                members=[DISCORD_MEMBER],
                channels=[discord_build.text_channel(CHANNEL, GUILD, "year-4", [])],
                threads=[],
            )
        )

    def dispatch(self, event: str, /, *args: Any, **kwargs: Any) -> None:
        if event == "message":
            self.parsed.append(args[0])

    def message_create(self, payload: JSON) -> discord.Message | None:
        self.parsed.clear()
        self._connection.parsers["MESSAGE_CREATE"](payload)
        return self.parsed[0] if self.parsed else None


@pytest.fixture(scope="module")
def discord_client() -> ParsedMessages:
    return ParsedMessages()


# Its ids stay put here: a message with an id no clock can date, or claiming a moderated
# channel's id in no known server, is left to the client's guard (test_platform_events).
@given(mutated(discord_message(TEXT), keep=[("id",), ("guild_id",), ("channel_id",)]))
@FUZZ
def test_discord_maps_what_its_sdk_parses(discord_client: ParsedMessages, payload: JSON) -> None:
    try:
        message = discord_client.message_create(payload)
    except Exception:
        return  # the client's guard logs "skipped a malformed MESSAGE_CREATE event"
    assert message is not None
    chat = DISCORD_CHATS.ref_of(message.channel)
    if chat is None or not is_written_by_a_person(message):
        return  # not a moderated chat, or not a person's words: ignored
    mapped = discord_chat_message(message, chat, edited=False)
    assert isinstance(mapped.text, str)
    if isinstance(payload.get("content"), str) and payload["content"]:
        assert mapped.text == payload["content"]
    assert mapped.message_id == str(message.id)


@given(messages)
@FUZZ
def test_discord_text_arrives_as_written(discord_client: ParsedMessages, text: str) -> None:
    message = discord_client.message_create(discord_message(text))
    assert message is not None
    chat = DISCORD_CHATS.ref_of(message.channel)
    assert chat is not None
    assert discord_chat_message(message, chat, edited=False).text == text


# ---- Slack ------------------------------------------------------------------------------

SLACK_CHANNEL = "C0YEAR4"
SLACK_MESSAGE = {
    "type": "message",
    "channel": SLACK_CHANNEL,
    "user": "U0PARENT",
    "text": TEXT,
    "ts": "1760000000.000100",
    "team": "T0SCHOOL",
    "channel_type": "channel",
    "event_ts": "1760000000.000100",
    "files": [{"id": "F1", "mimetype": "image/png"}],
}
SLACK_EDIT = {
    "type": "message",
    "subtype": "message_changed",
    "channel": SLACK_CHANNEL,
    "message": {
        "type": "message",
        "user": "U0PARENT",
        "text": TEXT,
        "ts": "1760000000.000100",
        "edited": {"user": "U0PARENT", "ts": "1760000100.000200"},
    },
    "previous_message": {"type": "message", "user": "U0PARENT", "text": "hi", "ts": "1.1"},
    "ts": "1760000100.000200",
    "event_ts": "1760000100.000200",
}


@given(st.one_of(mutated(SLACK_MESSAGE), mutated(SLACK_EDIT), any_json))
@FUZZ
def test_slack_maps_a_message_event_or_calls_it_malformed(event: Any) -> None:
    try:
        mapped = message_from_event(event, {SLACK_CHANNEL})
    except MALFORMED:
        return  # logged and skipped by the listener (and by catch-up, for history)
    assert mapped is None or isinstance(mapped, ChatMessage)


@given(messages)
@FUZZ
def test_slack_text_arrives_as_written(text: str) -> None:
    """Slack escapes &, < and > in what a member types; the core gets what they typed."""
    event = {**SLACK_MESSAGE, "text": escape(text)}
    mapped = message_from_event(event, {SLACK_CHANNEL})
    assert mapped is not None
    assert mapped.text == text
    from_history = message_from_slack(SLACK_CHANNEL, event)
    assert from_history is not None
    assert from_history.text == text
