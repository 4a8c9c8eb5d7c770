"""One message end to end: moderated, stored, reminded, alerted; commands and buttons."""

from __future__ import annotations

from pathlib import Path

from adapters.local import LocalPlatform
from bot.clock import ManualClock
from bot.config import Config
from bot.model import ButtonAction, ChatMessage, ChatRef
from bot.platform import Capability
from tests.bot.conftest import (
    ABUSIVE,
    ADMIN,
    ANONYMOUS,
    CHAT,
    CLEAN,
    OTHER_PARENT,
    OTHER_SLT,
    PARENT,
    SLT,
    STAFF,
    THREAT,
    StartApp,
    make_config,
    private,
)


async def test_a_flagged_message_gives_one_reminder_and_one_alert(
    config: Config, running: StartApp
) -> None:
    async with running(config) as (app, local):
        await local.send(CHAT, OTHER_PARENT, CLEAN)
        await local.send(CHAT, PARENT, STAFF)
        await app.drain()

        reminders = private(local, PARENT, "reminder")
        alerts = private(local, SLT, "alert")
        assert len(reminders) == 1
        assert len(alerts) == 1
        assert private(local, OTHER_PARENT, "reminder") == []
        # The reminder quotes the clause, not the message; the alert carries the message.
        assert "should be sacked" not in reminders[0]
        assert "Please could you remove the message?" in reminders[0]
        assert "raise it with the school directly" in reminders[0]
        assert STAFF in alerts[0]
        assert "Year 3 Parents" in alerts[0]
        assert "Amy" in alerts[0]
        alert = next(s for s in local.seen_by(SLT.user_id) if s.kind == "alert")
        assert [b.action for b in alert.buttons] == [
            ButtonAction.DISMISS,
            ButtonAction.DELETE,
            ButtonAction.CLOSE,
        ]
        incidents = await app.store.incidents()
        assert [i.text for i in incidents] == [STAFF]
        assert "staff" in incidents[0].categories
        actions = await app.store.actions()
        assert sorted((a.kind, a.status, a.path) for a in actions) == [
            ("alert", "done", "dm"),
            ("remind", "done", "dm"),
        ]


async def test_the_same_message_twice_is_handled_once(config: Config, running: StartApp) -> None:
    async with running(config) as (app, local):
        message = await local.send(CHAT, PARENT, ABUSIVE)
        assert message is not None
        await app.core.on_message(message)  # re-delivered by the platform, or by catch-up
        await app.drain()
        assert len(await app.store.incidents()) == 1
        assert len(private(local, PARENT, "reminder")) == 1


async def test_an_edit_that_turns_a_clean_message_abusive_is_caught(
    config: Config, running: StartApp
) -> None:
    async with running(config) as (app, local):
        message = await local.send(CHAT, PARENT, CLEAN)
        await app.drain()
        assert await app.store.incidents() == []
        assert message is not None
        await local.edit(message, THREAT)
        await app.drain()
        incidents = await app.store.incidents()
        assert [(i.message_id, i.edited, i.text) for i in incidents] == [
            (message.message_id, True, THREAT)
        ]
        assert len(private(local, PARENT, "reminder")) == 1
        [alert] = private(local, SLT, "alert")
        assert alert.startswith("URGENT")


async def test_chats_not_in_the_config_are_ignored(config: Config, running: StartApp) -> None:
    async with running(config) as (app, local):
        await local.send("someone-elses-chat", PARENT, ABUSIVE)
        await app.drain()
        assert await app.store.incidents() == []
        assert local.delivered == []


async def test_slt_closes_the_chat_from_an_alert_and_a_parent_cannot(
    config: Config, running: StartApp
) -> None:
    async with running(config) as (app, local):
        await local.send(CHAT, PARENT, STAFF)
        await app.drain()
        alert = next(s for s in local.seen_by(SLT.user_id) if s.kind == "alert")
        close = next(b for b in alert.buttons if b.action is ButtonAction.CLOSE)

        refused = await local.press(close, OTHER_PARENT)
        await app.drain()
        assert "only the school's senior leadership team" in refused.text
        assert local.chats[CHAT].can_send_messages  # still open

        done = await local.press(close, SLT)
        await app.drain()
        assert "Closing" in done.text
        assert local.chats[CHAT].can_send_messages is False
        notices = [s.text for s in local.posted_in(CHAT) if s.kind == "notice"]
        assert len(notices) == 1
        assert "If problems continue" in notices[0]  # quotes the closure clause
        assert await local.send(CHAT, OTHER_PARENT, CLEAN) is None
        assert (await app.store.chat_state(ChatRef("local", CHAT))).closed
        audit = [(a.actor_id, a.action, a.outcome) for a in await app.store.audit_log()]
        assert audit == [
            (OTHER_PARENT.user_id, "button:close", "refused"),
            (SLT.user_id, "close", "ok"),
        ]
        # Notice first, then the lock: members see why before the chat goes quiet.
        kinds = [a.kind for a in await app.store.actions() if a.kind in ("notice", "close")]
        assert kinds == ["notice", "close"]


