"""Slack payloads into the core's platform-neutral values.

Pure functions: no I/O. Each returns None for a payload that is not for the core (another
channel, a bot, a join notice); a malformed payload raises one of `MALFORMED`, which the caller
logs and skips.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Container, Mapping
from datetime import UTC, datetime
from typing import Any

from bot.model import (
    ButtonPress,
    ChatMessage,
    ChatRef,
    Command,
    CommandName,
    UserRef,
    decode_button,
)

PLATFORM = "slack"

# What a payload of the wrong shape raises here.
MALFORMED = (KeyError, TypeError, ValueError, IndexError, AttributeError)

# Message subtypes that carry a member's own words; every other subtype is a notice
# (joins, topic changes, deletions) or comes from a bot.
_MEMBER_SUBTYPES = {None, "file_share", "thread_broadcast", "me_message"}

_ENTITY = re.compile(r"<([^<>]*)>")
_TS = re.compile(r"[0-9]+\.[0-9]+")  # how Slack writes a message's ts: "1760000000.000100"
_CHANNEL_ARG = re.compile(r"^<#([CG][A-Z0-9]+)(?:\|([^>]*))?>\s*")


def chat_ref(channel: str, title: str = "") -> ChatRef:
    return ChatRef(PLATFORM, channel, title=title)


def user_ref(user: str, name: str = "") -> UserRef:
    return UserRef(PLATFORM, user, display_name=name)


def slack_ts(value: object) -> str:
    """A message's ts, checked to be as Slack writes it; ValueError otherwise, with a reason
    that never repeats the value (a payload of the wrong shape may hold anything)."""
    if value is None:
        raise ValueError("no ts")
    if not isinstance(value, str):
        raise ValueError("ts is not a string")
    if not _TS.fullmatch(value):
        raise ValueError("ts is not digits.digits")
    return value


def in_thread(message: Mapping[str, Any]) -> bool:
    """A reply in a thread (the parent's ts is its thread_ts; a parent's own is its ts)."""
    thread = message.get("thread_ts")
    return thread is not None and thread != message.get("ts")


def ts_to_datetime(ts: str) -> datetime:
    try:
        return datetime.fromtimestamp(float(ts), UTC)
    except (OverflowError, OSError) as error:  # a number, but no moment a clock can hold
        raise ValueError("timestamp out of range") from error


def plain_text(text: str) -> str:
    """What the member sees: Slack's <...> entities and &-escapes turned back into text."""

    def entity(match: re.Match[str]) -> str:
        target, _, label = match.group(1).partition("|")
        if target[:1] in ("@", "#", "!"):  # a user, channel or special mention (<!here>)
            sigil = "#" if target[0] == "#" else "@"
            name = label or target[1:].split("^")[0]
            return sigil + name.lstrip("@#")
        return label or target  # a link

    text = _ENTITY.sub(entity, text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _attachment_kinds(message: Mapping[str, Any]) -> tuple[str, ...]:
    kinds = []
    for file in message.get("files") or ():
        major = str(file.get("mimetype", "")).partition("/")[0]
        kinds.append({"image": "photo", "video": "video", "audio": "audio"}.get(major, "document"))
    return tuple(kinds)


def message_from_slack(
    channel: str, message: Mapping[str, Any], *, edited: bool = False
) -> ChatMessage | None:
    """A message as events and `conversations.history` give it; None unless a member wrote it."""
    if message.get("subtype") not in _MEMBER_SUBTYPES or message.get("bot_id"):
        return None
    user = message.get("user")
    if not user:
        return None
    ts = slack_ts(message.get("ts"))
    return ChatMessage(
        chat=chat_ref(channel),
        author=user_ref(str(user)),
        message_id=ts,
        text=plain_text(str(message.get("text") or "")),
        sent_at=ts_to_datetime(ts),
        edited=edited or "edited" in message,
        attachments=_attachment_kinds(message),
    )


def message_from_event(event: Mapping[str, Any], chats: Container[str]) -> ChatMessage | None:
    """A `message` event: a new message, or an edit (`message_changed`) whose text changed."""
    channel = str(event["channel"])
    if channel not in chats:
        return None
    if event.get("subtype") != "message_changed":
        return message_from_slack(channel, event)
    new, old = event["message"], event.get("previous_message") or {}
    if new.get("text") == old.get("text"):
        return None  # a link preview or other decoration was added, not new words
    return message_from_slack(channel, new, edited=True)


def command_from_slash(payload: Mapping[str, Any]) -> Command:
    """`/schoolgate <subcommand> [#channel] [text]`. A missing subcommand is `help`; one that
    is none of ours is answered like `help`, naming it.

    The channel is where the command was typed unless a #channel is named first: an archived
    channel cannot take commands, so `/schoolgate reopen #year-4` is typed elsewhere.
    """
    word, _, rest = str(payload.get("text") or "").strip().partition(" ")
    word = word.lower() or CommandName.HELP.value
    unknown = ""
    try:
        name = CommandName(word)
    except ValueError:
        name, unknown = CommandName.HELP, word
    if name is CommandName.START:  # Telegram's deep-link start; Slack has no use for it
        name, unknown = CommandName.HELP, word
    channel, title = str(payload["channel_id"]), str(payload.get("channel_name") or "")
    rest = rest.strip()
    named = _CHANNEL_ARG.match(rest)
    if named:
        channel, title, rest = named.group(1), named.group(2) or "", rest[named.end() :]
    return Command(
        name=name,
        chat=chat_ref(channel, title),
        caller=user_ref(str(payload["user_id"]), str(payload.get("user_name") or "")),
        args=plain_text(rest.strip()),
        unknown=unknown,
    )


def press_from_action(body: Mapping[str, Any]) -> ButtonPress | None:
    """A `block_actions` payload from one of our buttons."""
    action = body["actions"][0]
    decoded = decode_button(str(action.get("value") or action.get("action_id") or ""))
    if decoded is None:
        return None
    user = body["user"]
    channel = (body.get("channel") or {}).get("id")
    return ButtonPress(
        action=decoded[0],
        key=decoded[1],
        caller=user_ref(str(user["id"]), str(user.get("name") or user.get("username") or "")),
        chat=chat_ref(str(channel)) if channel else None,
    )


def member_joined(
    event: Mapping[str, Any], chats: Container[str], bot_user: str
) -> tuple[ChatRef, UserRef] | None:
    """A `member_joined_channel` event in a configured channel, for anyone but the bot."""
    channel, user = str(event["channel"]), str(event["user"])
    if channel not in chats or user == bot_user:
        return None
    return chat_ref(channel), user_ref(user)


class RecentIds:
    """The last `size` ids seen, so a re-delivered event is handled once."""

    def __init__(self, size: int = 5000) -> None:
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._size = size

    def first_time(self, key: str) -> bool:
        """True the first time a key is seen (and remembers it)."""
        if key in self._seen:
            self._seen.move_to_end(key)
            return False
        self._seen[key] = None
        if len(self._seen) > self._size:
            self._seen.popitem(last=False)
        return True

    def forget(self, key: str) -> None:
        """Take a key back: it was not handled, and its next delivery is to be."""
        self._seen.pop(key, None)
