"""Deep links that open a private chat with the bot: `https://t.me/<bot>?start=<payload>`.

Telegram allows payloads of up to 64 characters from A-Z, a-z, 0-9, `_` and `-`. A parent who
follows a reminder's link sends `/start <reminder key>`; an SLT contact who follows the
onboarding link lets the bot send them alerts from then on.
"""

from __future__ import annotations

import re

from telegram.helpers import create_deep_linked_url

from bot.config import School

_ALLOWED = re.compile(r"[A-Za-z0-9_-]{1,64}")
_NOT_ALLOWED = re.compile(r"[^A-Za-z0-9_-]")


def start_payload(key: str) -> str:
    """`key` as a payload: unchanged when Telegram allows it, else with other characters
    replaced and cut to 64."""
    if _ALLOWED.fullmatch(key):
        return key
    return _NOT_ALLOWED.sub("-", key)[:64] or "start"


def deep_link(bot_username: str, key: str) -> str:
    return create_deep_linked_url(bot_username, start_payload(key))


def onboarding_payload(school: School) -> str:
    return start_payload(f"slt-{school.id}")
