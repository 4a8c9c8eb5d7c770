"""The real slack-bolt app, the real core and SQLite, against the loopback fake Slack
(Socket Mode, as the adapter runs by default)."""

from __future__ import annotations

from collections.abc import Callable

from bot.app import App
from bot.clock import ManualClock
from bot.config import Config
from tests.adapters.slack.conftest import (
    ABUSIVE,
    ADMIN,
    CHANNEL,
    CLEAN,
    PARENT,
    SLT,
    button_body,
    command_body,
    edit_body,
    message_body,
    payload,
)
from tests.adapters.slack.helpers import (
    alert_buttons,
    ephemeral_to,
    posts_to,
    response_texts,
    running,
    slack_platform,
)
from tests.fakes.slack_api import BOT_ID, FakeSlack

MakeConfig = Callable[..., Config]


ADMIN_TOKEN = "  user_token: xoxp-admin\n"


async def test_abusive_message_gets_a_private_reminder_and_an_slt_alert_with_buttons(
    fake_slack: FakeSlack, make_config: MakeConfig
) -> None:
    async with running(make_config(slack_extra=ADMIN_TOKEN)) as app:
        body = message_body(ABUSIVE, ts=fake_slack.next_ts(), event_id="Ev1")
        await fake_slack.deliver("events_api", body)
        await app.drain()

        [pointer] = ephemeral_to(fake_slack, PARENT)
        assert pointer["channel"] == CHANNEL
        assert "direct message" in pointer["text"]
        [reminder] = posts_to(fake_slack, "D" + PARENT)
        assert "code of conduct" in reminder.params["text"].lower()
        assert ABUSIVE not in reminder.params["text"]  # the reminder never repeats the words
        assert set(alert_buttons(fake_slack, SLT)) >= {
            "Not a breach",
            "Delete message",
            "Close chat",
        }

        [incident] = await app.store.incidents()
        assert (incident.chat.chat_id, incident.user.user_id) == (CHANNEL, PARENT)
        assert incident.user.display_name == "Debbie's neighbour"
        paths = {a.kind: a.path for a in await app.store.actions(status="done")}
        assert paths["remind"] == "ephemeral+dm"
        assert paths["alert"] == "dm"


async def test_without_an_admin_token_the_alert_offers_no_delete(
    fake_slack: FakeSlack, make_config: MakeConfig
) -> None:
    async with running(make_config()) as app:
        await fake_slack.deliver("events_api", message_body(ABUSIVE, ts="1.5", event_id="Ev1"))
        await app.drain()
        assert set(alert_buttons(fake_slack, SLT)) == {"Not a breach", "Close chat"}


async def test_delete_message_by_slt_deletes_with_the_admin_token(
    fake_slack: FakeSlack, make_config: MakeConfig
) -> None:
    async with running(make_config(slack_extra=ADMIN_TOKEN)) as app:
        await fake_slack.deliver("events_api", message_body(ABUSIVE, ts="1.7", event_id="Ev1"))
        await app.drain()
        delete = alert_buttons(fake_slack, SLT)["Delete message"]
        await fake_slack.deliver("interactive", button_body(fake_slack, delete, user=SLT))
        await fake_slack.wait_for(lambda: bool(fake_slack.responses), "a reply")
        await app.drain()
        [deleted] = fake_slack.calls_to("chat.delete")
        assert (deleted.params["channel"], deleted.params["ts"]) == (CHANNEL, "1.7")
        assert deleted.token == "xoxp-admin"


async def test_clean_message_sends_nothing(fake_slack: FakeSlack, make_config: MakeConfig) -> None:
    async with running(make_config()) as app:
        await fake_slack.deliver("events_api", message_body(CLEAN, ts="1.1", event_id="Ev1"))
        await app.drain()
        assert fake_slack.calls_to("chat.postMessage") == []
        assert fake_slack.calls_to("chat.postEphemeral") == []
        assert await app.store.incidents() == []


