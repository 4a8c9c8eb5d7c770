"""Slack payloads into platform-neutral values (pure functions)."""

from __future__ import annotations

from typing import Any

import pytest

from adapters.slack.events import (
    RecentIds,
    command_from_slash,
    member_joined,
    message_from_event,
    plain_text,
    press_from_action,
)
from bot.model import ButtonAction, CommandName, encode_button
from tests.adapters.slack.conftest import (
    CHANNEL,
    PARENT,
    SLT,
    button_body,
    command_body,
    edit_body,
    message_body,
    payload,
)
from tests.fakes.slack_api import BOT_USER_ID, FakeSlack

CHATS = {CHANNEL}


def event_of(body: dict[str, Any]) -> dict[str, Any]:
    event = body["event"]
    assert isinstance(event, dict)
    return event


def test_a_member_message_becomes_a_chat_message() -> None:
    body = message_body("Is it swimming on Tuesday?", ts="1760000000.000100", event_id="Ev1")
    message = message_from_event(event_of(body), CHATS)
    assert message is not None
    assert (message.chat.platform, message.chat.chat_id) == ("slack", CHANNEL)
    assert message.author.user_id == PARENT
    assert message.message_id == "1760000000.000100"
    assert message.text == "Is it swimming on Tuesday?"
    assert message.sent_at.timestamp() == pytest.approx(1760000000.0001)
    assert not message.edited


def test_messages_in_other_channels_from_bots_and_notices_are_not_for_the_core() -> None:
    other = event_of(message_body("hi", ts="1.1", event_id="Ev1", channel="C0ELSEWHERE"))
    bot = {**event_of(message_body("hi", ts="1.2", event_id="Ev2")), "bot_id": "B1"}
    bot_message = {**bot, "subtype": "bot_message"}
    join = {**event_of(message_body("joined", ts="1.3", event_id="Ev3")), "subtype": "channel_join"}
    for event in (other, bot, bot_message, join):
        assert message_from_event(event, CHATS) is None


def test_an_edit_is_the_new_text_of_the_original_message() -> None:
    body = edit_body(
        "go away Debbie", "see you Debbie", ts="1.000100", edit_ts="1.000200", event_id="Ev9"
    )
    message = message_from_event(event_of(body), CHATS)
    assert message is not None
    assert message.edited
    assert message.message_id == "1.000100"  # the original's ts: what a delete needs
    assert message.text == "go away Debbie"


def test_an_edit_that_only_adds_a_link_preview_is_not_a_new_message() -> None:
    body = edit_body("same words", "same words", ts="1.1", edit_ts="1.2", event_id="Ev9")
    assert message_from_event(event_of(body), CHATS) is None


def test_malformed_message_events_raise_for_the_caller_to_skip() -> None:
    with pytest.raises(KeyError):
        message_from_event({"type": "message", "user": PARENT, "text": "x"}, CHATS)
    for ts in ("soon", 1760000000.0001, "1760000000", None):
        with pytest.raises(ValueError, match="ts"):
            message_from_event({"channel": CHANNEL, "user": PARENT, "ts": ts}, CHATS)


def test_files_are_reported_by_kind_only() -> None:
    event = {
        **event_of(message_body("look", ts="1.1", event_id="Ev1")),
        "subtype": "file_share",
        "files": [{"mimetype": "image/png"}, {"mimetype": "application/pdf"}],
    }
    message = message_from_event(event, CHATS)
    assert message is not None
    assert message.attachments == ("photo", "document")


@pytest.mark.parametrize(
    ("slack", "seen"),
    [
        ("<@U0PARENT> is rude", "@U0PARENT is rude"),
        ("ask <#C0YEAR4|year-4-parents>", "ask #year-4-parents"),
        ("<!here> look", "@here look"),
        ("see <https://example.org|the letter>", "see the letter"),
        ("see <https://example.org>", "see https://example.org"),
        ("fish &amp; chips &lt;3", "fish & chips <3"),
    ],
)
def test_plain_text_is_what_the_member_sees(slack: str, seen: str) -> None:
    assert plain_text(slack) == seen


def test_slash_command_subcommands_and_a_named_channel() -> None:
    fake = FakeSlack()
    close = command_from_slash(command_body(fake, "close  too many arguments", user=SLT))
    assert close is not None
    assert close.name is CommandName.CLOSE
    assert close.args == "too many arguments"
    assert (close.chat.chat_id, close.caller.user_id) == (CHANNEL, SLT)

    from_dm = command_body(fake, "Reopen <#C0YEAR4|year-4-parents>", user=SLT, channel="D0SLT")
    reopen = command_from_slash(from_dm)
    assert reopen is not None
    assert reopen.name is CommandName.REOPEN
    assert (reopen.chat.chat_id, reopen.chat.title, reopen.args) == (CHANNEL, "year-4-parents", "")

    # Anything else is answered with the commands there are, naming what was typed.
    for text, unknown in (("", ""), ("help", ""), ("dance", "dance"), ("start", "start")):
        asked = command_from_slash(command_body(fake, text, user=SLT))
        assert (asked.name, asked.unknown) == (CommandName.HELP, unknown)


def test_button_press_carries_the_clicker_and_the_decoded_data() -> None:
    data = encode_button(ButtonAction.CLOSE, "inc-7")
    press = press_from_action(button_body(FakeSlack(), data, user=SLT))
    assert press is not None
    assert (press.action, press.key, press.caller.user_id) == (ButtonAction.CLOSE, "inc-7", SLT)
    assert press_from_action(button_body(FakeSlack(), "not-ours", user=SLT)) is None


def test_member_joined_in_a_configured_channel_but_not_the_bot_itself() -> None:
    joined = event_of(payload("member_joined_channel", user=PARENT, channel=CHANNEL, event_id="E"))
    found = member_joined(joined, CHATS, BOT_USER_ID)
    assert found is not None
    assert (found[0].chat_id, found[1].user_id) == (CHANNEL, PARENT)
    assert member_joined({**joined, "user": BOT_USER_ID}, CHATS, BOT_USER_ID) is None
    assert member_joined({**joined, "channel": "C0ELSEWHERE"}, CHATS, BOT_USER_ID) is None


def test_recent_ids_remember_a_bounded_number() -> None:
    seen = RecentIds(size=2)
    assert [seen.first_time(k) for k in ("a", "a", "b", "c")] == [True, False, True, True]
    assert seen.first_time("a")  # forgotten: only the last two are kept
    assert not seen.first_time("c")
