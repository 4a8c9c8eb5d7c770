"""Each action carried out with the real slack-sdk client against the fake Slack."""

from __future__ import annotations

import pytest
from pydantic import SecretStr
from slack_sdk.errors import SlackApiError

from adapters.slack.clients import build_clients
from adapters.slack.delivery import DM_POINTER, SlackDelivery
from bot.model import (
    Alert,
    Button,
    ButtonAction,
    ChatRef,
    CloseChat,
    Delete,
    Notice,
    PermanentFailure,
    Remind,
    ReopenChat,
    RetryAfter,
    UserRef,
    Welcome,
)
from bot.platform_settings import SlackSettings
from tests.adapters.slack.conftest import CHANNEL, PARENT, SLT
from tests.fakes.slack_api import BOT_USER_ID, FakeSlack

CHAT = ChatRef("slack", CHANNEL, title="year-4-parents")
PARENT_REF = UserRef("slack", PARENT)
REMIND = Remind(
    key="r1",
    chat=CHAT,
    user=PARENT_REF,
    message_id="1.1",
    text="Your message may break clause 2 <respect> & more",
    nudge="Please keep it kind.",
)


def delivery(fake: FakeSlack, *, user_token: bool = False) -> SlackDelivery:
    settings = SlackSettings(
        bot_token=SecretStr("xoxb-test"),
        app_token=SecretStr("xapp-test"),
        api_url=fake.api_url,
        user_token=SecretStr("xoxp-admin") if user_token else None,
    )
    clients = build_clients(settings)
    return SlackDelivery(clients.bot, clients.user, BOT_USER_ID)


async def test_reminder_goes_by_dm_with_an_ephemeral_pointer(fake_slack: FakeSlack) -> None:
    done = await delivery(fake_slack).deliver(REMIND)
    assert done.path == "ephemeral+dm"
    opened = fake_slack.calls_to("conversations.open")
    assert [c.params["users"] for c in opened] == [PARENT]
    [dm] = fake_slack.calls_to("chat.postMessage")
    assert dm.params["channel"] == "D" + PARENT
    assert dm.params["text"] == "Your message may break clause 2 &lt;respect&gt; &amp; more"
    [ephemeral] = fake_slack.calls_to("chat.postEphemeral")
    assert (ephemeral.params["channel"], ephemeral.params["user"]) == (CHANNEL, PARENT)
    assert ephemeral.params["text"] == DM_POINTER
    assert {c.token for c in fake_slack.calls} == {"xoxb-test"}


async def test_reminder_falls_back_to_the_full_text_in_an_ephemeral(fake_slack: FakeSlack) -> None:
    fake_slack.fail("conversations.open", error="user_disabled")
    done = await delivery(fake_slack).deliver(REMIND)
    assert done.path == "ephemeral"
    [ephemeral] = fake_slack.calls_to("chat.postEphemeral")
    assert ephemeral.params["text"].startswith("Your message may break clause 2")


async def test_reminder_whose_dm_went_out_is_not_retried(fake_slack: FakeSlack) -> None:
    fake_slack.fail("chat.postEphemeral", status=429, retry_after=1)
    done = await delivery(fake_slack).deliver(REMIND)
    assert done.path == "dm"
    assert len(fake_slack.calls_to("chat.postMessage")) == 1


async def test_alert_is_a_dm_with_block_kit_buttons(fake_slack: FakeSlack) -> None:
    buttons = (
        Button(ButtonAction.DISMISS, "inc1", "Not a breach"),
        Button(ButtonAction.DELETE, "inc1", "Delete message"),
        Button(ButtonAction.CLOSE, "inc1", "Close chat"),
    )
    alert = Alert(
        key="a1",
        chat=CHAT,
        recipient=UserRef("slack", SLT),
        incident_key="inc1",
        text="Flagged in #year-4-parents",
        buttons=buttons,
        urgent=True,
    )
    assert (await delivery(fake_slack).deliver(alert)).path == "dm"
    [post] = fake_slack.calls_to("chat.postMessage")
    assert post.params["channel"] == "D" + SLT
    blocks = post.json_param("blocks")
    assert blocks[0]["type"] == "header"
    assert blocks[1]["text"]["text"] == "Flagged in #year-4-parents"
    elements = blocks[-1]["elements"]
    assert [e["text"]["text"] for e in elements] == ["Not a breach", "Delete message", "Close chat"]
    assert [e["action_id"] for e in elements] == [b.data for b in buttons]
    assert [e["value"] for e in elements] == [b.data for b in buttons]


