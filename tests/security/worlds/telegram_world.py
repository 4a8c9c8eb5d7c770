"""The security tests' Telegram world: the real adapter polling the loopback fake Bot API."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from adapters.telegram import TelegramPlatform
from bot.app import App
from bot.config import parse_config
from bot.model import CommandName
from tests.adapters.telegram.builders import (
    ABUSIVE,
    ADMIN,
    CHAT,
    CHAT_TITLE,
    OTHER_PARENT,
    PARENT,
    PLAIN_CHAT,
    SLT,
    anonymous_command,
    command,
    message,
    press,
)
from tests.adapters.telegram.conftest import ALERT_AT_ONCE
from tests.adapters.telegram.test_moderation import keyboard
from tests.fakes.telegram_api import TOKEN, ApiCall, FakeTelegramApi

from .base import Flagged, Outcome, World, buttons_of, key_of

OTHER_CHAT = PLAIN_CHAT
OTHER_TITLE = "Hillside Year 6 parents"
OTHER_SLT = 111000009
STRANGER = 424242424
DSL = 111000007
ANONYMOUS_ADMIN = 1087968824  # how Telegram shows an admin posting as the group
TOPIC_EFFECTS = {"closeForumTopic": "close", "reopenForumTopic": "reopen"}

CALLERS = {
    "slt_this": SLT,
    "slt_other": OTHER_SLT,
    "admin_this": ADMIN,
    "dsl_this": DSL,
    "parent": OTHER_PARENT,
    "unknown": STRANGER,
    "anonymous": ANONYMOUS_ADMIN,
}


def config_yaml(fake: FakeTelegramApi, storage: Path, *, extra: str = "") -> str:
    return f"""
storage:
  path: {storage}
telegram:
  token: "{fake.token}"
  base_url: {fake.base_url}
{extra}
{ALERT_AT_ONCE}
schools:
  - id: riverside
    name: Riverside Primary School
    slt:
      - {{name: Ms Okafor, telegram: {SLT}}}
    dsl:
      - {{name: Mrs Dee, telegram: {DSL}}}
    admins:
      - {{name: Mr Hughes, telegram: {ADMIN}}}
    chats:
      - {{platform: telegram, id: "{CHAT}", name: {CHAT_TITLE}}}
  - id: hillside
    name: Hillside Academy
    slt:
      - {{name: Mr Obi, telegram: {OTHER_SLT}}}
    chats:
      - {{platform: telegram, id: "{OTHER_CHAT}", name: {OTHER_TITLE}}}
"""


class TelegramWorld(World):
    platform = "telegram"
    chat = str(CHAT)
    other_chat = str(OTHER_CHAT)

    def __init__(self, app: App, fake: FakeTelegramApi) -> None:
        self.app = app
        self.fake = fake
        self.alert_ids: dict[str, int] = {}  # incident key -> the alert's message id

    async def command(self, caller: str, name: CommandName, args: str = "") -> Outcome:
        text = f"/{name.value} {args}".strip()
        if caller == "anonymous":
            update = anonymous_command(CHAT, text)
            actor = str(CHAT)  # the group itself is all Telegram tells
        else:
            update = command(CHAT, CALLERS[caller], text)
            actor = str(CALLERS[caller])
        message_id = update["message"]["message_id"]
        if caller == "anonymous":
            # Unidentifiable, so answered in the group (the answer says to post as themselves).
            def answers(call: ApiCall) -> bool:
                replying = call.get("reply_parameters")
                return replying is not None and json.loads(replying)["message_id"] == message_id

            self.fake.push_update(update)
            [reply] = await self.fake.wait_for("sendMessage", chat_id=CHAT, where=answers)
            return Outcome(reply["text"], actor)
        # Anyone else is answered by direct message: Telegram has no reply only they see.
        dms = len(self._answers_to(CALLERS[caller]))
        self.fake.push_update(update)
        await self.fake.wait_for(
            "sendMessage",
            dms + 1,
            chat_id=CALLERS[caller],
            where=lambda c: "reply_markup" not in c.params,
        )
        return Outcome(self._answers_to(CALLERS[caller])[-1]["text"], actor)

    def _answers_to(self, user: int) -> list[ApiCall]:
        return [
            c for c in self.fake.calls_to("sendMessage", chat_id=user) if not c.get("reply_markup")
        ]

    async def press(self, caller: str, data: str, *, answered: bool = True) -> Outcome:
        # The adapter answers every press, ours or not, or the client keeps spinning.
        update = press(CALLERS[caller], data)
        self.fake.push_update(update)
        query_id = update["callback_query"]["id"]
        [answer] = await self.fake.wait_for("answerCallbackQuery", callback_query_id=query_id)
        return Outcome(answer.get("text") or "", str(CALLERS[caller]))

    async def flag(self, *, other_school: bool = False) -> Flagged:
        chat, slt = (OTHER_CHAT, OTHER_SLT) if other_school else (CHAT, SLT)
        alerts = len(self._alerts_to(slt))
        update = message(chat, PARENT, ABUSIVE)
        self.fake.push_update(update)
        await self.fake.wait_for(
            "sendMessage", alerts + 1, chat_id=slt, where=lambda c: "reply_markup" in c.params
        )
        await self.settle()
        alert = self._alerts_to(slt)[-1]
        buttons = buttons_of([data for _, data in keyboard(alert)])
        [sent] = [m for m in self.fake.sent if m.chat_id == slt and m.reply_markup][-1:]
        self.alert_ids[key_of(buttons)] = sent.message_id
        return Flagged(key_of(buttons), str(update["message"]["message_id"]), buttons)

    def shown_alert(self, flagged: Flagged) -> tuple[str, list[str]]:
        """By the id of the message it arrived in: an edit keeps it."""
        sent_id = self.alert_ids[flagged.key]
        [now] = [m for m in self.fake.sent if (m.chat_id, m.message_id) == (SLT, sent_id)]
        rows = (now.reply_markup or {}).get("inline_keyboard", [])
        return now.text, [b["callback_data"] for row in rows for b in row]

    def _alerts_to(self, user: int) -> list[ApiCall]:
        return [c for c in self.fake.calls_to("sendMessage", chat_id=user) if c.get("reply_markup")]

    def mark(self) -> int:
        return len(self.fake.calls)

    def effects_since(self, mark: int) -> list[str]:
        effects = []
        for call in self.fake.calls[mark:]:
            if call.method == "setChatPermissions":
                opened = call.json("permissions")["can_send_messages"]
                effects.append(f"{'reopen' if opened else 'close'} {call['chat_id']}")
            elif call.method in TOPIC_EFFECTS:
                effects.append(f"{TOPIC_EFFECTS[call.method]} {call['chat_id']}")
            elif call.method == "deleteMessage":
                effects.append(f"delete {call['chat_id']} {call['message_id']}")
        return effects


@asynccontextmanager
async def telegram_world(path: Path) -> AsyncIterator[TelegramWorld]:
    fake = FakeTelegramApi(TOKEN, privacy_mode=True)
    fake.add_chat(CHAT, CHAT_TITLE, bot_admin=True)
    fake.add_chat(OTHER_CHAT, OTHER_TITLE, bot_admin=True)
    await fake.start()
    try:
        config = parse_config(config_yaml(fake, path / "schoolgate.sqlite3"), "test")
        async with App(config, [TelegramPlatform(config)]) as app:
            yield TelegramWorld(app, fake)
    finally:
        await fake.close()
