"""Carrying out the core's actions through the Bot API.

Each action returns a `Delivery` that says which way it went; errors leave as the outbox's
`RetryAfter` / `PermanentFailure` (see errors.py) or propagate as transient.
"""

from __future__ import annotations

import json
import logging
import warnings
from datetime import timedelta
from typing import Any

from telegram import (
    Bot,
    ChatPermissions,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    Message,
    ReplyParameters,
)
from telegram import error as tg

from bot.clock import Clock
from bot.config import Config
from bot.model import (
    Action,
    Alert,
    Button,
    ChatRef,
    CloseChat,
    Delete,
    Delivery,
    Digest,
    Notice,
    PermanentFailure,
    Remind,
    ReopenChat,
    SettleAlert,
    UserRef,
    Welcome,
)

from .chats import ChatDirectory
from .errors import delivery_errors, describe
from .links import deep_link, onboarding_payload
from .mapping import PLATFORM
from .members import is_in_chat

log = logging.getLogger(__name__)

# Telegram lets a bot delete a member's message only this long after it was sent.
DELETE_WINDOW = timedelta(hours=48)

# The permissions that let members post; closing turns these off and leaves the rest alone.
SENDING = (
    "can_send_messages",
    "can_send_audios",
    "can_send_documents",
    "can_send_photos",
    "can_send_videos",
    "can_send_video_notes",
    "can_send_voice_notes",
    "can_send_polls",
    "can_send_other_messages",
    "can_add_web_page_previews",
)


CAPTION_LIMIT = 1024  # characters of a document's caption


def keyboard(buttons: tuple[Button, ...]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(b.label, callback_data=b.data)] for b in buttons]
    )


def _ids(chat: ChatRef) -> tuple[int, int | None]:
    try:
        return int(chat.chat_id), int(chat.thread_id) if chat.thread_id else None
    except ValueError:
        raise PermanentFailure(
            f"{chat.chat_id!r} is not a Telegram chat id (a number such as -1001234567890)"
        ) from None


def _person_id(user: UserRef) -> int | None:
    """The id to DM, or None: posts on behalf of a chat have no person behind them, and a
    chat id sent a "DM" would post it in that chat for everyone."""
    if user.anonymous or not user.user_id.isdigit():
        return None
    return int(user.user_id)


def _not_modified(exc: tg.BadRequest) -> bool:
    # Closing a closed topic or setting the permissions a chat already has.
    return "not_modified" in exc.message.lower() or "not modified" in exc.message.lower()


def _cannot_start_chat(exc: tg.TelegramError) -> bool:
    """Telegram's answer for a person who never started the bot, or blocked it."""
    return isinstance(exc, tg.Forbidden) or (
        isinstance(exc, tg.BadRequest) and "chat not found" in exc.message.lower()
    )