async def test_redelivered_event_is_handled_once(
    fake_slack: FakeSlack, make_config: MakeConfig
) -> None:
    async with running(make_config()) as app:
        body = message_body(ABUSIVE, ts=fake_slack.next_ts(), event_id="EvSame")
        await fake_slack.deliver("events_api", body)
        await fake_slack.deliver("events_api", body, retry_attempt=1)
        clean = message_body(CLEAN, ts=fake_slack.next_ts(), event_id="EvClean")
        await fake_slack.deliver("events_api", clean)
        await fake_slack.deliver("events_api", clean, retry_attempt=1)
        await app.drain()
        assert len(await app.store.incidents()) == 1
        assert len(ephemeral_to(fake_slack, PARENT)) == 1
        assert len(posts_to(fake_slack, "D" + SLT)) == 1
        async with app.store.read() as session:
            [(*_, checked, flagged)] = await session.counters()
        assert (checked, flagged) == (2, 1)  # each message counted once


async def test_own_and_other_bots_messages_are_ignored(
    fake_slack: FakeSlack, make_config: MakeConfig
) -> None:
    async with running(make_config()) as app:
        own = message_body(ABUSIVE, ts="1.1", event_id="Ev1")
        own["event"]["bot_id"] = BOT_ID
        other = message_body(ABUSIVE, ts="1.2", event_id="Ev2", user="U0OTHERBOT")
        other["event"].update(subtype="bot_message", bot_id="B0OTHER")
        await fake_slack.deliver("events_api", own)
        await fake_slack.deliver("events_api", other)
        await app.drain()
        assert await app.store.incidents() == []


async def test_an_edit_turning_abusive_is_caught(
    fake_slack: FakeSlack, make_config: MakeConfig
) -> None:
    async with running(make_config()) as app:
        ts = fake_slack.next_ts()
        await fake_slack.deliver("events_api", message_body(CLEAN, ts=ts, event_id="Ev1"))
        await app.drain()
        assert await app.store.incidents() == []

        edit = edit_body(ABUSIVE, CLEAN, ts=ts, edit_ts=fake_slack.next_ts(), event_id="Ev2")
        await fake_slack.deliver("events_api", edit)
        await app.drain()
        [incident] = await app.store.incidents()
        assert (incident.message_id, incident.edited) == (ts, True)
        assert len(ephemeral_to(fake_slack, PARENT)) == 1


async def test_a_malformed_event_is_skipped_and_the_next_one_handled(
    fake_slack: FakeSlack, make_config: MakeConfig
) -> None:
    async with running(make_config()) as app:
        broken = message_body(ABUSIVE, ts="not-a-ts", event_id="Ev1")
        await fake_slack.deliver("events_api", broken)
        await fake_slack.deliver("events_api", message_body(ABUSIVE, ts="2.1", event_id="Ev2"))
        await app.drain()
        assert [i.message_id for i in await app.store.incidents()] == ["2.1"]


async def test_close_chat_by_slt_posts_the_notice_then_archives(
    fake_slack: FakeSlack, make_config: MakeConfig
) -> None:
    async with running(make_config()) as app:
        await fake_slack.deliver("events_api", message_body(ABUSIVE, ts="3.1", event_id="Ev1"))
        await app.drain()
        close = alert_buttons(fake_slack, SLT)["Close chat"]

        ack = await fake_slack.deliver("interactive", button_body(fake_slack, close, user=SLT))
        assert ack["envelope_id"]
        await fake_slack.wait_for(lambda: bool(response_texts(fake_slack, "button-")), "a reply")
        await app.drain()

        [notice] = posts_to(fake_slack, CHANNEL)
        [archive] = fake_slack.calls_to("conversations.archive")
        assert archive.params["channel"] == CHANNEL
        assert fake_slack.calls.index(notice) < fake_slack.calls.index(archive)
        [reply] = fake_slack.responses
        assert reply["response_type"] == "ephemeral"
        assert (await app.store.actions(kind="close"))[0].path == "archived"