async def test_close_and_reopen_commands_restore_the_saved_state(
    config: Config, running: StartApp
) -> None:
    async with running(config) as (app, local):
        reply = await local.command(CHAT, ADMIN, "/close too many arguments tonight")
        await app.drain()
        assert "Closing" in reply.text
        assert local.chats[CHAT].can_send_messages is False
        state = await app.store.chat_state(ChatRef("local", CHAT))
        assert state.reason == "too many arguments tonight"
        assert state.saved_state == '{"can_send_messages": true}'

        refused = await local.command(CHAT, PARENT, "/reopen")
        assert "noted" in refused.text
        assert local.chats[CHAT].can_send_messages is False

        again = await local.command(CHAT, SLT, "/close")
        assert "already closed" in again.text

        reopened = await local.command(CHAT, SLT, "/reopen")
        await app.drain()
        assert "Reopening" in reopened.text
        assert local.chats[CHAT].can_send_messages is True
        reopen = next(a for a, _ in local.delivered if type(a).__name__ == "ReopenChat")
        assert reopen.saved_state == '{"can_send_messages": true}'  # type: ignore[union-attr]
        notices = [s.text for s in local.posted_in(CHAT) if s.kind == "notice"]
        assert len(notices) == 2
        assert "open again" in notices[1]


async def test_refusals_are_polite_specific_and_audited(config: Config, running: StartApp) -> None:
    async with running(config) as (app, local):
        anonymous = await local.command(CHAT, ANONYMOUS, "/close")
        assert "as yourself" in anonymous.text
        # SLT of another school have no say over this school's chat.
        other = await local.command(CHAT, OTHER_SLT, "/status")
        assert "noted" in other.text
        parent = await local.command(CHAT, PARENT, "/close")
        assert "Sorry" in parent.text
        await app.drain()
        assert local.chats[CHAT].can_send_messages is True
        assert [(a.actor_id, a.outcome, a.detail) for a in await app.store.audit_log()] == [
            (ANONYMOUS.user_id, "refused", "anonymous"),
            (OTHER_SLT.user_id, "refused", "role: member"),
            (PARENT.user_id, "refused", "role: member"),
        ]


async def test_an_alert_button_cannot_act_on_another_schools_incident(
    config: Config, running: StartApp
) -> None:
    async with running(config) as (app, local):
        await local.send(CHAT, PARENT, STAFF)
        await app.drain()
        [incident] = await app.store.incidents()
        reply = await local.press(f"sg:dismiss:{incident.key}", OTHER_SLT)
        assert "noted" in reply.text
        assert (await app.store.incidents())[0].status == "open"


async def test_status_rules_and_privacy(config: Config, running: StartApp) -> None:
    async with running(config) as (app, local):
        await local.send(CHAT, PARENT, STAFF)
        await app.drain()
        status = await local.command(CHAT, SLT, "/status")
        assert status is not None
        assert "is open" in status.text
        assert "Incidents in the last 7 days: 1" in status.text
        rules = await local.command(CHAT, PARENT, "/rules")
        assert "version" in rules.text
        privacy = await local.command(CHAT, PARENT, "/privacy@SchoolBot")
        assert "90 days" in privacy.text


async def test_dismiss_is_recorded_and_no_longer_counts(config: Config, running: StartApp) -> None:
    async with running(config) as (app, local):
        await local.send(CHAT, PARENT, STAFF)
        await app.drain()
        [incident] = await app.store.incidents()
        reply = await local.press(f"sg:dismiss:{incident.key}", SLT)
        assert "not a breach" in reply.text
        [incident] = await app.store.incidents()
        assert (incident.status, incident.resolved_by) == ("dismissed", "local:slt-shah")
        [entry] = await app.store.audit_log()
        assert entry.action == "dismiss"
        assert entry.detail.startswith("rules: ")


