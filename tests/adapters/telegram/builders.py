"""Telegram updates for the tests, built from tests/payloads/telegram/ with ids filled in."""

from __future__ import annotations

import itertools
import json
import time
from pathlib import Path
from typing import Any

PAYLOADS = Path(__file__).resolve().parents[2] / "payloads" / "telegram"

CHAT = -1001000000001  # the bot is an admin here
CHAT_TITLE = "Year 4 parents"
PLAIN_CHAT = -1001000000002  # the bot is a member without admin rights
PLAIN_TITLE = "Year 5 parents"
FORUM = -1001000000003  # a supergroup with topics
FORUM_TITLE = "Whole school parents"
STRANGER_CHAT = -1009999999999  # not in the config
PARENT = 555000111
OTHER_PARENT = 555000222
SLT = 111000001
ADMIN = 111000002

ABUSIVE = "go f*ck yourself Debbie"
CLEAN = "Is it swimming on Tuesday?"

_message_ids = itertools.count(100)
_query_ids = itertools.count(1)
_NAMES = {PARENT: "Dawn", OTHER_PARENT: "Sam", SLT: "Ruth", ADMIN: "Gary"}
_TITLES = {CHAT: CHAT_TITLE, PLAIN_CHAT: PLAIN_TITLE, FORUM: FORUM_TITLE}


def load(name: str, **values: Any) -> dict[str, Any]:
    """A payload whose "$name" string values are replaced by `values` (keeping their type)."""

    def fill(node: Any) -> Any:
        if isinstance(node, dict):
            return {k: fill(v) for k, v in node.items()}
        if isinstance(node, list):
            return [fill(v) for v in node]
        if isinstance(node, str) and node.startswith("$"):
            return values[node[1:]]
        return node

    data = json.loads((PAYLOADS / f"{name}.json").read_text(encoding="utf-8"))
    filled = fill(data)
    assert isinstance(filled, dict)
    return filled


def _common(chat_id: int, user_id: int, sent_at: int | None) -> dict[str, Any]:
    return {
        "chat_id": chat_id,
        "chat_title": _TITLES.get(chat_id, "Some group"),
        "user_id": user_id,
        "first_name": _NAMES.get(user_id, "Someone"),
        "date": sent_at if sent_at is not None else int(time.time()),
    }


def next_message_id() -> int:
    return next(_message_ids)


def message(
    chat_id: int,
    user_id: int,
    text: str,
    *,
    message_id: int | None = None,
    sent_at: int | None = None,
    topic: int | None = None,
) -> dict[str, Any]:
    update = load(
        "message",
        message_id=message_id or next_message_id(),
        text=text,
        **_common(chat_id, user_id, sent_at),
    )
    if topic is not None:
        update["message"].update(message_thread_id=topic, is_topic_message=True)
    return update


def edited(chat_id: int, user_id: int, text: str, *, message_id: int) -> dict[str, Any]:
    now = int(time.time())
    return load(
        "edited_message",
        message_id=message_id,
        text=text,
        edit_date=now,
        **_common(chat_id, user_id, now - 60),
    )


def photo(chat_id: int, user_id: int, caption: str) -> dict[str, Any]:
    return load(
        "photo_caption",
        message_id=next_message_id(),
        text=caption,
        **_common(chat_id, user_id, None),
    )


def command(chat_id: int, user_id: int, text: str, *, topic: int | None = None) -> dict[str, Any]:
    update = load(
        "command",
        message_id=next_message_id(),
        text=text,
        command_length=len(text.split()[0]),
        chat_type="private" if chat_id > 0 else "supergroup",
        **_common(chat_id, user_id, None),
    )
    if chat_id > 0:
        chat = update["message"]["chat"]
        chat.pop("title")
        chat["first_name"] = _NAMES.get(user_id, "Someone")
    if topic is not None:
        update["message"].update(message_thread_id=topic, is_topic_message=True)
    return update


def edited_command(chat_id: int, user_id: int, text: str) -> dict[str, Any]:
    now = int(time.time())
    return load(
        "edited_command",
        message_id=next_message_id(),
        text=text,
        command_length=len(text.split()[0]),
        edit_date=now,
        **_common(chat_id, user_id, now - 30),
    )


def anonymous_command(chat_id: int, text: str) -> dict[str, Any]:
    return load(
        "anonymous_admin_command",
        message_id=next_message_id(),
        text=text,
        command_length=len(text.split()[0]),
        **_common(chat_id, 0, None),
    )


def anonymous_message(chat_id: int, text: str) -> dict[str, Any]:
    """A message an admin posted anonymously, as the group."""
    update = message(chat_id, 1087968824, text)
    update["message"]["from"] = {"id": 1087968824, "is_bot": True, "first_name": "Group"}
    update["message"]["sender_chat"] = dict(update["message"]["chat"])
    return update


def press(user_id: int, data: str, *, in_chat: int | None = None) -> dict[str, Any]:
    """A press on a button of the bot's message in the user's private chat, or in a group."""
    update = load(
        "callback_query",
        query_id=str(next(_query_ids)),
        message_id=next_message_id(),
        data=data,
        **_common(user_id, user_id, None),
    )
    if in_chat is not None:
        title = _TITLES.get(in_chat, "Some group")
        update["callback_query"]["message"]["chat"] = {
            "id": in_chat,
            "type": "supergroup",
            "title": title,
        }
    return update


def joined(chat_id: int, user_id: int) -> dict[str, Any]:
    return load("chat_member_joined", **_common(chat_id, user_id, None))


def joined_message(chat_id: int, user_id: int) -> dict[str, Any]:
    return load("new_chat_members", message_id=next_message_id(), **_common(chat_id, user_id, None))


def join_request(chat_id: int, user_id: int) -> dict[str, Any]:
    return load("chat_join_request", **_common(chat_id, user_id, None))


def bot_promoted(chat_id: int, by: int) -> dict[str, Any]:
    return load("my_chat_member", **_common(chat_id, by, None))


def unreadable(chat_id: int, user_id: int, text: str) -> dict[str, Any]:
    """A message the SDK cannot parse: its date is not a timestamp."""
    update = message(chat_id, user_id, text)
    update["message"]["date"] = "yesterday"
    return update


def chatless(user_id: int, text: str) -> dict[str, Any]:
    """A message the SDK parses but that lacks its chat."""
    values = _common(0, user_id, None)
    values.pop("chat_id")
    values.pop("chat_title")
    return load("message_without_chat", message_id=next_message_id(), text=text, **values)
