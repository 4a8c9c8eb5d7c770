"""Commands and alert buttons from Telegram: who may close and reopen a chat, and how."""

from __future__ import annotations

from collections.abc import Callable

from bot.config import Config
from bot.model import ButtonAction, decode_button
from tests.fakes.telegram_api import ApiCall, FakeTelegramApi, cannot_initiate

from .builders import (
    ABUSIVE,
    CHAT,
    FORUM,
    PARENT,
    SLT,
    anonymous_command,
    command,
    edited_command,
    message,
    press,
)
from .conftest import YEAR4_PERMISSIONS, Running
from .test_moderation import keyboard

SENDING = {
    "can_send_messages",
    "can_send_audios",
    "can_send_documents",
    "can_send_photos",
    "can_send_videos",
    "can_send_video_notes",
    "can_send_voice_notes",
    "can_send_polls",
    "can_send_other_messages",
    "can_add_web_page_previews",
}


async def alert_button(fake: FakeTelegramApi, action: ButtonAction) -> str:
    """The callback data of one button on the alert SLT received."""
    [alert] = await fake.wait_for("sendMessage", chat_id=SLT)
    for _, data in keyboard(alert):
        decoded = decode_button(data)
        if decoded and decoded[0] is action:
            return data
    raise AssertionError(f"no {action} button on the alert")


def answer_to(fake: FakeTelegramApi, update: dict[str, object]) -> ApiCall:
    query = update["callback_query"]
    assert isinstance(query, dict)
    [answer] = fake.calls_to("answerCallbackQuery", callback_query_id=query["id"])
    return answer


async def test_slt_presses_close_chat(
    fake_telegram: FakeTelegramApi, make_config: Callable[..., Config], running: Running
) -> None:
    async with running(make_config()) as (app, _):
        fake_telegram.push_update(message(CHAT, PARENT, ABUSIVE))
        close = await alert_button(fake_telegram, ButtonAction.CLOSE)
        pressed = press(SLT, close)
        fake_telegram.push_update(pressed)
        [closing] = await fake_telegram.wait_for("setChatPermissions")
        await fake_telegram.wait_for("sendMessage", chat_id=CHAT)
        await app.drain()
        [close_row] = [a for a in await app.store.actions() if a.kind == "close"]

    assert closing["chat_id"] == str(CHAT)
    assert closing["use_independent_chat_permissions"] == "true"
    permissions = closing.json("permissions")
    assert {k for k, v in permissions.items() if v is False} >= SENDING
    assert not any(permissions[k] for k in SENDING)
    # Rights that are not about posting stay as they were.
    assert permissions["can_pin_messages"] == YEAR4_PERMISSIONS["can_pin_messages"]
    [notice] = fake_telegram.calls_to("sendMessage", chat_id=CHAT)
    assert "clos" in notice["text"].lower()
    assert "Closing" in answer_to(fake_telegram, pressed)["text"]
    # What reopening needs is kept: the permissions before closing.
    assert close_row.state is not None
    assert '"can_send_polls": false' in close_row.state


async def test_a_parents_press_and_a_parents_close_are_refused(
    fake_telegram: FakeTelegramApi, make_config: Callable[..., Config], running: Running
) -> None:
    async with running(make_config()) as (app, _):
        fake_telegram.push_update(message(CHAT, PARENT, ABUSIVE))
        close = await alert_button(fake_telegram, ButtonAction.CLOSE)
        pressed = press(PARENT, close)
        fake_telegram.push_update(pressed)
        typed = command(CHAT, PARENT, "/close they deserve it")
        fake_telegram.push_update(typed)
        # The refusal is for the parent alone: a direct message (after their reminder).
        refusal = (
            await fake_telegram.wait_for(
                "sendMessage",
                chat_id=PARENT,
                where=lambda c: "only the school's senior leadership" in c["text"],
            )
        )[-1]
        await app.drain()
        audit = await app.store.audit_log()

    assert "only the school's senior leadership" in answer_to(fake_telegram, pressed)["text"]
    assert "only the school's senior leadership" in refusal["text"]
    assert not [
        c for c in fake_telegram.calls_to("sendMessage", chat_id=CHAT) if c.get("reply_parameters")
    ]
    assert not fake_telegram.calls_to("setChatPermissions")
    assert [(a.action, a.outcome) for a in audit if a.actor_id == str(PARENT)] == [
        ("button:close", "refused"),
        ("close", "refused"),
    ]


async def test_reopen_restores_exactly_the_saved_permissions(
    fake_telegram: FakeTelegramApi, make_config: Callable[..., Config], running: Running
) -> None:
    async with running(make_config()) as (app, _):
        fake_telegram.push_update(command(CHAT, SLT, "/close cooling off"))
        await fake_telegram.wait_for("setChatPermissions")
        await app.drain()
        assert fake_telegram.chat_permissions(CHAT)["can_send_messages"] is False
        fake_telegram.push_update(command(CHAT, SLT, "/reopen"))
        restoring = await fake_telegram.wait_for("setChatPermissions", 2)
        await app.drain()

    assert restoring[-1].json("permissions") == YEAR4_PERMISSIONS
    assert restoring[-1]["use_independent_chat_permissions"] == "true"
    assert fake_telegram.chat_permissions(CHAT) == YEAR4_PERMISSIONS