async def test_delete_button_deletes_and_a_failed_delete_is_reported_to_slt(
    tmp_path: Path, clock: ManualClock, running: StartApp
) -> None:
    config = make_config(tmp_path)
    async with running(config) as (app, local):
        message = await local.send(CHAT, PARENT, STAFF)
        await app.drain()
        assert message is not None
        assert message.message_id in local.chats[CHAT].messages
        [incident] = await app.store.incidents()
        await local.press(f"sg:delete:{incident.key}", SLT)
        await app.drain()
        assert message.message_id not in local.chats[CHAT].messages
        again = await local.press(f"sg:delete:{incident.key}", SLT)
        assert "already" in again.text

    # Without the right to delete, SLT hear that it could not be done.
    local = LocalPlatform(clock=clock)
    local.set_capabilities("year3", set(Capability) - {Capability.DELETE_OTHERS})
    async with running(make_config(tmp_path, db="second.sqlite3"), local) as (app, local):
        await local.send(CHAT, PARENT, STAFF)
        await app.drain()
        [incident] = await app.store.incidents()
        await local.press(f"sg:delete:{incident.key}", SLT)
        await app.drain()
        notes = [t for t in private(local, SLT, "alert") if "could not delete" in t]
        assert len(notes) == 1
        [failed] = await app.store.actions(kind="delete")
        assert failed.status == "failed"
        assert "no right to delete" in failed.note


async def test_policy_deletes_where_the_school_enables_it(
    tmp_path: Path, running: StartApp
) -> None:
    config = make_config(tmp_path, "policy:\n  delete: [staff]\n")
    async with running(config) as (app, local):
        message = await local.send(CHAT, PARENT, STAFF)
        await app.drain()
        assert message is not None
        assert message.message_id not in local.chats[CHAT].messages
        [alert] = private(local, SLT, "alert")
        assert "being deleted automatically" in alert


async def test_reminder_falls_back_to_a_neutral_nudge_without_private_messages(
    tmp_path: Path, clock: ManualClock, running: StartApp
) -> None:
    local = LocalPlatform(clock=clock)
    local.set_capabilities(
        CHAT, set(Capability) - {Capability.DIRECT_MESSAGE, Capability.EPHEMERAL}
    )
    async with running(make_config(tmp_path), local) as (app, local):
        await local.send(CHAT, PARENT, ABUSIVE)
        await app.drain()
        [nudge] = [s.text for s in local.posted_in(CHAT) if s.kind == "nudge"]
        assert "Amy" in nudge
        assert "stupid" not in nudge
        assert "code" not in nudge
        [remind] = await app.store.actions(kind="remind")
        assert remind.path == "nudge"

        # /start with the reminder's key opens the full reminder privately, for that parent only.
        dm = ChatRef("local", "dm-amy")
        other = await local.command(dm.chat_id, OTHER_PARENT, f"/start {remind.key}")
        assert "Please could you remove" not in other.text
        mine = await local.command(dm.chat_id, PARENT, f"/start {remind.key}")
        assert "Please could you remove the message?" in mine.text


async def test_a_member_blocking_dms_gets_an_ephemeral_reminder(
    config: Config, running: StartApp
) -> None:
    async with running(config) as (app, local):
        local.blocks_dms.add(PARENT.user_id)
        await local.send(CHAT, PARENT, ABUSIVE)
        await app.drain()
        [remind] = await app.store.actions(kind="remind")
        assert remind.path == "ephemeral"
        assert len(private(local, PARENT, "ephemeral")) == 1


async def test_new_members_are_welcomed_and_acknowledgements_stored(
    config: Config, running: StartApp
) -> None:
    async with running(config) as (app, local):
        await local.join(CHAT, PARENT)
        await local.join(CHAT, PARENT)  # a re-delivered join event
        await app.drain()
        welcomes = [s for s in local.seen_by(PARENT.user_id) if s.kind == "welcome"]
        assert len(welcomes) == 1
        reply = await local.press(welcomes[0].buttons[0], PARENT)
        assert "Thank you" in reply.text
        [ack] = await app.store.acknowledgements()
        assert (ack.user_id, ack.school_id) == (PARENT.user_id, "riverside")
        assert ack.code_version == config.schools[0].policy.version
        await local.join(CHAT, PARENT)  # already accepted this version: no second welcome
        await app.drain()
        assert len([s for s in local.seen_by(PARENT.user_id) if s.kind == "welcome"]) == 1


async def test_messages_sent_while_stopped_are_caught_up(
    config: Config, clock: ManualClock, running: StartApp
) -> None:
    local = LocalPlatform(clock=clock)
    async with running(config, local) as (app, _):
        await local.send(CHAT, PARENT, CLEAN)
        last = await app.core.last_seen(ChatRef("local", CHAT))
    assert last is not None
    missed = await local.send(CHAT, PARENT, THREAT)  # nobody is listening
    assert isinstance(missed, ChatMessage)
    async with running(config, local) as (app, _):
        await app.drain()
        assert [i.message_id for i in await app.store.incidents()] == [missed.message_id]
        assert await app.core.last_seen(ChatRef("local", CHAT)) == missed.message_id
