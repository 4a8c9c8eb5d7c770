"""An in-process platform with every capability, for the demo and the core's tests.

It behaves like a real adapter (reminders by DM, ephemeral message or in-chat nudge; locking
saves and restores the chat's permissions) and records everything it delivers, so tests can
see what each person saw. Tests inject messages, edits, commands, button presses, joins and
delivery failures; messages sent while it is stopped are caught up on the next start.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime

from bot.clock import Clock, SystemClock, first_of
from bot.commands import parse_command
from bot.model import (
    Action,
    Alert,
    Button,
    ButtonPress,
    ChatMessage,
    ChatRef,
    CloseChat,
    Delete,
    Delivery,
    Digest,
    Notice,
    PermanentFailure,
    Remind,
    ReopenChat,
    Reply,
    SettleAlert,
    UserRef,
    Welcome,
    decode_button,
)
from bot.platform import Capability, EventSink

NAME = "local"


@dataclass(frozen=True, slots=True)
class Seen:
    """One thing shown to someone: in a chat (`user` None), privately in a chat, or by DM."""

    kind: str  # message, notice, nudge, reminder, alert, welcome, ephemeral
    text: str
    chat_id: str | None = None
    user_id: str | None = None  # the one person who sees it (DM or ephemeral)
    buttons: tuple[Button, ...] = ()
    key: str | None = None  # the action's idempotency key
    sender: str = "schoolgate"
    attachment: str = ""  # the name of a file sent with it


@dataclass
class LocalChat:
    ref: ChatRef
    can_send_messages: bool = True
    messages: dict[str, str] = field(default_factory=dict)  # message id -> text


@dataclass
class _Fault:
    matches: Callable[[Action], bool]
    error: BaseException
    times: int


class LocalPlatform:
    name = NAME

    def __init__(
        self, capabilities: Iterable[Capability] | None = None, *, clock: Clock | None = None
    ) -> None:
        self._capabilities = frozenset(Capability if capabilities is None else capabilities)
        self._per_chat: dict[str, frozenset[Capability]] = {}
        self._clock = clock or SystemClock()
        self._events: EventSink | None = None
        self._ids = itertools.count(1)
        self._faults: list[_Fault] = []
        self._backlog: list[ChatMessage] = []
        self.chats: dict[str, LocalChat] = {}
        self.blocks_dms: set[str] = set()
        self.delivered: list[tuple[Action, Delivery]] = []
        self.seen: list[Seen] = []
        self._open = asyncio.Event()  # cleared by pause(): deliveries wait
        self._open.set()
        self._stopped = asyncio.Event()
        self._refusals = 0  # starts still to fail, as when the network is not up yet
        self._refusal: Exception = ConnectionError("the local platform is unreachable")

    # ---- Platform ----

    @property
    def capabilities(self) -> frozenset[Capability]:
        return self._capabilities

    def capabilities_in(self, chat: ChatRef) -> frozenset[Capability]:
        return self._per_chat.get(chat.chat_id, self._capabilities)

    async def start(self, events: EventSink) -> None:
        if self._refusals:
            self._refusals -= 1
            raise self._refusal
        self._events = events
        self._stopped.clear()
        backlog, self._backlog = self._backlog, []
        for message in backlog:  # catch up on what was said while we were away
            last = await events.last_seen(message.chat)
            if last is None or int(message.message_id) > int(last):
                await events.on_message(message)

    async def stop(self) -> None:
        self._events = None
        self._stopped.set()

    async def deliver(self, action: Action) -> Delivery:
        if not self._open.is_set():
            await first_of(self._open.wait(), self._stopped.wait())
            if not self._open.is_set():
                raise ConnectionError("the local platform stopped during delivery")
        for fault in self._faults:
            if fault.times > 0 and fault.matches(action):
                fault.times -= 1
                raise fault.error
        delivery = self._carry_out(action)
        self.delivered.append((action, delivery))
        return delivery

    def _carry_out(self, action: Action) -> Delivery:
        if isinstance(action, Digest):
            user_id = action.recipient.user_id
            if Capability.DIRECT_MESSAGE not in self._capabilities or user_id in self.blocks_dms:
                raise PermanentFailure(f"{action.recipient.label} does not accept direct messages")
            self._show("digest", action.text, user_id=user_id, key=action.key)
            self.seen[-1] = replace(self.seen[-1], attachment=action.file_name)
            return Delivery("dm+file")
        caps = self.capabilities_in(action.chat)
        chat_id = action.chat.chat_id
        if isinstance(action, Remind):
            user_id = action.user.user_id
            if Capability.DIRECT_MESSAGE in caps and user_id not in self.blocks_dms:
                self._show("reminder", action.text, user_id=user_id, key=action.key)
                return Delivery("dm")
            if Capability.EPHEMERAL in caps:
                self._show("ephemeral", action.text, chat_id, user_id, key=action.key)
                return Delivery("ephemeral")
            self._show("nudge", action.nudge, chat_id, key=action.key)
            return Delivery("nudge")
        if isinstance(action, Alert):
            user_id = action.recipient.user_id
            if Capability.DIRECT_MESSAGE not in self._capabilities or user_id in self.blocks_dms:
                raise PermanentFailure(f"{action.recipient.label} does not accept direct messages")
            self._show(
                "alert", action.text, user_id=user_id, buttons=action.buttons, key=action.key
            )
            return Delivery("dm", message=f"{user_id}/{action.key}")
        if isinstance(action, SettleAlert):
            return self._settle(action)
        if isinstance(action, Delete):
            if Capability.DELETE_OTHERS not in caps:
                raise PermanentFailure("the bot has no right to delete members' messages here")
            gone = self._chat(action.chat).messages.pop(action.message_id, None) is None
            return Delivery("deleted", note="it was already gone" if gone else "")
        if isinstance(action, Notice):
            self._show("notice", action.text, chat_id, key=action.key)
            return Delivery("posted")
        if isinstance(action, CloseChat):
            if Capability.LOCK_CHAT not in caps:
                raise PermanentFailure("the bot has no right to lock this chat")
            chat = self._chat(action.chat)
            saved = json.dumps({"can_send_messages": chat.can_send_messages})
            chat.can_send_messages = False
            return Delivery("locked", state=saved)
        if isinstance(action, ReopenChat):
            if Capability.REOPEN_CHAT not in caps:
                raise PermanentFailure("this chat must be reopened by hand")
            saved = json.loads(action.saved_state) if action.saved_state else {}
            self._chat(action.chat).can_send_messages = bool(saved.get("can_send_messages", True))
            return Delivery("unlocked")
        assert isinstance(action, Welcome)
        user_id = action.user.user_id
        if Capability.DIRECT_MESSAGE in caps and user_id not in self.blocks_dms:
            self._show(
                "welcome", action.text, user_id=user_id, buttons=action.buttons, key=action.key
            )
            return Delivery("dm")
        self._show("welcome", action.text, chat_id, buttons=action.buttons, key=action.key)
        return Delivery("chat")

    def _settle(self, action: SettleAlert) -> Delivery:
        """Edit the alert in place: the new text, and no buttons."""
        user_id, _, key = (action.message or "").partition("/")
        for i, seen in enumerate(self.seen):
            if seen.kind == "alert" and seen.key == key and seen.user_id == user_id:
                self.seen[i] = replace(seen, text=action.text, buttons=())
                return Delivery("edited")
        raise PermanentFailure(f"no alert {action.message!r} to edit")

    def _show(
        self,
        kind: str,
        text: str,
        chat_id: str | None = None,
        user_id: str | None = None,
        *,
        buttons: tuple[Button, ...] = (),
        key: str | None = None,
    ) -> None:
        self.seen.append(Seen(kind, text, chat_id, user_id, buttons, key))

    def _chat(self, ref: ChatRef) -> LocalChat:
        return self.chats.setdefault(ref.chat_id, LocalChat(ref))

    # ---- what tests and the demo drive ----

    @staticmethod
    def user(user_id: str, name: str = "", *, anonymous: bool = False) -> UserRef:
        return UserRef(NAME, user_id, name or user_id, anonymous=anonymous)

    def chat(self, chat_id: str, title: str = "") -> ChatRef:
        return self._chat(ChatRef(NAME, chat_id, title or chat_id)).ref

    def pause(self) -> None:
        """Hold every delivery until `resume()` (or fail it with a connection error on stop)."""
        self._open.clear()

    def resume(self) -> None:
        self._open.set()

    def refuse_starts(self, times: int, error: Exception | None = None) -> None:
        """Make the next `times` starts raise `error` (by default a connection error)."""
        self._refusals = times
        if error is not None:
            self._refusal = error

    def set_capabilities(self, chat_id: str, capabilities: Iterable[Capability]) -> None:
        self._per_chat[chat_id] = frozenset(capabilities)

    def fail(
        self,
        error: BaseException,
        *,
        kind: type | None = None,
        key: str | None = None,
        times: int = 1,
    ) -> None:
        """Make the next `times` deliveries of matching actions raise `error`."""

        def matches(action: Action) -> bool:
            return (kind is None or isinstance(action, kind)) and (key is None or action.key == key)

        self._faults.append(_Fault(matches, error, times))

    async def send(
        self, chat_id: str, user: UserRef, text: str, *, at: datetime | None = None
    ) -> ChatMessage | None:
        """A member posts; None if the chat is locked for members. Returns once moderated."""
        chat = self._chat(ChatRef(NAME, chat_id))
        if not chat.can_send_messages:
            return None
        message = ChatMessage(
            chat=chat.ref,
            author=user,
            message_id=str(next(self._ids)),
            text=text,
            sent_at=at or self._now(),
        )
        chat.messages[message.message_id] = text
        self.seen.append(Seen("message", text, chat_id, sender=user.label))
        if self._events is None:
            self._backlog.append(message)
        else:
            await self._events.on_message(message)
        return message

    async def edit(self, message: ChatMessage, text: str) -> ChatMessage:
        edited = ChatMessage(
            chat=message.chat,
            author=message.author,
            message_id=message.message_id,
            text=text,
            sent_at=message.sent_at,
            edited=True,
        )
        self._chat(message.chat).messages[message.message_id] = text
        self.seen.append(Seen("edit", text, message.chat.chat_id, sender=message.author.label))
        await self._sink().on_message(edited)
        return edited

    async def command(self, chat_id: str, user: UserRef, text: str) -> Reply:
        """A typed command such as `/close too many arguments`."""
        parsed = parse_command(text)
        if parsed is None:
            raise ValueError(f"not a command: {text!r}")
        chat = self._chat(ChatRef(NAME, chat_id)).ref
        return await self._sink().on_command(replace(parsed, chat=chat, caller=user))

    async def press(self, button: Button | str, user: UserRef) -> Reply:
        """Press a button (or give raw button data, as a platform would send it)."""
        decoded = decode_button(button if isinstance(button, str) else button.data)
        if decoded is None:
            raise ValueError(f"not a button of ours: {button!r}")
        action, key = decoded
        return await self._sink().on_button(ButtonPress(action, key, user))

    async def join(self, chat_id: str, user: UserRef) -> None:
        await self._sink().on_member_joined(self._chat(ChatRef(NAME, chat_id)).ref, user)

    def seen_by(self, user_id: str) -> list[Seen]:
        """What reached one person privately (DMs and ephemeral messages)."""
        return [s for s in self.seen if s.user_id == user_id]

    def posted_in(self, chat_id: str) -> list[Seen]:
        """What everyone in a chat can see."""
        return [s for s in self.seen if s.chat_id == chat_id and s.user_id is None]

    def _sink(self) -> EventSink:
        if self._events is None:
            raise RuntimeError("the local platform is not started")
        return self._events

    def _now(self) -> datetime:
        return self._clock.now()