class Deliverer:
    def __init__(
        self,
        bot: Bot,
        config: Config,
        chats: ChatDirectory,
        clock: Clock,
        *,
        join_gate: bool,
    ) -> None:
        self._bot = bot
        self._config = config
        self._chats = chats
        self._clock = clock
        self._join_gate = join_gate

    async def deliver(self, action: Action) -> Delivery:
        if isinstance(action, Remind):
            return await self._remind(action)
        if isinstance(action, Alert):
            return await self._alert(action)
        if isinstance(action, Delete):
            return await self._delete(action)
        if isinstance(action, Notice):
            return await self._notice(action)
        if isinstance(action, CloseChat):
            return await self._close(action)
        if isinstance(action, ReopenChat):
            return await self._reopen(action)
        if isinstance(action, SettleAlert):
            return await self._settle(action)
        if isinstance(action, Digest):
            return await self._digest(action)
        return await self._welcome(action)

    # ---- messages to people ------------------------------------------------------------

    async def _dm(
        self, user_id: int, text: str, markup: InlineKeyboardMarkup | None
    ) -> Message | None:
        """Send a private message; None when Telegram will not let the bot start the chat."""
        try:
            return await self._bot.send_message(user_id, text, reply_markup=markup)
        except (tg.Forbidden, tg.BadRequest) as exc:
            if _cannot_start_chat(exc):
                return None
            raise

    async def _remind(self, action: Remind) -> Delivery:
        """A DM where the parent has started the bot. Otherwise a neutral nudge with a deep
        link that opens the full reminder in private; where the bot is an admin, the full
        reminder also goes into the chat as an ephemeral message first. Telegram may not show
        an ephemeral message ("especially if they are offline") and never says whether it did,
        so it is never counted as the reminder delivered: the nudge always follows it."""
        name = self._chats.name(action.chat.chat_id)
        with delivery_errors(f"reminder in {name}"):
            user_id = _person_id(action.user)
            whispered = False
            if user_id is not None:
                if await self._dm(user_id, action.text, None) is not None:
                    return Delivery(path="dm")
                admin = self._chats.rights(action.chat.chat_id).admin
                whispered = admin and await self._ephemeral(action, user_id)
            await self._nudge(action)
            return Delivery(path="ephemeral+nudge" if whispered else "nudge")

    async def _ephemeral(self, action: Remind, user_id: int) -> bool:
        chat_id, thread_id = _ids(action.chat)
        params: dict[str, Any] = {
            "chat_id": chat_id,
            "text": action.text,
            "ephemeral_message_parameters": {"receiver_user_id": user_id},
        }
        if thread_id is not None:
            params["message_thread_id"] = thread_id
        try:
            with warnings.catch_warnings():
                # PTB 22.8 knows sendMessage but not its ephemeral parameter, hence the raw call.
                warnings.simplefilter("ignore")
                result = await self._bot.do_api_request("sendMessage", api_kwargs=params)
        except (tg.Forbidden, tg.BadRequest) as exc:
            log.info("Telegram: no ephemeral reminder in %s (%s)", chat_id, describe(exc))
            return False
        if isinstance(result, dict) and "ephemeral_message_id" in result:
            return True
        # A server without ephemeral messages ignores the parameter and posts for everyone.
        log.error("Telegram: the Bot API server posted an ephemeral reminder publicly; deleted")
        if isinstance(result, dict) and isinstance(result.get("message_id"), int):
            try:
                await self._bot.delete_message(chat_id, result["message_id"])
            except tg.TelegramError as exc:
                log.error("Telegram: could not delete it (%s)", describe(exc))
        return False

    async def _nudge(self, action: Remind) -> None:
        chat_id, thread_id = _ids(action.chat)
        link = deep_link(self._bot.username, action.key)
        reply_to = (
            ReplyParameters(int(action.message_id), allow_sending_without_reply=True)
            if action.message_id.isdigit()
            else None
        )
        await self._bot.send_message(
            chat_id,
            action.nudge,
            message_thread_id=thread_id,
            reply_parameters=reply_to,
            reply_markup=InlineKeyboardMarkup.from_button(
                InlineKeyboardButton("Read it in private", url=link)
            ),
        )

    async def _alert(self, action: Alert) -> Delivery:
        who = f"SLT contact {action.recipient.label}"
        user_id = _person_id(action.recipient)
        if user_id is None:
            raise PermanentFailure(f"{who}: {action.recipient.user_id!r} is not a Telegram user id")
        with delivery_errors(f"alert to {who}"):
            sent = await self._dm(user_id, action.text, keyboard(action.buttons))
            if sent is None:
                raise PermanentFailure(f"{who} has not started the bot; {self._onboarding(action)}")
        return Delivery(path="dm", message=f"{user_id}/{sent.message_id}")

    async def _digest(self, action: Digest) -> Delivery:
        """The weekly digest: its text as the caption of the attached report."""
        who = f"SLT contact {action.recipient.label}"
        user_id = _person_id(action.recipient)
        if user_id is None:
            raise PermanentFailure(f"{who}: {action.recipient.user_id!r} is not a Telegram user id")
        document = InputFile(action.file.encode(), filename=action.file_name)
        with delivery_errors(f"weekly digest to {who}"):
            try:
                sent = await self._bot.send_document(
                    user_id, document, caption=action.text[:CAPTION_LIMIT]
                )
            except (tg.Forbidden, tg.BadRequest) as exc:
                if _cannot_start_chat(exc):
                    raise PermanentFailure(f"{who} has not started the bot") from None
                raise
        return Delivery(path="dm+file", message=f"{user_id}/{sent.message_id}")

    async def _settle(self, action: SettleAlert) -> Delivery:
        """Edit the alert: the decision added, and (no reply_markup) its buttons gone."""
        chat_id, _, message_id = (action.message or "").partition("/")
        if not (chat_id.lstrip("-").isdigit() and message_id.isdigit()):
            raise PermanentFailure(f"{action.message!r} is not a Telegram message")
        with delivery_errors(f"updating the alert to {action.recipient.label}"):
            try:
                await self._bot.edit_message_text(
                    action.text, chat_id=int(chat_id), message_id=int(message_id)
                )
            except tg.BadRequest as exc:
                if _not_modified(exc):
                    return Delivery(path="edited", note="it already said so")
                if "not found" in exc.message.lower():
                    return Delivery(path="gone", note="the alert had been deleted")
                raise
        return Delivery(path="edited")

    def _onboarding(self, action: Alert) -> str:
        school = self._config.school_for_chat(PLATFORM, action.chat.chat_id)
        if school is None:
            return "run `schoolgate telegram-link` for the link to send them"
        link = deep_link(self._bot.username, onboarding_payload(school))
        return f"ask them to open {link} once"

    async def _welcome(self, action: Welcome) -> Delivery:
        """In the chat; or, with the join gate on, in private to someone not in the chat yet,
        whose join request waits. Telegram is asked who is in, rather than the request being
        remembered, so that a welcome still pending at a restart goes the same way."""
        chat_id, thread_id = _ids(action.chat)
        markup = keyboard(action.buttons)
        name = self._chats.name(action.chat.chat_id)
        with delivery_errors(f"welcome in {name}"):
            user_id = _person_id(action.user)
            if user_id is not None and await self._waiting_at_gate(chat_id, user_id):
                return await self._welcome_at_gate(action, user_id, name, markup)
            await self._bot.send_message(
                chat_id, action.text, message_thread_id=thread_id, reply_markup=markup
            )
        return Delivery(path="chat")

    async def _waiting_at_gate(self, chat_id: int, user_id: int) -> bool:
        """With the gate on, someone not in the chat yet is someone whose request waits."""
        if not self._join_gate:
            return False
        return not is_in_chat(await self._bot.get_chat_member(chat_id, user_id))

    async def _welcome_at_gate(
        self, action: Welcome, user_id: int, name: str, markup: InlineKeyboardMarkup
    ) -> Delivery:
        # A person's private chat has their user id (a join request's user_chat_id); the bot
        # may write there for 5 minutes after the request, or once they have started it.
        if await self._dm(user_id, action.text, markup) is not None:
            return Delivery(path="dm")
        raise PermanentFailure(
            f"welcome to {name}: user {user_id} is not in the group and Telegram no longer lets "
            "the bot write to them (it may for 5 minutes after a join request); an admin can "
            "approve their request by hand"
        )

    async def _notice(self, action: Notice) -> Delivery:
        chat_id, thread_id = _ids(action.chat)
        with delivery_errors(f"notice in {self._chats.name(action.chat.chat_id)}"):
            await self._bot.send_message(chat_id, action.text, message_thread_id=thread_id)
        return Delivery(path="chat")

    # ---- moderation rights -------------------------------------------------------------

    async def _delete(self, action: Delete) -> Delivery:
        name = self._chats.name(action.chat.chat_id)
        if not self._chats.rights(action.chat.chat_id).can_delete:
            raise PermanentFailure(
                f"the bot cannot delete messages in {name}: it needs to be an admin with the "
                "'Delete messages' right"
            )
        sent_at = self._chats.sent_at(action.chat.chat_id, action.message_id)
        if sent_at is not None and self._clock.now() - sent_at >= DELETE_WINDOW:
            raise PermanentFailure(
                f"the message in {name} is more than 48 hours old; Telegram lets bots delete "
                "only newer messages"
            )
        with delivery_errors(f"deleting a message in {name}"):
            try:
                await self._bot.delete_message(_ids(action.chat)[0], int(action.message_id))
            except tg.BadRequest as exc:
                if "not found" not in exc.message.lower():
                    raise
                return Delivery(path="gone", note="the message had already been deleted")
        return Delivery(path="deleted")

    def _check_can_lock(self, chat: ChatRef) -> None:
        name = self._chats.name(chat.chat_id)
        rights = self._chats.rights(chat.chat_id)
        if chat.thread_id and not rights.can_manage_topics:
            raise PermanentFailure(
                f"the bot cannot close topics in {name}: it needs the admin right 'Manage topics'"
            )
        if not chat.thread_id and not rights.can_restrict:
            raise PermanentFailure(
                f"the bot cannot close {name}: it needs to be an admin with the 'Ban users' right"
            )

    async def _close(self, action: CloseChat) -> Delivery:
        """Save the chat's permissions (as Delivery.state), then stop members posting."""
        self._check_can_lock(action.chat)
        chat_id, thread_id = _ids(action.chat)
        with delivery_errors(f"closing {self._chats.name(action.chat.chat_id)}"):
            if thread_id is not None:
                try:
                    await self._bot.close_forum_topic(chat_id, thread_id)
                except tg.BadRequest as exc:
                    if not _not_modified(exc):
                        raise
                return Delivery(path="topic_closed")
            current = (await self._bot.get_chat(chat_id)).permissions
            saved = current.to_dict() if current is not None else {}
            if saved.get("can_send_messages") is False:
                # Already closed (by us or by a person): saving this would make reopening a no-op.
                return Delivery(path="already_closed", note="members could already not post")
            closed = ChatPermissions.de_json({**saved, **dict.fromkeys(SENDING, False)}, None)
            await self._bot.set_chat_permissions(
                chat_id, closed, use_independent_chat_permissions=True
            )
        return Delivery(path="closed", state=json.dumps(saved, sort_keys=True))

    async def _reopen(self, action: ReopenChat) -> Delivery:
        """Restore exactly the permissions saved when closing; without them, let members post."""
        self._check_can_lock(action.chat)
        chat_id, thread_id = _ids(action.chat)
        with delivery_errors(f"reopening {self._chats.name(action.chat.chat_id)}"):
            if thread_id is not None:
                try:
                    await self._bot.reopen_forum_topic(chat_id, thread_id)
                except tg.BadRequest as exc:
                    if not _not_modified(exc):
                        raise
                return Delivery(path="topic_reopened")
            saved = _saved_permissions(action.saved_state)
            note = ""
            if saved is None:
                current = (await self._bot.get_chat(chat_id)).permissions
                base = current.to_dict() if current is not None else {}
                saved = {**base, **dict.fromkeys(SENDING, True)}
                note = "no saved permissions; members may post again"
            try:
                await self._bot.set_chat_permissions(
                    chat_id,
                    ChatPermissions.de_json(saved, None),
                    use_independent_chat_permissions=True,
                )
            except tg.BadRequest as exc:
                if not _not_modified(exc):
                    raise
        return Delivery(path="reopened", note=note)


def _saved_permissions(state: str | None) -> dict[str, Any] | None:
    if not state:
        return None
    try:
        saved = json.loads(state)
    except ValueError:
        log.warning("Telegram: the saved permissions are unreadable; reopening with defaults")
        return None
    return saved if isinstance(saved, dict) and saved else None
