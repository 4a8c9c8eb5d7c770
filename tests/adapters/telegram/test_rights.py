"""The bot's rights in each chat, checked at start and followed when an admin changes them."""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest

from bot.config import Config
from bot.model import ChatRef
from bot.platform import Capability
from tests.fakes.telegram_api import FakeTelegramApi

from .builders import ADMIN, CHAT, FORUM, PLAIN_CHAT, bot_promoted, command
from .conftest import Running

EVERYTHING = frozenset(Capability)
DMS_ONLY = frozenset({Capability.DIRECT_MESSAGE, Capability.BUTTONS})


def ref(chat_id: int, thread_id: str | None = None) -> ChatRef:
    return ChatRef("telegram", str(chat_id), thread_id=thread_id)


async def test_rights_are_checked_at_start_and_what_is_missing_is_said_plainly(
    fake_telegram: FakeTelegramApi,
    make_config: Callable[..., Config],
    running: Running,
    caplog: pytest.LogCaptureFixture,
) -> None:
    fake_telegram.set_bot_member(FORUM, admin=True, rights={"can_manage_topics": False})
    caplog.set_level(logging.INFO)
    async with running(make_config()) as (_, platform):
        admin = platform.capabilities_in(ref(CHAT))
        plain = platform.capabilities_in(ref(PLAIN_CHAT))
        forum = platform.capabilities_in(ref(FORUM))
        topic = platform.capabilities_in(ref(FORUM, "42"))

    asked = {(c["chat_id"], c["user_id"]) for c in fake_telegram.calls_to("getChatMember")}
    assert asked == {(str(c), "7000001") for c in (CHAT, PLAIN_CHAT, FORUM)}
    assert admin == EVERYTHING
    assert plain == DMS_ONLY
    assert Capability.LOCK_CHAT in forum
    assert Capability.LOCK_CHAT not in topic
    assert (
        "privacy mode: the bot sees only commands in Year 5 parents (-1001000000002); "
        "make it an admin" in caplog.text
    )
    assert "the bot is not an admin in Year 5 parents" in caplog.text
    assert "lacks the admin right 'Manage topics': topics cannot be closed" in caplog.text
    assert "Year 4 parents (-1001000000001): admin with every right" in caplog.text


async def test_a_chat_the_bot_is_not_in_is_reported(
    fake_telegram: FakeTelegramApi,
    make_config: Callable[..., Config],
    running: Running,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    missing = make_config(
        extra_chats='      - {platform: telegram, id: "-1001000000099", name: Year 6 parents}\n'
    )
    async with running(missing) as (_, platform):
        rights = platform.capabilities_in(ref(-1001000000099))

    assert rights == DMS_ONLY
    assert "the bot is not in Year 6 parents (-1001000000099): add it" in caplog.text


async def test_promoting_the_bot_takes_effect_without_a_restart(
    fake_telegram: FakeTelegramApi, make_config: Callable[..., Config], running: Running
) -> None:
    async with running(make_config()) as (_, platform):
        before = platform.capabilities_in(ref(PLAIN_CHAT))
        fake_telegram.push_update(bot_promoted(PLAIN_CHAT, by=ADMIN))
        # Updates are handled in order: once /status is answered, the promotion was seen.
        fake_telegram.push_update(command(PLAIN_CHAT, ADMIN, "/status"))
        await fake_telegram.wait_for("sendMessage", chat_id=ADMIN)  # answered privately
        after = platform.capabilities_in(ref(PLAIN_CHAT))

    assert before == DMS_ONLY
    assert {Capability.DELETE_OTHERS, Capability.LOCK_CHAT, Capability.EPHEMERAL} <= after
