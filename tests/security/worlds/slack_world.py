"""The security tests' Slack world: the real Bolt app in Socket Mode on the loopback fake
Slack, with a workspace admin's user token so that deleting and reopening are possible."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from bot.app import App
from bot.config import parse_config
from bot.model import CommandName
from tests.adapters.slack.conftest import (
    ABUSIVE,
    ADMIN,
    CHANNEL,
    PARENT,
    SLT,
    button_body,
    command_body,
    message_body,
    slack_yaml,
)
from tests.adapters.slack.helpers import alert_buttons, running
from tests.fakes.slack_api import FakeSlack

from .base import Flagged, Outcome, World, buttons_of, key_of

OTHER_CHANNEL = "C0HILL6"
OTHER_SLT = "U0OBI"
MEMBER = "U0SAM"
STRANGER = "U0STRANGER"
DSL = "U0DEE"
OTHER_PARENT = "U0HILLPARENT"
USER_TOKEN = "  user_token: xoxp-admin\n"

CALLERS = {
    "slt_this": SLT,
    "slt_other": OTHER_SLT,
    "admin_this": ADMIN,
    "dsl_this": DSL,
    "parent": MEMBER,
    "unknown": STRANGER,
}


def config_yaml(fake: FakeSlack, storage: Path, *, slack: str | None = None) -> str:
    return f"""
storage:
  path: {storage}
policy:
  escalation: {{alert_after: 1}}
{slack or slack_yaml(fake, extra=USER_TOKEN)}
schools:
  - id: riverside
    name: Riverside Primary School
    slt:
      - {{name: Ms Okafor, slack: {SLT}}}
    dsl:
      - {{name: Mrs Dee, slack: {DSL}}}
    admins:
      - {{name: Mr Hughes, slack: {ADMIN}}}
    chats:
      - {{platform: slack, id: {CHANNEL}, name: year-4-parents}}
  - id: hillside
    name: Hillside Academy
    slt:
      - {{name: Mr Obi, slack: {OTHER_SLT}}}
    chats:
      - {{platform: slack, id: {OTHER_CHANNEL}, name: year-6-parents}}
"""


class SlackWorld(World):
    platform = "slack"
    chat = CHANNEL
    other_chat = OTHER_CHANNEL

    def __init__(self, app: App, fake: FakeSlack) -> None:
        self.app = app
        self.fake = fake
        self._ids = itertools.count(1)

    async def _answer(self, kind: str, body: dict[str, Any]) -> str:
        """Deliver a command or press; the core's answer comes back on its response URL."""
        key = f"answer-{next(self._ids)}"
        body["response_url"] = self.fake.response_url(key)
        await self.fake.deliver(kind, body)
        await self.fake.wait_for(lambda: any(r["key"] == key for r in self.fake.responses))
        [answer] = [r for r in self.fake.responses if r["key"] == key]
        return str(answer["text"])

    async def command(self, caller: str, name: CommandName, args: str = "") -> Outcome:
        user = CALLERS[caller]
        text = f"{name.value} {args}".strip()
        body = command_body(self.fake, text, user=user, channel=CHANNEL)
        return Outcome(await self._answer("slash_commands", body), user)

    async def press(self, caller: str, data: str, *, answered: bool = True) -> Outcome:
        user = CALLERS[caller]
        body = button_body(self.fake, data, user=user)
        if not answered:  # Bolt does not even acknowledge an action id that is not ours
            await self.fake.push("interactive", body)
            return Outcome("", user)
        return Outcome(await self._answer("interactive", body), user)

    async def flag(self, *, other_school: bool = False) -> Flagged:
        channel, author, slt = (
            (OTHER_CHANNEL, OTHER_PARENT, OTHER_SLT) if other_school else (CHANNEL, PARENT, SLT)
        )
        ts = self.fake.next_ts()
        body = message_body(ABUSIVE, ts=ts, event_id=f"Ev{ts}", user=author, channel=channel)
        await self.fake.deliver("events_api", body)
        await self.settle()
        buttons = buttons_of(list(alert_buttons(self.fake, slt).values()))
        return Flagged(key_of(buttons), ts, buttons)

    def shown_alert(self, flagged: Flagged) -> tuple[str, list[str]]:
        """The direct message whose metadata names one of the incident's alerts."""
        [alert] = [
            m
            for m in self.fake.history.get("D" + SLT, [])
            if str(m.get("metadata", {}).get("event_payload", {}).get("key", "")).startswith(
                f"{flagged.key}-"
            )
        ]
        values = [
            str(e["value"])
            for block in alert.get("blocks", [])
            if block["type"] == "actions"
            for e in block["elements"]
        ]
        return str(alert["text"]), values

    def mark(self) -> int:
        return len(self.fake.calls)

    def effects_since(self, mark: int) -> list[str]:
        effects = []
        for call in self.fake.calls[mark:]:
            channel = call.params.get("channel")
            if call.method == "conversations.archive":
                effects.append(f"close {channel}")
            elif call.method == "conversations.unarchive":
                effects.append(f"reopen {channel}")
            elif call.method == "chat.delete":
                effects.append(f"delete {channel} {call.params.get('ts')}")
        return effects


@asynccontextmanager
async def slack_world(path: Path) -> AsyncIterator[SlackWorld]:
    fake = FakeSlack(users={PARENT: "Debbie's neighbour", SLT: "Ms Okafor", ADMIN: "Mr Hughes"})
    await fake.start()
    try:
        config = parse_config(config_yaml(fake, path / "schoolgate.sqlite3"), "test")
        async with running(config) as app:
            yield SlackWorld(app, fake)
    finally:
        await fake.close()
