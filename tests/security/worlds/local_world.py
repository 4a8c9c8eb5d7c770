"""The security tests' local world: the in-process platform, with the two schools of the bot
core's tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from adapters.local import LocalPlatform
from bot.app import App
from bot.clock import ManualClock
from bot.model import CloseChat, CommandName, Delete, ReopenChat
from tests.bot.conftest import (
    ABUSIVE,
    ADMIN,
    CHAT,
    DSL,
    OTHER_PARENT,
    OTHER_SLT,
    SLT,
    make_config,
)

from .base import Flagged, Outcome, World, buttons_of, key_of

OTHER_CHAT = "hill6"
OFFENDER = LocalPlatform.user("p-amy", "Amy")
OTHER_OFFENDER = LocalPlatform.user("p-hill", "Hal")

CALLERS = {
    "slt_this": SLT,
    "slt_other": OTHER_SLT,
    "admin_this": ADMIN,
    "dsl_this": DSL,
    "parent": OTHER_PARENT,
    "unknown": LocalPlatform.user("stranger", "Stranger"),
}


class LocalWorld(World):
    platform = "local"
    chat = CHAT
    other_chat = OTHER_CHAT

    def __init__(self, app: App, local: LocalPlatform) -> None:
        self.app = app
        self.local = local

    async def command(self, caller: str, name: CommandName, args: str = "") -> Outcome:
        user = CALLERS[caller]
        reply = await self.local.command(CHAT, user, f"/{name.value} {args}".strip())
        return Outcome(reply.text, user.user_id)

    async def press(self, caller: str, data: str, *, answered: bool = True) -> Outcome:
        """Data the local platform cannot decode never reaches the core: it raises."""
        user = CALLERS[caller]
        return Outcome((await self.local.press(data, user)).text, user.user_id)

    async def flag(self, *, other_school: bool = False) -> Flagged:
        chat, author, slt = (
            (OTHER_CHAT, OTHER_OFFENDER, OTHER_SLT) if other_school else (CHAT, OFFENDER, SLT)
        )
        message = await self.local.send(chat, author, ABUSIVE)
        assert message is not None, f"{chat} is closed"
        await self.settle()
        alert = [s for s in self.local.seen_by(slt.user_id) if s.kind == "alert"][-1]
        buttons = buttons_of([b.data for b in alert.buttons])
        return Flagged(key_of(buttons), message.message_id, buttons)

    def shown_alert(self, flagged: Flagged) -> tuple[str, list[str]]:
        [alert] = [
            s
            for s in self.local.seen_by(SLT.user_id)
            if s.kind == "alert" and (s.key or "").startswith(f"{flagged.key}-")
        ]
        return alert.text, [b.data for b in alert.buttons]

    def mark(self) -> int:
        return len(self.local.delivered)

    def effects_since(self, mark: int) -> list[str]:
        effects = []
        for action, _ in self.local.delivered[mark:]:
            if isinstance(action, CloseChat):
                effects.append(f"close {action.chat.chat_id}")
            elif isinstance(action, ReopenChat):
                effects.append(f"reopen {action.chat.chat_id}")
            elif isinstance(action, Delete):
                effects.append(f"delete {action.chat.chat_id} {action.message_id}")
        return effects


@asynccontextmanager
async def local_world(path: Path) -> AsyncIterator[LocalWorld]:
    clock = ManualClock()
    local = LocalPlatform(clock=clock)
    config = make_config(path, "policy:\n  escalation: {alert_after: 1}\n")
    async with App(config, [local], clock=clock) as app:
        yield LocalWorld(app, local)
