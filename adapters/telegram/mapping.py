"""Telegram objects to the core's platform-neutral values. Pure functions, no I/O."""

from __future__ import annotations

from telegram import CallbackQuery, Chat, Message, User

from bot.model import (
    ButtonPress,
    ChatMessage,
    ChatRef,
    Command,
    CommandName,
    UserRef,
    decode_button,
)

PLATFORM = "telegram"

# Kinds of attachment worth telling the core about; the content itself is never read.
_ATTACHMENT_KINDS = (
    "photo",
    "video",
    "animation",
    "document",
    "audio",
    "voice",
    "video_note",
    "sticker",
    "poll",
    "location",
    "contact",
)


def chat_ref(chat: Chat, thread_id: int | None = None) -> ChatRef:
    return ChatRef(
        PLATFORM,
        str(chat.id),
        title=_name(chat.title) or _name(chat.first_name, chat.last_name),
        thread_id=str(thread_id) if thread_id is not None else None,
    )


def message_chat(message: Message) -> ChatRef:
    """The chat, narrowed to the forum topic when the message is in one."""
    topic = message.message_thread_id if message.is_topic_message else None
    return chat_ref(message.chat, topic)


def user_ref(user: User) -> UserRef:
    return UserRef(PLATFORM, str(user.id), display_name=_name(user.first_name, user.last_name))


def _name(*parts: object) -> str:
    """A display name from what Telegram sent; a part that is not text is left out (the SDK
    does not check types, and a malformed name must not reach the store)."""
    return " ".join(p for p in parts if isinstance(p, str) and p)


def message_author(message: Message) -> UserRef | None:
    """Who wrote it. Posts on behalf of a chat (anonymous admins, linked channels) carry the
    chat rather than a person, so they are marked anonymous and can never be authorised."""
    if message.sender_chat is not None:
        sender = message.sender_chat
        name = "Anonymous admin" if sender.id == message.chat.id else _name(sender.title)
        return UserRef(PLATFORM, str(sender.id), display_name=name, anonymous=True)
    if message.from_user is not None:
        return user_ref(message.from_user)
    return None


def chat_message(message: Message, *, edited: bool) -> ChatMessage | None:
    """A message with text or a caption, or None when there is nothing to read."""
    text = message.text or message.caption
    if text and not isinstance(text, str):  # the SDK does not check types; the handler skips it
        raise TypeError(f"message {message.message_id} has text of type {type(text).__name__}")
    author = message_author(message)
    if not text or author is None:
        return None
    sent_at = (message.edit_date if edited else None) or message.date
    return ChatMessage(
        chat=message_chat(message),
        author=author,
        message_id=str(message.message_id),
        text=text,
        sent_at=sent_at,
        edited=edited,
        attachments=tuple(k for k in _ATTACHMENT_KINDS if getattr(message, k, None)),
    )


def command(message: Message, name: CommandName) -> Command | None:
    caller = message_author(message)
    if caller is None:
        return None
    parts = (message.text or "").split(maxsplit=1)
    args = parts[1].strip() if len(parts) > 1 else ""
    return Command(name=name, chat=message_chat(message), caller=caller, args=args)


def button_press(query: CallbackQuery) -> ButtonPress | None:
    """A press on one of our buttons; None for data that is not ours."""
    decoded = decode_button(query.data or "")
    if decoded is None:
        return None
    action, key = decoded
    where = query.message
    chat = message_chat(where) if isinstance(where, Message) else None
    return ButtonPress(action=action, key=key, caller=user_ref(query.from_user), chat=chat)
