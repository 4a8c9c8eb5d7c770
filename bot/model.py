"""Platform-neutral values that flow between adapters and the core.

Adapters translate platform events into these and the core answers with them; nothing here
knows about Telegram, Discord or Slack. All ids are strings, whatever the platform uses.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


@dataclass(frozen=True, slots=True)
class ChatRef:
    platform: str  # "local", "telegram", "discord", "slack"
    chat_id: str
    title: str = field(default="", compare=False)
    # A Telegram forum topic; Discord threads are channels and use chat_id.
    thread_id: str | None = None


@dataclass(frozen=True, slots=True)
class UserRef:
    platform: str
    user_id: str
    display_name: str = field(default="", compare=False)
    # Telegram admins posting as the group cannot be identified, so they can never be authorised.
    anonymous: bool = field(default=False, compare=False)
    # Platform role ids the caller holds (Discord), for `admin_roles` in the config.
    roles: tuple[str, ...] = field(default=(), compare=False)

    @property
    def label(self) -> str:
        return self.display_name or self.user_id


@dataclass(frozen=True, slots=True)
class ChatMessage:
    chat: ChatRef
    author: UserRef
    message_id: str
    text: str
    sent_at: datetime  # timezone-aware
    edited: bool = False
    attachments: tuple[str, ...] = ()  # kinds only: "photo", "document", ...


class CommandName(StrEnum):
    CLOSE = "close"
    REOPEN = "reopen"
    STATUS = "status"
    RULES = "rules"
    PRIVACY = "privacy"
    HELP = "help"
    START = "start"
    INCIDENTS = "incidents"  # SLT: the school's open incidents, each with its buttons
    INCIDENT = "incident"  # SLT: one incident and its history


@dataclass(frozen=True, slots=True)
class Command:
    name: CommandName
    chat: ChatRef  # where it was typed (a DM chat for /start)
    caller: UserRef
    args: str = ""
    # A command typed that is none of ours ("/foo" gives "foo"); it is answered like /help.
    unknown: str = ""


class ButtonAction(StrEnum):
    DISMISS = "dismiss"  # "Not a breach"
    DELETE = "delete"  # "Delete message"
    CLOSE = "close"  # "Close chat"
    ACK = "ack"  # a member accepts the code of conduct


@dataclass(frozen=True, slots=True)
class Button:
    action: ButtonAction
    key: str  # incident key for alert buttons; acknowledgement key for ACK
    label: str

    @property
    def data(self) -> str:
        """Compact wire form for callback data / custom ids (Telegram allows 64 bytes)."""
        return encode_button(self.action, self.key)


BUTTON_PREFIX = "sg"


def encode_button(action: ButtonAction, key: str) -> str:
    data = f"{BUTTON_PREFIX}:{action.value}:{key}"
    if len(data.encode()) > 64:
        raise ValueError(f"button data longer than 64 bytes: {data!r}")
    return data


def decode_button(data: str) -> tuple[ButtonAction, str] | None:
    """The inverse of `encode_button`; None for anything that is not ours or is malformed."""
    prefix, _, rest = data.partition(":")
    action, _, key = rest.partition(":")
    if prefix != BUTTON_PREFIX or not key:
        return None
    try:
        return ButtonAction(action), key
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class ButtonPress:
    action: ButtonAction
    key: str
    caller: UserRef
    chat: ChatRef | None = None  # where the button was pressed, when the platform says


@dataclass(frozen=True, slots=True)
class Reply:
    """The core's answer to a command or a button press, shown to the caller."""

    text: str
    private: bool = True  # ephemeral / only the caller, where the platform can
    # The chat whose code of conduct the caller has just accepted on their own welcome, so that
    # a platform holding them at a join gate can let them in (read from the stored Welcome, so
    # it holds across restarts).
    accepted_in: ChatRef | None = None


# ---- outgoing actions: stored in the outbox before they are delivered -------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Remind:
    """A private reminder to the sender of a flagged message."""

    key: str  # idempotency key
    chat: ChatRef
    user: UserRef
    message_id: str
    text: str  # the full reminder: reason, clause quoted, links; never repeats a slur
    nudge: str  # a neutral in-chat fallback that names no rule and no person's words


@dataclass(frozen=True, slots=True, kw_only=True)
class Alert:
    """A direct message to one SLT contact about an incident."""

    key: str
    chat: ChatRef  # where the incident happened
    recipient: UserRef
    incident_key: str
    text: str
    buttons: tuple[Button, ...]
    urgent: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class Delete:
    key: str
    chat: ChatRef
    message_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Notice:
    """A message posted in the chat for everyone (closing notice, reopening notice)."""

    key: str
    chat: ChatRef
    text: str


@dataclass(frozen=True, slots=True, kw_only=True)
class CloseChat:
    key: str
    chat: ChatRef
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ReopenChat:
    key: str
    chat: ChatRef
    saved_state: str | None  # what CloseChat's Delivery.state saved, to restore exactly


@dataclass(frozen=True, slots=True, kw_only=True)
class Welcome:
    """A new member's welcome: summary of the code and a button to acknowledge it."""

    key: str
    chat: ChatRef
    user: UserRef
    text: str
    buttons: tuple[Button, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class SettleAlert:
    """Replace the buttons of an alert already delivered with a line saying who decided what
    and when, once its incident is decided."""

    key: str
    chat: ChatRef  # where the incident happened
    recipient: UserRef  # who received the alert
    alert_key: str  # the Alert's key
    text: str  # the alert's text with the decision added
    # Where the platform put the alert (`Delivery.message`), filled in when delivering.
    message: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Digest:
    """SLT's weekly direct message, with a file attached where the platform takes one (else
    the text alone, which says so)."""

    key: str
    recipient: UserRef
    text: str
    file_name: str  # e.g. "riverside-2026-03-02.html"
    file: str  # the file's content (an HTML report)


Action = Remind | Alert | Delete | Notice | CloseChat | ReopenChat | Welcome | SettleAlert | Digest


def action_platform(action: Action) -> str:
    """The platform that must deliver an action."""
    if isinstance(action, Alert | SettleAlert | Digest):
        return action.recipient.platform
    return action.chat.platform


@dataclass(frozen=True, slots=True)
class Delivery:
    """What an adapter reports after delivering an action."""

    path: str = "sent"  # how it went: "dm", "ephemeral", "nudge", "archived", ...
    state: str | None = None  # opaque state to keep (e.g. permissions saved by CloseChat)
    note: str = ""  # human-readable detail, e.g. why a delete was not possible
    # Where the platform put the message sent, for editing it later (an alert's buttons):
    # "<chat or channel id>/<message id or ts>".
    message: str | None = None


class DeliveryError(Exception):
    """Raised by `Platform.deliver`. Any other exception is treated as transient."""


class RetryAfter(DeliveryError):
    """The platform asked us to wait (HTTP 429)."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"retry after {seconds:g}s")
        self.seconds = seconds


class PermanentFailure(DeliveryError):
    """Retrying cannot help (no rights, user blocks DMs, chat gone)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
