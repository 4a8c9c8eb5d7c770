"""A mixed workload through all three adapters with DEBUG logging everywhere (ours, the SDKs',
the HTTP libraries'): no secret and no word of a message that was not flagged reaches the log.

Run twice, so that every secret is in use once: Telegram polling with Slack in Socket Mode (app
token), and Telegram by webhook (secret token) with Slack over HTTP (signing secret).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import pytest

from adapters.discord import DiscordPlatform
from adapters.slack import SlackPlatform
from adapters.telegram import TelegramPlatform
from bot.app import App
from bot.config import parse_config
from bot.model import ButtonAction
from tests.adapters.discord.conftest import GUILD_READY_TIMEOUT, custom_ids
from tests.adapters.slack.conftest import ABUSIVE, CHANNEL, PARENT, SLT, message_body
from tests.adapters.slack.conftest import button_body as slack_button
from tests.adapters.slack.conftest import command_body as slack_command
from tests.adapters.slack.helpers import alert_buttons
from tests.adapters.telegram import builders as tg
from tests.adapters.telegram.test_moderation import keyboard
from tests.adapters.telegram.test_webhook import post as post_update
from tests.fakes.discord_api import FakeDiscord
from tests.fakes.slack_api import FakeSlack
from tests.fakes.telegram_api import ApiCall, FakeTelegramApi

from .leaks import SECRET_CORES, SECRETS, clean_text, clean_word, leaks
from .slack_requests import event, form, interactive, send
from .worlds.base import buttons_of
from .worlds.discord_world import Servers, build_servers

# Every clean message of the workload is tagged with one of these.
CLEAN_TAGS = ("tg1", "tg2", "dc1", "dc2", "sl1", "sl2")
CLEAN_TAGS_REFUSED = ("tgrefused", "slrefused")  # sent to a webhook or HTTP endpoint, refused
CLEAN_TAGS_DOWN = ("tgdown", "dcdown", "sldown")  # sent while the bot was stopped
# Every logger that might carry a payload, at DEBUG whatever the adapters set for them.
SDK_LOGGERS = ("telegram", "httpx", "httpcore", "discord", "slack_bolt", "slack_sdk", "aiohttp")


def _with_buttons(call: ApiCall) -> bool:
    return "reply_markup" in call.params


def _without_buttons(call: ApiCall) -> bool:
    return "reply_markup" not in call.params


@dataclass(frozen=True)
class Modes:
    telegram: str  # polling | webhook
    slack: str  # socket | http
    catch_up: bool  # also restart, with messages sent while the bot was down


def config_yaml(
    modes: Modes,
    storage: Path,
    tgf: FakeTelegramApi,
    dc: FakeDiscord,
    servers: Servers,
    sl: FakeSlack,
) -> str:
    slt = servers.users["slt_this"]
    return f"""
storage:
  path: {storage}
policy:
  escalation: {{alert_after: 1}}
telegram:
  token: ${{SG_TELEGRAM_TOKEN}}
  base_url: {tgf.base_url}
  mode: {modes.telegram}
  webhook:
    listen: 127.0.0.1
    port: 0
    path: /telegram
    url: https://bot.example.org/telegram
    secret_token: ${{SG_TELEGRAM_WEBHOOK_SECRET}}
discord:
  token: ${{SG_DISCORD_TOKEN}}
  api_url: {dc.api_url}
  gateway_url: {dc.gateway_url}
slack:
  mode: {modes.slack}
  bot_token: ${{SG_SLACK_BOT_TOKEN}}
  app_token: ${{SG_SLACK_APP_TOKEN}}
  signing_secret: ${{SG_SLACK_SIGNING_SECRET}}
  user_token: ${{SG_SLACK_USER_TOKEN}}
  listen: 127.0.0.1
  port: 0
  api_url: {sl.api_url}
schools:
  - id: riverside
    name: Riverside Primary School
    slt:
      - {{name: Ms Okafor, telegram: {tg.SLT}, discord: "{slt}", slack: {SLT}}}
    chats:
      - {{platform: telegram, id: "{tg.CHAT}", name: Year 4 parents}}
      - {{platform: discord, id: "{servers.channel}", name: Year 3 parents}}
      - {{platform: slack, id: {CHANNEL}, name: year-4-parents}}
