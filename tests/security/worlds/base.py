"""One running bot on one platform, with two schools, driven the same way on every platform.

School A ("riverside") owns `chat`; school B ("hillside") owns `other_chat`. Callers are named
by kind (see `tests/security/matrix.py`); each world knows who that is on its platform. What a
caller sees is read at the fake platform, and so are the effects: `effects_since(mark)` lists
the chats closed or reopened and the messages deleted since `mark()`, as "close <chat>",
"reopen <chat>" and "delete <chat> <message id>".
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

from bot.app import App
from bot.model import ButtonAction, ChatRef, CommandName, decode_button

SCHOOL = "riverside"
_ROLE_OF = {"slt_this": "slt", "admin_this": "admin"}
OTHER_SCHOOL = "hillside"


@dataclass(frozen=True)
class Outcome:
    reply: str  # what the caller was shown
    actor_id: str  # who the core saw, as the audit log records them


@dataclass(frozen=True)
class Flagged:
    """An incident and the buttons on the alert its school's SLT received."""

    key: str
    message_id: str
    buttons: dict[ButtonAction, str]  # action -> button data as the platform carries it


def buttons_of(data: list[str]) -> dict[ButtonAction, str]:
    decoded = {d: decode_button(d) for d in data}
    return {found[0]: d for d, found in decoded.items() if found is not None}


def key_of(buttons: dict[ButtonAction, str]) -> str:
    """The incident key every button of one alert carries."""
    keys = {found[1] for found in map(decode_button, buttons.values()) if found is not None}
    [key] = keys
    return key


class World(ABC):
    platform: str
    app: App
    chat: str  # school A's chat
    other_chat: str  # school B's chat

    @abstractmethod
    async def command(self, caller: str, name: CommandName, args: str = "") -> Outcome:
        """`caller` types the command in school A's chat."""

    @abstractmethod
    async def press(self, caller: str, data: str, *, answered: bool = True) -> Outcome:
        """`caller` presses a button carrying `data` (on an alert, as the platform allows).
        `answered=False` for data a platform may ignore without answering: then the reply is
        whatever came, if anything."""

    @abstractmethod
    async def flag(self, *, other_school: bool = False) -> Flagged:
        """A parent posts abuse in school A's chat (or B's); its SLT's alert arrives."""

    @abstractmethod
    def shown_alert(self, flagged: Flagged) -> tuple[str, list[str]]:
        """The text and button data of the alert about `flagged` as school A's SLT sees it
        now (after any edit)."""

    @abstractmethod
    def mark(self) -> int: ...

    @abstractmethod
    def effects_since(self, mark: int) -> list[str]: ...

    async def settle(self) -> None:
        await self.app.drain()

    def ref(self, chat_id: str) -> ChatRef:
        return ChatRef(self.platform, chat_id)

    async def set_closed(self, closed_by: str | None) -> None:
        """Bring school A's chat to the state a case starts from: open, or closed by a caller
        kind (its SLT or an admin, whose roles the chat records)."""
        want = _ROLE_OF.get(closed_by or "")
        state = await self.app.store.chat_state(self.ref(self.chat))
        if not state.closed and closed_by is None:
            return
        if state.closed and state.changed_by_role == want:
            return
        if state.closed:
            await self.command("slt_this", CommandName.REOPEN)
            await self.settle()
        if closed_by is not None:
            await self.command(closed_by, CommandName.CLOSE)
            await self.settle()
        state = await self.app.store.chat_state(self.ref(self.chat))
        assert (state.closed, state.changed_by_role if state.closed else want) == (
            closed_by is not None,
            want,
        )
