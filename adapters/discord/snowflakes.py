"""Discord ids (snowflakes) in gateway payloads: unsigned 64-bit integers, sent as strings of
digits.

discord.py converts them with `int()`, which takes any size and a sign, so an id out of range
gets through its parser and fails later, with a traceback, when the time is read from it or it
is sent back to Discord. The ids the bot relies on are checked before the parser sees them.
"""

from __future__ import annotations

import re
from typing import Any

_DIGITS = re.compile(r"[0-9]{1,20}")
_LIMIT = 2**64

# Where an event names its message (or channel, server, interaction), channel, server and person.
ID_PATHS: tuple[tuple[str, ...], ...] = (
    ("id",),
    ("channel_id",),
    ("guild_id",),
    ("author", "id"),
    ("user", "id"),
    ("member", "user", "id"),
)


def is_snowflake(value: object) -> bool:
    if isinstance(value, str):
        return _DIGITS.fullmatch(value) is not None and int(value) < _LIMIT
    return type(value) is int and 0 <= value < _LIMIT


def bad_id(data: object) -> str | None:
    """Where (as "author.id") the payload holds an id that is not a snowflake, or None. An id
    left out or null is not for this check to judge."""
    for path in ID_PATHS:
        value = _at(data, path)
        if value is not None and not is_snowflake(value):
            return ".".join(path)
    return None


def _at(data: object, path: tuple[str, ...]) -> Any:
    node: Any = data
    for key in path:
        if not isinstance(node, dict):
            return None
        node = node.get(key)
    return node
