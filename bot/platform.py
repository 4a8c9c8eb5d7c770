"""The boundary between the core and the platform adapters.

An adapter implements `Platform`; the core implements `EventSink` and hands itself to
`Platform.start`. The core never imports an adapter (except the composition root).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Protocol, runtime_checkable

from bot.model import Action, ButtonPress, ChatMessage, ChatRef, Command, Delivery, Reply, UserRef


class PlatformSetupError(RuntimeError):
    """The platform refused the bot's settings (a rejected token, an intent switched off in its
    developer portal): trying again cannot help, so `run` stops with this message, which says
    what to fix. Any other error while starting is taken as the network or the platform being
    down, and the platform is tried again."""


class NotStored(RuntimeError):
    """`EventSink.on_message` could not store a flagged message's incident (the disk is full,
    the filesystem read-only, the database file gone). The adapter leaves the message
    unacknowledged where its platform then sends it again (Telegram, Slack); the core keeps it
    meanwhile and stores it as soon as it can (bot/unstored.py), so it is handled once either
    way."""


class Capability(StrEnum):
    DELETE_OTHERS = "delete_others"  # delete a member's message
    LOCK_CHAT = "lock_chat"  # stop members posting
    REOPEN_CHAT = "reopen_chat"  # undo LOCK_CHAT without a human
    EPHEMERAL = "ephemeral"  # a message inside the chat that only one member sees
    DIRECT_MESSAGE = "direct_message"  # DM a member (may still fail per user)
    BUTTONS = "buttons"  # interactive buttons on messages


class EventSink(Protocol):
    """What the core offers an adapter. None of these raise on bad input."""

    async def on_message(self, message: ChatMessage) -> None:
        """A new or edited message in a chat. Returns once any incident is stored; raises
        `NotStored` when it could not be."""

    async def on_command(self, command: Command) -> Reply:
        """A slash command; the reply goes to the caller only."""

    async def on_button(self, press: ButtonPress) -> Reply:
        """A button press on an alert or a welcome."""

    async def on_member_joined(self, chat: ChatRef, user: UserRef) -> None:
        """A member joined a chat: the core queues a welcome if configured."""

    async def last_seen(self, chat: ChatRef) -> str | None:
        """The id of the last message seen in a chat, for catching up after downtime."""


class Platform(Protocol):
    name: str  # "telegram", "discord", "slack", "local"

    @property
    def capabilities(self) -> frozenset[Capability]:
        """What the platform can do at best."""

    def capabilities_in(self, chat: ChatRef) -> frozenset[Capability]:
        """What it can do in this chat, as learnt at start (rights can be missing)."""

    async def start(self, events: EventSink) -> None:
        """Connect and begin feeding events; returns once running."""

    async def stop(self) -> None:
        """Disconnect; idempotent."""

    async def deliver(self, action: Action) -> Delivery:
        """Carry out one action. Raises RetryAfter, PermanentFailure, or anything transient."""


@runtime_checkable
class LinksMessages(Protocol):
    """A platform whose messages have addresses people can open."""

    def message_link(self, chat: ChatRef, message_id: str) -> str | None:
        """A link to a message in a chat, where the platform gives one (None otherwise)."""


@runtime_checkable
class Redelivers(Protocol):
    """A platform that can tell whether an action already got through.

    The outbox calls `redeliver` instead of `deliver` when an earlier attempt, begun at `since`,
    ended without the platform's answer (the process stopped, the call timed out or the
    connection dropped). A platform without this is sent the action again, unconfirmed.
    """

    async def redeliver(self, action: Action, since: datetime) -> Delivery:
        """Deliver the action unless the platform shows that it already has it."""