async def test_close_chat_button_pressed_by_a_parent_is_refused(
    fake_slack: FakeSlack, make_config: MakeConfig
) -> None:
    async with running(make_config()) as app:
        await fake_slack.deliver("events_api", message_body(ABUSIVE, ts="4.1", event_id="Ev1"))
        await app.drain()
        close = alert_buttons(fake_slack, SLT)["Close chat"]

        await fake_slack.deliver("interactive", button_body(fake_slack, close, user=PARENT))
        await fake_slack.wait_for(lambda: bool(response_texts(fake_slack, "button-")), "a reply")
        await app.drain()

        [refusal] = response_texts(fake_slack, "button-U0PARENT")
        assert refusal.startswith("Sorry, only")
        assert fake_slack.responses[0]["response_type"] == "ephemeral"
        assert fake_slack.calls_to("conversations.archive", ok_only=False) == []
        assert posts_to(fake_slack, CHANNEL) == []


async def test_close_command_from_a_non_admin_is_refused_and_from_an_admin_closes(
    fake_slack: FakeSlack, make_config: MakeConfig
) -> None:
    async with running(make_config()) as app:
        parent = await fake_slack.deliver(
            "slash_commands", command_body(fake_slack, "close enough", user=PARENT)
        )
        assert parent["envelope_id"]  # acknowledged before the core answered
        await fake_slack.wait_for(lambda: len(fake_slack.responses) == 1, "the refusal")
        await app.drain()
        [refusal] = response_texts(fake_slack, "command-U0PARENT")
        assert refusal.startswith("Sorry, only")
        assert fake_slack.calls_to("conversations.archive", ok_only=False) == []

        await fake_slack.deliver(
            "slash_commands", command_body(fake_slack, "close repeated abuse", user=ADMIN)
        )
        await fake_slack.wait_for(lambda: len(fake_slack.responses) == 2, "the answer")
        await app.drain()
        assert [c.params["channel"] for c in fake_slack.calls_to("conversations.archive")] == [
            CHANNEL
        ]
        assert len(posts_to(fake_slack, CHANNEL)) == 1  # the closing notice


async def close_then_reopen_from_a_dm(fake: FakeSlack, app: App) -> None:
    await fake.deliver("slash_commands", command_body(fake, "close calm down", user=ADMIN))
    await fake.wait_for(lambda: len(fake.responses) == 1, "the answer to close")
    await app.drain()
    reopen = command_body(fake, "reopen <#C0YEAR4|year-4-parents>", user=ADMIN, channel="D" + ADMIN)
    await fake.deliver("slash_commands", reopen)
    await fake.wait_for(lambda: len(fake.responses) == 2, "the answer to reopen")
    await app.drain()


async def test_reopen_without_an_admin_token_tells_slt_how_to_unarchive(
    fake_slack: FakeSlack, make_config: MakeConfig
) -> None:
    async with running(make_config()) as app:
        await close_then_reopen_from_a_dm(fake_slack, app)
        assert fake_slack.archived == {CHANNEL}
        [note] = posts_to(fake_slack, "D" + SLT)
        assert "Unarchive" in note.params["text"]
        assert "/invite @schoolgate" in note.params["text"]
        [reopen] = await app.store.actions(kind="reopen")
        assert reopen.status == "failed"


async def test_reopen_with_an_admin_token_unarchives_and_posts_the_notice(
    fake_slack: FakeSlack, make_config: MakeConfig
) -> None:
    async with running(make_config(slack_extra=ADMIN_TOKEN)) as app:
        await close_then_reopen_from_a_dm(fake_slack, app)
        assert fake_slack.archived == set()
        [unarchive] = fake_slack.calls_to("conversations.unarchive")
        assert (unarchive.params["channel"], unarchive.token) == (CHANNEL, "xoxp-admin")
        _closing, reopening = posts_to(fake_slack, CHANNEL)
        assert fake_slack.calls.index(unarchive) < fake_slack.calls.index(reopening)
        assert posts_to(fake_slack, "D" + SLT) == []


async def test_unknown_subcommand_gets_the_commands_the_caller_may_use(
    fake_slack: FakeSlack, make_config: MakeConfig
) -> None:
    async with running(make_config()):
        await fake_slack.deliver("slash_commands", command_body(fake_slack, "dance", user=PARENT))
        await fake_slack.wait_for(lambda: bool(fake_slack.responses), "the usage")
        await fake_slack.deliver("slash_commands", command_body(fake_slack, "help", user=SLT))
        await fake_slack.wait_for(lambda: len(fake_slack.responses) == 2, "the help")
        parent, slt = response_texts(fake_slack, "command-")
        assert "Sorry, there is no /schoolgate dance command." in parent
        assert "/schoolgate rules" in parent
        assert "close" not in parent  # a parent may not, so is not told of it
        assert "/schoolgate close [reason]" in slt
        assert "name the channel first" in slt