"""


@dataclass
class Workload:
    modes: Modes
    app: App
    telegram: TelegramPlatform
    discord: DiscordPlatform
    slack: SlackPlatform
    tgf: FakeTelegramApi
    dc: FakeDiscord
    servers: Servers
    sl: FakeSlack

    async def run_telegram(self) -> None:
        updates = [
            tg.message(tg.CHAT, tg.PARENT, clean_text("tg1")),
            tg.message(tg.CHAT, tg.OTHER_PARENT, clean_text("tg2")),
            tg.message(tg.CHAT, tg.PARENT, tg.ABUSIVE),
            tg.command(tg.CHAT, tg.SLT, "/status"),
            tg.command(tg.CHAT, tg.OTHER_PARENT, "/close now"),
        ]
        for update in updates:
            await self._to_telegram(update)
        [alert] = await self.tgf.wait_for("sendMessage", chat_id=tg.SLT, where=_with_buttons)
        dismiss = buttons_of([data for _, data in keyboard(alert)])[ButtonAction.DISMISS]
        await self._to_telegram(tg.press(tg.SLT, dismiss))
        await self.tgf.wait_for("answerCallbackQuery")
        # Answers to commands go to each caller privately.
        await self.tgf.wait_for("sendMessage", chat_id=tg.SLT, where=_without_buttons)
        await self.tgf.wait_for("sendMessage", chat_id=tg.OTHER_PARENT, where=_without_buttons)
        if self.modes.telegram == "webhook":  # refused: its body must not be logged either
            refused = tg.message(tg.CHAT, tg.PARENT, clean_text("tgrefused"))
            assert await post_update(self.telegram.webhook_port, refused, "wrong") == 403

    async def _to_telegram(self, update: dict[str, object]) -> None:
        if self.modes.telegram == "polling":
            self.tgf.push_update(update)
        else:
            token = SECRETS["SG_TELEGRAM_WEBHOOK_SECRET"]
            assert await post_update(self.telegram.webhook_port, update, token) == 200

    async def run_discord(self) -> None:
        users, channel = self.servers.users, self.servers.channel
        await self.dc.say(channel, users["parent"], clean_text("dc1"))
        await self.dc.say(channel, users["unknown"], clean_text("dc2"))
        await self.dc.say(channel, self.servers.offender, ABUSIVE)
        await self.settle()
        for user, name in ((users["slt_this"], "status"), (users["parent"], "close")):
            await self.dc.interaction_reply(await self.dc.command(channel, user, name))
        [alert] = [m for m in self.dc.dms_to(users["slt_this"]) if m.get("components")]
        pressed = await self.dc.press(alert, custom_ids(alert)["Not a breach"], users["slt_this"])
        await self.dc.interaction_reply(pressed)

    async def run_slack(self) -> None:
        events = [
            message_body(clean_text("sl1"), ts="20.1", event_id="EvL1", user=PARENT),
            message_body(clean_text("sl2"), ts="20.2", event_id="EvL2", user="U0OTHER"),
            message_body(ABUSIVE, ts="20.3", event_id="EvL3", user=PARENT),
        ]
        for body in events:
            await self._to_slack("events_api", body)
        await self.app.drain()
        commands = [
            slack_command(self.sl, "status", user=SLT),
            slack_command(self.sl, "close now", user=PARENT),
        ]
        for body in commands:
            await self._to_slack("slash_commands", body)
        press = slack_button(self.sl, alert_buttons(self.sl, SLT)["Not a breach"], user=SLT)
        await self._to_slack("interactive", press)
        await self.sl.wait_for(lambda: len(self.sl.responses) == 3, "three answers")
        if self.modes.slack == "http":  # refused: its body must not be logged either
            body = message_body(clean_text("slrefused"), ts="20.9", event_id="EvL9")
            assert await send(self._slack_url, event(body, secret="wrong")) == 401

    @property
    def _slack_url(self) -> str:
        return f"http://127.0.0.1:{self.slack.http_port}/slack/events"

    async def _to_slack(self, kind: str, body: dict[str, object]) -> None:
        if self.modes.slack == "socket":
            await self.sl.deliver(kind, body)
            return
        secret = SECRETS["SG_SLACK_SIGNING_SECRET"]
        if kind == "events_api":
            request = event(body, secret=secret)
        elif kind == "slash_commands":
            request = form({k: str(v) for k, v in body.items()}, secret=secret)
        else:
            request = interactive(body, secret=secret)
        assert await send(self._slack_url, request) == 200

    def while_down(self) -> None:
        """One clean message per platform while the bot is stopped, read at the next start
        (Telegram's queued updates, Discord's channel history, Slack's conversations.history)."""
        self.tgf.push_update(tg.message(tg.CHAT, tg.PARENT, clean_text("tgdown")))
        # Updates are handled in order: the answer to this one shows the one before was read.
        self.tgf.push_update(tg.command(tg.CHAT, tg.SLT, "/status"))
        self.dc.post(self.servers.channel, self.servers.users["parent"], clean_text("dcdown"))
        self.sl.history[CHANNEL] = [
            {"type": "message", "user": PARENT, "text": clean_text("sldown"), "ts": "21.1"}
        ]

    async def settle(self) -> None:
        await self.dc.sync()
        await self.discord.settle()
        await self.slack.caught_up()  # Slack's catch-up runs in the background
        await self.app.drain()


async def checked(app: App) -> set[tuple[str, int, int]]:
    """(platform, messages checked, messages flagged), for each platform."""
    async with app.store.read() as session:
        return {(row[1], row[4], row[5]) for row in await session.counters()}


@pytest.mark.parametrize(
    "modes",
    [Modes("polling", "socket", catch_up=True), Modes("webhook", "http", catch_up=False)],
    ids=["polling-socket-with-catch-up", "webhook-http"],
)
async def test_no_secret_and_no_unflagged_text_is_logged_at_debug(
    modes: Modes,
    telegram_with_sentinel_token: FakeTelegramApi,
    fake: FakeDiscord,
    fake_slack: FakeSlack,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    servers = build_servers(fake)
    text = config_yaml(
        modes, tmp_path / "db.sqlite3", telegram_with_sentinel_token, fake, servers, fake_slack
    )
    config = parse_config(text, "test")

    def adapters() -> tuple[TelegramPlatform, DiscordPlatform, SlackPlatform]:
        adapters = (
            TelegramPlatform(config),
            DiscordPlatform(config, guild_ready_timeout=GUILD_READY_TIMEOUT),
            SlackPlatform(config),
        )
        # After the adapters are built, since one quietens a library and the point is to hear
        # everything. (Lines logged while an adapter is built, before the app exists, are
        # checked by the test of `schoolgate run`, which builds them through the app.)
        caplog.set_level(logging.DEBUG)
        for name in SDK_LOGGERS:
            caplog.set_level(logging.DEBUG, logger=name)
        return adapters

    telegram, discord, slack = adapters()
    async with App(config, [telegram, discord, slack]) as app:
        work = Workload(
            modes,
            app,
            telegram,
            discord,
            slack,
            telegram_with_sentinel_token,
            fake,
            servers,
            fake_slack,
        )
        await work.settle()
        await work.run_telegram()
        await work.run_discord()
        await work.run_slack()
        await work.settle()
        counted = await checked(app)
        incidents = await app.store.incidents()
    # The clean messages reached the core and were not flagged: each platform checked three
    # messages and flagged one.
    assert counted == {("telegram", 3, 1), ("discord", 3, 1), ("slack", 3, 1)}

    if modes.catch_up:
        work.while_down()
        work.telegram, work.discord, work.slack = adapters()
        async with App(config, [work.telegram, work.discord, work.slack]) as app:
            work.app = app
            await work.tgf.wait_for("sendMessage", 2, chat_id=tg.SLT, where=_without_buttons)
            await work.settle()
            caught_up = {("telegram", 4, 1), ("discord", 4, 1), ("slack", 4, 1)}
            assert await checked(app) == caught_up
            incidents = await app.store.incidents()

    assert not any(clean_word("") in incident.text for incident in incidents)
    # The capture heard every SDK talking at DEBUG, so the checks below could fail.
    heard = {r.name.split(".")[0] for r in caplog.records if r.levelno == logging.DEBUG}
    assert heard >= {"telegram", "discord", "slack_sdk"}
    log = caplog.text
    assert leaks(log, SECRETS.values()) == []
    assert leaks(log, SECRET_CORES) == []
    tags = (*CLEAN_TAGS, *CLEAN_TAGS_REFUSED, *CLEAN_TAGS_DOWN)
    assert leaks(log, [clean_word(tag) for tag in tags]) == []
