"""Incoming updates to the core: messages and edits, commands, button presses, new members.

Only the configured chats are moderated. Every handler is guarded: an update that cannot be
handled is logged (by update id, never its text) and skipped, so one bad update never stops
the bot. Commands run only from new messages: Telegram reports edits too, and an edited
`/close` must not close the chat again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from dataclasses import replace
from functools import wraps
from typing import Any

from telegram import Bot, Chat, Message, Update
from telegram import error as tg
from telegram.ext import (
    CallbackQueryHandler,
    ChatJoinRequestHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.clock import Clock
from bot.commands import parse_command
from bot.model import ButtonPress, ChatRef, CommandName, Reply, UserRef
from bot.platform import EventSink, NotStored

from . import mapping
from .application import HandledBeforeConfirmed, TelegramApp
from .chats import ChatDirectory
from .errors import describe
from .links import deep_link
from .members import JoinTracker, is_in_chat
from .rights import rights_of

log = logging.getLogger(__name__)

Callback = Callable[[Update, ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, None]]

GROUP_COMMANDS = (
    CommandName.CLOSE,
    CommandName.REOPEN,
    CommandName.STATUS,
    CommandName.RULES,
    CommandName.PRIVACY,
    CommandName.HELP,
    CommandName.INCIDENTS,
    CommandName.INCIDENT,
)
# Telegram shows at most 200 characters in the notification that answers a button press.
_ANSWER_LIMIT = 200
_NOT_OURS = "This button is no longer in use."
_PRESS_AGAIN = (
    "Thank you for agreeing to the code of conduct. Telegram did not let me add you to the "
    "group just now: please press the button again in a minute."
)
_ANSWER_IN_PRIVATE = (
    "I answer commands in private. Please open {link}, press Start, then send the command again."
)

_NEW = filters.UpdateType.MESSAGE  # not edits


def _guarded(handler: Callback) -> Callback:
    @wraps(handler)
    async def run(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        try:
            await handler(update, context)
        except Exception as exc:
            log.warning("Telegram: skipped update %s: %s", update.update_id, type(exc).__name__)
            log.debug("Telegram: update %s failed", update.update_id, exc_info=True)

    return run


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


class UpdateRouter:
    def __init__(
        self,
        events: EventSink,
        chats: ChatDirectory,
        clock: Clock,
        *,
        privacy_off: bool,
        join_gate: bool,
    ) -> None:
        self._events = events
        self._chats = chats
        self._clock = clock
        self._join_gate = join_gate
        self._privacy_off = privacy_off
        self._joins = JoinTracker()
        self._ignored: set[str] = set()

    def install(self, app: TelegramApp) -> None:
        for name in GROUP_COMMANDS:
            app.add_handler(CommandHandler(name.value, self._command(name), filters=_NEW))
        app.add_handler(
            CommandHandler(
                CommandName.START.value,
                self._command(CommandName.START),
                filters=_NEW & filters.ChatType.PRIVATE,
            )
        )
        app.add_handler(
            MessageHandler(filters.StatusUpdate.NEW_CHAT_MEMBERS, _guarded(self._new_members))
        )
        app.add_handler(MessageHandler(filters.StatusUpdate.MIGRATE, _guarded(self._migrated)))
        app.add_handler(
            MessageHandler(
                filters.UpdateType.MESSAGES & (filters.TEXT | filters.CAPTION),
                _guarded(self._message),
            )
        )
        app.add_handler(CallbackQueryHandler(_guarded(self._button)))
        # Besides moderation (group 0), which still checks what a "/word" message says: a
        # command that is none of ours, typed in private or addressed to this bot by name.
        app.add_handler(
            MessageHandler(filters.COMMAND & _NEW, _guarded(self._unknown_command)), group=1
        )
        app.add_handler(
            ChatMemberHandler(_guarded(self._member_changed), ChatMemberHandler.CHAT_MEMBER)
        )
        app.add_handler(
            ChatMemberHandler(_guarded(self._bot_member_changed), ChatMemberHandler.MY_CHAT_MEMBER)
        )
        if self._join_gate:
            app.add_handler(ChatJoinRequestHandler(_guarded(self._join_request)))
        app.add_error_handler(self._error)

    def _moderated(self, chat_id: int) -> bool:
        """True for a configured chat; others are ignored, and named in the log once so that
        an admin adding the bot to a new group can find its id there."""
        key = str(chat_id)
        if self._chats.is_configured(key):
            return True
        if key not in self._ignored and chat_id < 0:
            self._ignored.add(key)
            log.info("Telegram: ignoring chat %s: it is not in the config", key)
        return False

    # ---- messages ----------------------------------------------------------------------

    async def _message(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if message is None or not self._moderated(message.chat_id):
            return
        neutral = mapping.chat_message(message, edited=update.edited_message is not None)
        if neutral is None:
            return
        self._chats.saw_message(neutral.chat.chat_id, neutral.message_id, message.date)
        try:
            await self._events.on_message(neutral)
        except NotStored:
            queue = context.application.update_queue
            if isinstance(queue, HandledBeforeConfirmed):
                queue.not_stored(update)

    async def _migrated(self, update: Update, _: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if message is None or message.migrate_to_chat_id is None:
            return
        if self._chats.is_configured(str(message.chat_id)):
            log.warning(
                "Telegram: %s was upgraded to a supergroup with id %s; put that id in the config",
                self._chats.name(str(message.chat_id)),
                message.migrate_to_chat_id,
            )

    # ---- commands and buttons ----------------------------------------------------------

    def _command(self, name: CommandName) -> Callback:
        async def handle(update: Update, _: ContextTypes.DEFAULT_TYPE) -> None:
            message = update.effective_message
            if message is None:
                return
            # In private anything goes to the core (/rules, /privacy answer there too); in a
            # group, only a configured one.
            private = message.chat.type == Chat.PRIVATE
            if not private and not self._moderated(message.chat_id):
                return
            command = mapping.command(message, name)
            if command is None:
                return
            if name is CommandName.START:
                log.info("Telegram: user %s started the bot", command.caller.user_id)
            reply = await self._events.on_command(command)
            await _reply(message, reply)

        return _guarded(handle)

    async def _unknown_command(self, update: Update, _: ContextTypes.DEFAULT_TYPE) -> None:
        """Answered with the commands the caller may use. In a group only when addressed to
        this bot (`/foo@ThisBot`): a bare `/foo` may be meant for another bot there."""
        message = update.effective_message
        if message is None or not message.text:
            return
        word = message.text.split(maxsplit=1)[0]
        name, _at, addressee = word[1:].partition("@")
        parsed = parse_command(f"/{name}")
        if parsed is None or not parsed.unknown:
            return
        if message.chat.type != Chat.PRIVATE:
            ours = addressee.lower() == (message.get_bot().username or "").lower()
            if not ours or not self._moderated(message.chat_id):
                return
        command = mapping.command(message, CommandName.HELP)
        if command is not None:
            await _reply(message, await self._events.on_command(replace(command, unknown=name)))

    async def _button(self, update: Update, _: ContextTypes.DEFAULT_TYPE) -> None:
        """Hand the press to the core and always answer it, or the client keeps spinning."""
        query = update.callback_query
        if query is None:
            return
        text = _NOT_OURS
        try:
            press = mapping.button_press(query)
            if press is not None:
                reply = await self._events.on_button(press)
                text = reply.text
                if reply.accepted_in is not None and self._at_gate(press):
                    let_in = await self._let_in(update.get_bot(), reply.accepted_in, press.caller)
                    text = reply.text if let_in else _PRESS_AGAIN
        finally:
            try:
                await query.answer(_shorten(text, _ANSWER_LIMIT))
            except tg.TelegramError as exc:
                log.info("Telegram: could not answer a button press (%s)", describe(exc))

    def _at_gate(self, press: ButtonPress) -> bool:
        """A welcome accepted where the gate sends it: in private (or where Telegram no longer
        says). One pressed in the group comes from someone already in it."""
        if not self._join_gate:
            return False
        return press.chat is None or press.chat.chat_id == press.caller.user_id

    async def _let_in(self, bot: Bot, chat: ChatRef, user: UserRef) -> bool:
        """Approve the person's join request to the chat whose code they accepted; False when
        it is worth pressing again. Telegram refuses when no request waits (approved already,
        or the person never asked): that is said in one line, and there is nothing to retry."""
        self._joins.first_report(chat.chat_id, user.user_id, self._clock.now())  # welcomed
        name = self._chats.name(chat.chat_id)
        try:
            await bot.approve_chat_join_request(int(chat.chat_id), int(user.user_id))
        except tg.BadRequest as exc:
            log.info(
                "Telegram: join request of user %s in %s not approved (%s)",
                user.user_id,
                name,
                describe(exc),
            )
        except tg.TelegramError as exc:
            log.warning(
                "Telegram: could not approve the join request of user %s in %s (%s)",
                user.user_id,
                name,
                describe(exc),
            )
            return False
        else:
            log.info("Telegram: approved the join request of user %s in %s", user.user_id, name)
        return True

    # ---- members -----------------------------------------------------------------------

    async def _joined(self, chat: ChatRef, user: UserRef) -> None:
        if self._joins.first_report(chat.chat_id, user.user_id, self._clock.now()):
            await self._events.on_member_joined(chat, user)

    async def _new_members(self, update: Update, _: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if message is None or not self._moderated(message.chat_id):
            return
        for user in message.new_chat_members or ():
            if not user.is_bot:
                await self._joined(mapping.message_chat(message), mapping.user_ref(user))

    async def _member_changed(self, update: Update, _: ContextTypes.DEFAULT_TYPE) -> None:
        change = update.chat_member
        if change is None or not self._moderated(change.chat.id):
            return
        was_in = is_in_chat(change.old_chat_member)
        is_in = is_in_chat(change.new_chat_member)
        user = change.new_chat_member.user
        if is_in and not was_in and not user.is_bot:
            await self._joined(mapping.chat_ref(change.chat), mapping.user_ref(user))

    async def _bot_member_changed(self, update: Update, _: ContextTypes.DEFAULT_TYPE) -> None:
        """The bot was promoted, restricted or removed: its rights change now, not at restart."""
        change = update.my_chat_member
        if change is None or not self._chats.is_configured(str(change.chat.id)):
            return
        rights = rights_of(
            change.new_chat_member,
            privacy_off=self._privacy_off,
            is_forum=bool(change.chat.is_forum),
        )
        self._chats.set_rights(str(change.chat.id), rights)

    async def _join_request(self, update: Update, _: ContextTypes.DEFAULT_TYPE) -> None:
        """The welcome goes to the person in private (see Deliverer._welcome); accepting the
        code there approves the request (see _let_in)."""
        request = update.chat_join_request
        if request is None or not self._moderated(request.chat.id):
            return
        user = mapping.user_ref(request.from_user)
        await self._events.on_member_joined(mapping.chat_ref(request.chat), user)

    async def _error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        update_id = update.update_id if isinstance(update, Update) else None
        log.warning("Telegram: error on update %s: %s", update_id, type(context.error).__name__)


async def _reply(message: Message, reply: Reply) -> None:
    """The core's answer to a command. Telegram has no reply only the caller sees, so in a
    group a private answer goes to the caller by direct message; the group sees at most a
    pointer, when the caller has never opened a private chat with the bot."""
    caller = message.from_user
    identified = caller is not None and message.sender_chat is None  # not an anonymous admin
    try:
        if message.chat.type == Chat.PRIVATE or not reply.private or not identified:
            await message.reply_text(reply.text)
            return
        assert caller is not None
        bot = message.get_bot()
        try:
            await bot.send_message(caller.id, reply.text)
        except tg.Forbidden:
            await message.reply_text(
                _ANSWER_IN_PRIVATE.format(link=deep_link(bot.username, "hello"))
            )
    except tg.TelegramError as exc:
        log.info("Telegram: could not reply to a command (%s)", describe(exc))
