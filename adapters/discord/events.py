"""Discord messages and members as the core's platform-neutral values."""

from __future__ import annotations

import logging

import discord

from adapters.discord.chats import PLATFORM
from bot.model import ChatMessage, ChatRef, UserRef

log = logging.getLogger(__name__)

# Messages people write; joins, pins, boosts and the like are system messages.
_WRITTEN = (discord.MessageType.default, discord.MessageType.reply)


def user_ref(user: discord.User | discord.Member) -> UserRef:
    """The caller or author; a member carries its role ids for `admin_roles`."""
    roles: tuple[str, ...] = ()
    if isinstance(user, discord.Member):
        roles = tuple(str(r.id) for r in user.roles if not r.is_default())
    return UserRef(PLATFORM, str(user.id), user.display_name, roles=roles)


def is_written_by_a_person(message: discord.Message) -> bool:
    author = getattr(message, "author", None)  # discord.py leaves it out if the payload does
    if author is None:
        log.warning("skipped a malformed Discord message %s: it has no author", message.id)
        return False
    return not author.bot and message.type in _WRITTEN


def attachment_kinds(message: discord.Message) -> tuple[str, ...]:
    kinds = [_kind(a.content_type or "") for a in message.attachments]
    kinds += ["sticker"] * len(message.stickers)
    if message.poll is not None:
        kinds.append("poll")
    return tuple(kinds)


def _kind(content_type: str) -> str:
    major = content_type.partition("/")[0]
    return {"image": "photo", "video": "video", "audio": "audio"}.get(major, "document")


def text_of(message: discord.Message) -> str:
    """What the member wrote, or forwarded: a forward has no text of its own."""
    own = message.content if isinstance(message.content, str) else ""  # whatever the payload said
    return own or "\n".join(s.content for s in message.message_snapshots if s.content)


def chat_message(message: discord.Message, chat: ChatRef, *, edited: bool) -> ChatMessage:
    return ChatMessage(
        chat=chat,
        author=user_ref(message.author),
        message_id=str(message.id),
        text=text_of(message),
        sent_at=message.created_at,
        edited=edited,
        attachments=attachment_kinds(message),
    )


class ContentIntentWatch:
    """Says once, loudly, that the Message Content intent is off.

    Without it Discord delivers guild messages with empty text and no error at all.
    """

    def __init__(self) -> None:
        self.warned = False

    def check_application(self, flags: discord.ApplicationFlags) -> None:
        if not (flags.gateway_message_content or flags.gateway_message_content_limited):
            self._warn("the application does not have it")

    def check_message(self, message: discord.Message) -> None:
        if text_of(message) or message.attachments or message.embeds or message.stickers:
            return
        if message.poll is None and not message.message_snapshots:
            self._warn(f"message {message.id} arrived with no text")

    def _warn(self, evidence: str) -> None:
        if self.warned:
            return
        self.warned = True
        log.error(
            "Discord is not sending message text (%s): turn on the Message Content intent on "
            "the Bot page of the Discord developer portal, then restart (docs/discord.md)",
            evidence,
        )