async def test_anonymous_admin_is_asked_to_post_as_themselves(
    fake_telegram: FakeTelegramApi, make_config: Callable[..., Config], running: Running
) -> None:
    async with running(make_config()) as (app, _):
        fake_telegram.push_update(anonymous_command(CHAT, "/close"))
        [reply] = await fake_telegram.wait_for("sendMessage", chat_id=CHAT)
        await app.drain()

    assert "anonymously" in reply["text"]
    assert not fake_telegram.calls_to("setChatPermissions")


async def test_an_edited_command_does_not_run_again(
    fake_telegram: FakeTelegramApi, make_config: Callable[..., Config], running: Running
) -> None:
    async with running(make_config()) as (app, _):
        fake_telegram.push_update(edited_command(CHAT, SLT, "/close"))
        # A later command shows that the edit was handled (updates are handled in order).
        fake_telegram.push_update(command(CHAT, SLT, "/status"))
        [status] = await fake_telegram.wait_for("sendMessage", chat_id=SLT)
        await app.drain()

    assert "is open" in status["text"]
    assert not fake_telegram.calls_to("setChatPermissions")


async def test_forum_topics_are_closed_and_reopened_as_topics(
    fake_telegram: FakeTelegramApi, make_config: Callable[..., Config], running: Running
) -> None:
    async with running(make_config()) as (app, _):
        fake_telegram.push_update(command(FORUM, SLT, "/close", topic=42))
        [closing] = await fake_telegram.wait_for("closeForumTopic")
        await app.drain()
        fake_telegram.push_update(command(FORUM, SLT, "/reopen", topic=42))
        [reopening] = await fake_telegram.wait_for("reopenForumTopic")
        await app.drain()

    assert (closing["chat_id"], closing["message_thread_id"]) == (str(FORUM), "42")
    assert (reopening["chat_id"], reopening["message_thread_id"]) == (str(FORUM), "42")
    assert not fake_telegram.calls_to("setChatPermissions")


async def test_command_menu_is_registered_with_admin_scope_for_close_and_reopen(
    fake_telegram: FakeTelegramApi, make_config: Callable[..., Config], running: Running
) -> None:
    async with running(make_config()):
        menus = await fake_telegram.wait_for("setMyCommands", 2)

    scoped = {
        (m.json("scope")["type"] if m.get("scope") else "default"): {
            c["command"] for c in m.json("commands")
        }
        for m in menus
    }
    assert scoped["all_chat_administrators"] >= {"close", "reopen", "status", "rules"}
    assert "close" not in scoped["default"]
    assert "rules" in scoped["default"]


async def test_rules_in_a_private_chat_are_answered_there(
    fake_telegram: FakeTelegramApi, make_config: Callable[..., Config], running: Running
) -> None:
    async with running(make_config()) as (app, _):
        fake_telegram.push_update(command(PARENT, PARENT, "/rules"))
        fake_telegram.push_update(command(PARENT, PARENT, "/close"))
        replies = await fake_telegram.wait_for("sendMessage", 2, chat_id=PARENT)
        await app.drain()

    assert "code of conduct" in replies[0]["text"].lower()
    assert "class group chat" in replies[1]["text"]
    assert not fake_telegram.calls_to("setChatPermissions")


async def test_status_typed_in_the_group_is_answered_only_to_the_caller(
    fake_telegram: FakeTelegramApi, make_config: Callable[..., Config], running: Running
) -> None:
    async with running(make_config()) as (app, _):
        fake_telegram.push_update(message(CHAT, PARENT, ABUSIVE))
        await fake_telegram.wait_for("sendMessage", chat_id=SLT)
        await app.drain()
        fake_telegram.push_update(command(CHAT, SLT, "/status"))
        [status] = await fake_telegram.wait_for(
            "sendMessage", chat_id=SLT, where=lambda c: "Incidents in the last 7 days" in c["text"]
        )
        await app.drain()

    # The answer names who was flagged, so the group never sees it.
    assert "Incidents in the last 7 days: 1" in status["text"]
    assert not [
        c for c in fake_telegram.calls_to("sendMessage", chat_id=CHAT) if "Incidents" in c["text"]
    ]


async def test_a_caller_who_never_started_the_bot_gets_only_a_pointer_in_the_group(
    fake_telegram: FakeTelegramApi, make_config: Callable[..., Config], running: Running
) -> None:
    fake_telegram.fail("sendMessage", cannot_initiate(), times=1, chat_id=SLT)
    async with running(make_config()) as (app, _):
        typed = command(CHAT, SLT, "/status")
        fake_telegram.push_update(typed)
        [pointer] = await fake_telegram.wait_for("sendMessage", chat_id=CHAT)
        await app.drain()

    assert "Incidents" not in pointer["text"]
    assert "https://t.me/schoolgate_test_bot?start=" in pointer["text"]
    assert pointer.json("reply_parameters")["message_id"] == typed["message"]["message_id"]