async def test_rate_limited_alert_is_delivered_once_after_retry_after(
    fake_slack: FakeSlack, make_config: MakeConfig
) -> None:
    clock = ManualClock()
    fake_slack.fail(
        "chat.postMessage", status=429, retry_after=1, when=lambda p: p.get("channel") == "D" + SLT
    )
    async with running(make_config(), clock) as app:
        await fake_slack.deliver("events_api", message_body(ABUSIVE, ts="5.1", event_id="Ev1"))
        await app.drain()
        [alert] = await app.store.actions(kind="alert")
        assert (alert.status, alert.attempts) == ("pending", 1)
        assert posts_to(fake_slack, "D" + SLT) == []

        clock.advance(1)
        await app.drain()
        [alert] = await app.store.actions(kind="alert")
        assert alert.status == "done"
        assert len(posts_to(fake_slack, "D" + SLT)) == 1


async def test_catch_up_reads_history_after_a_restart(
    fake_slack: FakeSlack, make_config: MakeConfig
) -> None:
    config = make_config()
    async with running(config) as app:
        await fake_slack.deliver(
            "events_api", message_body(CLEAN, ts="1760000000.000100", event_id="Ev1")
        )
        await app.drain()
    assert fake_slack.calls_to("conversations.history") == []  # a first start replays nothing

    # While the bot was down: the message it saw, one it missed, and a bot's post.
    fake_slack.history[CHANNEL] = [
        {"type": "message", "user": PARENT, "text": CLEAN, "ts": "1760000000.000100"},
        {"type": "message", "user": PARENT, "text": ABUSIVE, "ts": "1760000000.000200"},
        {
            "type": "message",
            "subtype": "bot_message",
            "bot_id": "B0X",
            "text": ABUSIVE,
            "ts": "1760000000.300000",
        },
    ]
    async with running(config) as app:
        await slack_platform(app).caught_up()
        [history] = fake_slack.calls_to("conversations.history")
        # From two days before the last message seen: older threads may have new replies.
        assert history.params["channel"] == CHANNEL
        assert history.params["oldest"] == "1759827200.000100"
        await app.drain()
        assert [i.message_id for i in await app.store.incidents()] == ["1760000000.000200"]
        assert len(ephemeral_to(fake_slack, PARENT)) == 1


async def test_a_joining_member_is_welcomed_and_their_acknowledgement_stored(
    fake_slack: FakeSlack, make_config: MakeConfig
) -> None:
    async with running(make_config()) as app:
        joined = payload("member_joined_channel", user=PARENT, channel=CHANNEL, event_id="Ev1")
        await fake_slack.deliver("events_api", joined)
        await app.drain()
        [welcome] = posts_to(fake_slack, "D" + PARENT)
        [button] = welcome.json_param("blocks")[-1]["elements"]

        await fake_slack.deliver(
            "interactive", button_body(fake_slack, button["value"], user=PARENT)
        )
        await fake_slack.wait_for(lambda: bool(fake_slack.responses), "the thanks")
        [ack] = await app.store.acknowledgements()
        assert (ack.user_id, ack.code_version) == (PARENT, app.config.schools[0].policy.version)


async def test_the_alert_and_the_reminder_link_to_the_message(
    fake_slack: FakeSlack, make_config: MakeConfig
) -> None:
    async with running(make_config()) as app:
        ts = fake_slack.next_ts()
        await fake_slack.deliver("events_api", message_body(ABUSIVE, ts=ts, event_id="Ev1"))
        await app.drain()

    # Slack's permalink form, from the workspace address auth.test gives.
    link = f"https://riverside.slack.com/archives/{CHANNEL}/p{ts.replace('.', '')}"
    [alert] = posts_to(fake_slack, "D" + SLT)
    assert f"Link: {link}" in alert.params["text"]
    [reminder] = posts_to(fake_slack, "D" + PARENT)
    assert f"The message: {link}" in reminder.params["text"]