async def test_rate_limit_becomes_retry_after(fake_slack: FakeSlack) -> None:
    fake_slack.fail("chat.postMessage", status=429, retry_after=7)
    notice = Notice(key="n1", chat=CHAT, text="This chat is closed.")
    with pytest.raises(RetryAfter) as raised:
        await delivery(fake_slack).deliver(notice)
    assert raised.value.seconds == 7
    assert len(fake_slack.calls_to("chat.postMessage", ok_only=False)) == 1  # no retry here


async def test_server_error_is_left_to_the_outbox_to_retry(fake_slack: FakeSlack) -> None:
    fake_slack.fail("chat.postMessage", status=500)
    with pytest.raises(SlackApiError):
        await delivery(fake_slack).deliver(Notice(key="n1", chat=CHAT, text="Closed."))


async def test_close_archives_with_the_bot_token(fake_slack: FakeSlack) -> None:
    done = await delivery(fake_slack).deliver(CloseChat(key="c1", chat=CHAT, reason="abuse"))
    assert done.path == "archived"
    [archive] = fake_slack.calls_to("conversations.archive")
    assert (archive.params["channel"], archive.token) == (CHANNEL, "xoxb-test")


async def test_close_refused_by_workspace_settings_says_so_plainly(fake_slack: FakeSlack) -> None:
    fake_slack.fail("conversations.archive", error="restricted_action")
    with pytest.raises(PermanentFailure, match="workspace's settings restrict who may archive"):
        await delivery(fake_slack).deliver(CloseChat(key="c1", chat=CHAT, reason="abuse"))


async def test_reopen_without_a_user_token_tells_slt_how(fake_slack: FakeSlack) -> None:
    reopen = ReopenChat(key="o1", chat=CHAT, saved_state=None)
    with pytest.raises(PermanentFailure) as raised:
        await delivery(fake_slack).deliver(reopen)
    assert "#year-4-parents" in raised.value.reason
    assert "Unarchive" in raised.value.reason
    assert fake_slack.calls_to("conversations.unarchive", ok_only=False) == []


async def test_reopen_with_a_user_token_unarchives_and_brings_the_bot_back(
    fake_slack: FakeSlack,
) -> None:
    reopen = ReopenChat(key="o1", chat=CHAT, saved_state=None)
    done = await delivery(fake_slack, user_token=True).deliver(reopen)
    assert done.path == "unarchived"
    assert fake_slack.methods() == ["conversations.unarchive", "conversations.invite"]
    assert {c.token for c in fake_slack.calls} == {"xoxp-admin"}
    assert fake_slack.calls_to("conversations.invite")[0].params["users"] == BOT_USER_ID


async def test_delete_needs_the_user_token(fake_slack: FakeSlack) -> None:
    delete = Delete(key="d1", chat=CHAT, message_id="1760000000.000100")
    with pytest.raises(PermanentFailure, match="could not be deleted"):
        await delivery(fake_slack).deliver(delete)
    done = await delivery(fake_slack, user_token=True).deliver(delete)
    assert done.path == "deleted"
    [deleted] = fake_slack.calls_to("chat.delete")
    assert (deleted.params["ts"], deleted.token) == ("1760000000.000100", "xoxp-admin")


async def test_welcome_is_a_dm_with_an_acknowledge_button(fake_slack: FakeSlack) -> None:
    ack = Button(ButtonAction.ACK, "ack1", "I agree")
    welcome = Welcome(key="w1", chat=CHAT, user=PARENT_REF, text="Welcome!", buttons=(ack,))
    assert (await delivery(fake_slack).deliver(welcome)).path == "dm"
    [post] = fake_slack.calls_to("chat.postMessage")
    button = post.json_param("blocks")[-1]["elements"][0]
    assert (button["value"], button["style"]) == (ack.data, "primary")
