"""Carrying out the core's actions on Discord.

Members can turn off DMs from server members; Discord then answers 403 with code 50007. Such a
member is remembered for the life of the process, because every further 403 counts toward
Discord's invalid-request ban, and is reminded with a neutral nudge in the chat instead.

Every message is created with a nonce made from the action's key, and discord.py asks Discord
to enforce it: a second create with the same nonce within a few minutes returns the first
message instead of posting another. So an action whose earlier attempt went unanswered is
simply sent again while Discord still remembers the nonce; after longer, the channel's recent
history is read for the message before anything is sent.
"""

from __future__ import annotations

import hashlib
import io
import logging
from datetime import datetime, timedelta

import discord

from adapters.discord.chats import target_channel
from adapters.discord.errors import CANNOT_DM, UNKNOWN_MESSAGE, delivery_errors
from adapters.discord.lock import close_chat, reopen_chat
from adapters.discord.views import view_of
from bot.model import (
    Action,
    Alert,
    Button,
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

log = logging.getLogger(__name__)

_NOBODY = discord.AllowedMentions.none()

# Discord checks a nonce "for uniqueness in the past few minutes": trusted for less than that.
NONCE_TRUSTED = timedelta(minutes=2)
# How far before an unanswered attempt the history check looks, for clocks that disagree.
CLOCK_MARGIN = timedelta(seconds=10)
NONCE_LENGTH = 25  # Discord's limit


def nonce_of(key: str, route: str = "") -> str:
    """The nonce of an action's message (`route` tells its fallback apart): at most 25
    characters, the same on every attempt."""
    nonce = f"{key}{route}"
    if len(nonce) <= NONCE_LENGTH:
        return nonce
    return hashlib.blake2b(nonce.encode(), digest_size=12).hexdigest()[:NONCE_LENGTH]


class Deliverer:
    def __init__(self, client: discord.Client, welcome_channel: str | None) -> None:
        self.client = client
        self.welcome_channel = int(welcome_channel) if welcome_channel else None
        self.no_dms: set[int] = set()  # users who turned off DMs from server members

    async def deliver(self, action: Action) -> Delivery:
        match action:
            case Remind():
                return await self._remind(action)
            case Alert():
                return await self._alert(action)
            case Delete():
                return await self._delete(action)
            case Notice():
                # In the channel itself, even when the incident was in one of its threads.
                channel_id = int(action.chat.chat_id)
                await self._post(
                    channel_id, action.text, doing="posting the notice", nonce=nonce_of(action.key)
                )
                return Delivery(path="sent")
            case CloseChat():
                return await close_chat(self.client, action.chat, action.reason)
            case ReopenChat():
                return await reopen_chat(self.client, action.chat, action.saved_state)
            case Welcome():
                return await self._welcome(action)
            case SettleAlert():
                return await self._settle(action)
            case Digest():
                return await self._digest(action)
        raise PermanentFailure(f"the Discord adapter cannot deliver {type(action).__name__}")

    async def redeliver(self, action: Action, since: datetime) -> Delivery:
        """Deliver an action whose attempt begun at `since` went unanswered, once."""
        if discord.utils.utcnow() - since > NONCE_TRUSTED:
            found = await self._already_sent(action, since - CLOCK_MARGIN)
            if found is not None:
                return found
        return await self.deliver(action)

    async def _already_sent(self, action: Action, after: datetime) -> Delivery | None:
        """The delivery of an action if its message is in the channel's history since `after`;
        locks and deletes are idempotent and are simply done again."""
        note = "found in the channel after an unanswered attempt"
        match action:
            case Remind():
                if await self._dm_has(action.user, action.text, after) is not None:
                    return Delivery(path="dm", note=note)
                channel = target_channel(action.chat)
                nudge = f"{_mention(action.user)} {action.nudge}"
                if await self._has(channel, nudge, after) is not None:
                    return Delivery(path="nudge", note=note)
            case Alert() | Digest():
                found = await self._dm_has(action.recipient, action.text, after)
                if found is not None:
                    return Delivery(path="dm", note=note, message=_where(found))
            case Welcome():
                if await self._dm_has(action.user, action.text, after) is not None:
                    return Delivery(path="dm", note=note)
                mentioned = f"{_mention(action.user)} {action.text}"
                if (
                    self.welcome_channel
                    and await self._has(self.welcome_channel, mentioned, after) is not None
                ):
                    return Delivery(path="welcome_channel", note=note)
            case Notice():
                if await self._has(int(action.chat.chat_id), action.text, after) is not None:
                    return Delivery(path="sent", note=note)
        return None

    async def _dm_has(self, user: UserRef, content: str, after: datetime) -> discord.Message | None:
        with delivery_errors("checking the direct messages"):
            dm = await self.client.create_dm(discord.Object(int(user.user_id)))
        return await self._has(dm.id, content, after)

    async def _has(self, channel_id: int, content: str, after: datetime) -> discord.Message | None:
        """The message the bot posted with exactly `content` in the channel since `after`."""
        me = self.client.user
        channel = self.client.get_partial_messageable(channel_id)
        with delivery_errors("reading the channel's recent messages"):
            async for message in channel.history(after=after, oldest_first=True, limit=None):
                if me is not None and message.author.id == me.id and message.content == content:
                    return message
        return None

    async def _remind(self, action: Remind) -> Delivery:
        if (
            await self._dm(
                action.user, action.text, doing="sending the reminder", nonce=nonce_of(action.key)
            )
            is not None
        ):
            return Delivery(path="dm")
        await self._post(
            target_channel(action.chat),
            action.nudge,
            doing="posting the nudge",
            mention=action.user,
            nonce=nonce_of(action.key, ":n"),
        )
        return Delivery(path="nudge", note="the member does not accept direct messages")

    async def _alert(self, action: Alert) -> Delivery:
        sent = await self._dm(
            action.recipient,
            action.text,
            doing="sending the alert",
            buttons=action.buttons,
            nonce=nonce_of(action.key),
        )
        if sent is None:
            raise PermanentFailure(
                f"SLT contact {action.recipient.label} does not accept direct messages from "
                "server members (Privacy settings of the server)"
            )
        return Delivery(path="dm", message=_where(sent))

    async def _digest(self, action: Digest) -> Delivery:
        """The weekly digest, the report attached."""
        report = discord.File(io.BytesIO(action.file.encode()), filename=action.file_name)
        sent = await self._dm(
            action.recipient,
            action.text,
            doing="sending the weekly digest",
            nonce=nonce_of(action.key),
            file=report,
        )
        if sent is None:
            raise PermanentFailure(
                f"SLT contact {action.recipient.label} does not accept direct messages from "
                "server members (Privacy settings of the server)"
            )
        return Delivery(path="dm+file", message=_where(sent))

    async def _settle(self, action: SettleAlert) -> Delivery:
        """Edit the alert: the decision added, its buttons removed. Editing is idempotent."""
        channel_id, _, message_id = (action.message or "").partition("/")
        if not (channel_id.isdigit() and message_id.isdigit()):
            raise PermanentFailure(f"{action.message!r} is not a Discord message")
        message = self.client.get_partial_messageable(int(channel_id)).get_partial_message(
            int(message_id)
        )
        with delivery_errors("updating the alert"):
            try:
                await message.edit(content=action.text, view=None)
            except discord.NotFound as exc:
                if exc.code != UNKNOWN_MESSAGE:
                    raise
                return Delivery(path="gone", note="the alert had been deleted")
        return Delivery(path="edited")

    async def _welcome(self, action: Welcome) -> Delivery:
        sent = await self._dm(
            action.user,
            action.text,
            doing="sending the welcome",
            buttons=action.buttons,
            nonce=nonce_of(action.key),
        )
        if sent is not None:
            return Delivery(path="dm")
        if self.welcome_channel is None:
            raise PermanentFailure(
                "the new member does not accept direct messages and no discord.welcome_channel "
                "is set"
            )
        channel = self.client.get_partial_messageable(self.welcome_channel)
        with delivery_errors("posting the welcome"):
            await channel.send(
                f"{_mention(action.user)} {action.text}",
                view=view_of(action.buttons),
                allowed_mentions=_only(action.user),
                nonce=nonce_of(action.key, ":w"),
            )
        return Delivery(path="welcome_channel")

    async def _delete(self, action: Delete) -> Delivery:
        channel_id = target_channel(action.chat)
        channel = self.client.get_channel(channel_id)
        if (
            isinstance(channel, discord.abc.GuildChannel | discord.Thread)
            and not channel.permissions_for(channel.guild.me).manage_messages
        ):
            raise PermanentFailure(
                f"the bot lacks the Manage Messages permission in #{channel.name}, "
                "so it cannot delete the message"
            )
        message = self.client.get_partial_messageable(channel_id).get_partial_message(
            int(action.message_id)
        )
        with delivery_errors("deleting the message"):
            try:
                await message.delete()
            except discord.NotFound as exc:
                if exc.code != UNKNOWN_MESSAGE:
                    raise
                return Delivery(path="gone", note="the message had already been deleted")
        return Delivery(path="deleted")

    async def _dm(
        self,
        user: UserRef,
        text: str,
        *,
        doing: str,
        nonce: str,
        buttons: tuple[Button, ...] = (),
        file: discord.File | None = None,
    ) -> discord.Message | None:
        """DM a user; None if they do not accept DMs from server members."""
        user_id = int(user.user_id)
        if user_id in self.no_dms:
            return None
        with delivery_errors(doing):
            view = view_of(buttons) if buttons else discord.utils.MISSING
            try:
                dm = await self.client.create_dm(discord.Object(user_id))
                attached = discord.utils.MISSING if file is None else file
                return await dm.send(
                    text, view=view, file=attached, allowed_mentions=_NOBODY, nonce=nonce
                )
            except discord.Forbidden as exc:
                if exc.code == CANNOT_DM:
                    self.no_dms.add(user_id)
                log.info("user %s does not accept DMs (code %s)", user_id, exc.code)
                return None

    async def _post(
        self,
        channel_id: int,
        text: str,
        *,
        doing: str,
        nonce: str,
        mention: UserRef | None = None,
    ) -> None:
        channel = self.client.get_partial_messageable(channel_id)
        with delivery_errors(doing):
            if mention is None:
                await channel.send(text, allowed_mentions=_NOBODY, nonce=nonce)
            else:
                await channel.send(
                    f"{_mention(mention)} {text}", allowed_mentions=_only(mention), nonce=nonce
                )


def _where(message: discord.Message) -> str:
    """How an alert's message is recorded, to edit it later (Delivery.message)."""
    return f"{message.channel.id}/{message.id}"


def _mention(user: UserRef) -> str:
    return f"<@{user.user_id}>"


def _only(user: UserRef) -> discord.AllowedMentions:
    return discord.AllowedMentions(
        everyone=False, roles=False, users=[discord.Object(int(user.user_id))]
    )
