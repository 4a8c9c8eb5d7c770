"""Carrying out the core's actions with the Slack Web API.

The outbox owns retries: a 429 becomes `RetryAfter` with Slack's Retry-After, an error that
retrying cannot fix becomes `PermanentFailure` with a reason SLT can read, anything else
propagates and is retried with back-off. So the clients used here have no rate-limit retry
handler of their own. An action that has partly gone out (a DM sent, its in-channel pointer
refused) is reported as delivered, so that a retry never sends it twice.

Every message the bot posts carries its action's key in Slack message metadata. When an attempt
went unanswered (the process stopped, the call timed out, the connection dropped), the next one
first reads the conversation's recent history with its metadata and sends only if the message is
not there. Ephemeral messages are not kept by Slack, so they cannot be checked.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Collection, Mapping
from datetime import datetime, timedelta
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from adapters.slack.blocks import Block, escape, message_blocks
from adapters.slack.clients import error_code
from bot.model import (
    Action,
    Alert,
    CloseChat,
    Delete,
    Delivery,
    Digest,
    Notice,
    PermanentFailure,
    Remind,
    ReopenChat,
    RetryAfter,
    SettleAlert,
    Welcome,
)

log = logging.getLogger(__name__)

# Shown in the channel, to the sender only, when the full reminder went by direct message.
DM_POINTER = (
    "About your recent message here: I have sent you a private note with the details. "
    "Please check your direct messages from this app."
)

DEFAULT_RETRY_AFTER = 30.0  # Slack always sends Retry-After with a 429; this is a fallback

# The metadata event type on the bot's messages; its payload holds the action's key.
METADATA_TYPE = "schoolgate_action"
# How far before an unanswered attempt the history check looks, for clocks that disagree.
CLOCK_MARGIN = timedelta(minutes=1)
HISTORY_PAGE = 200

# Slack error codes that no retry can fix, in words an SLT member can act on.
_PERMANENT: Mapping[str, str] = {
    "channel_not_found": "the channel cannot be found, or the bot has not been invited to it",
    "not_in_channel": "the bot is not a member of the channel; invite it with /invite",
    "is_archived": "the channel is archived",
    "user_not_found": "the Slack user cannot be found",
    "user_not_visible": "the Slack user cannot be reached from this workspace",
    "user_disabled": "the Slack user's account is deactivated",
    "cannot_dm_bot": "the recipient is a bot",
    "messages_tab_disabled": "the app's Messages tab is turned off in the app settings",
    "missing_scope": "the Slack app lacks a permission; reinstall it from the manifest",
    "not_allowed_token_type": "the configured token is of the wrong kind",
    "not_authed": "no Slack token was sent",
    "invalid_auth": "the Slack token is not valid",
    "account_inactive": "the Slack token belongs to a deactivated user or workspace",
    "token_revoked": "the Slack token has been revoked",
    "no_permission": "the token's owner is not allowed to do this",
    "restricted_action": "the workspace's settings do not allow this",
    "cant_delete_message": "the token's owner may not delete this message",
    "cant_archive_general": "Slack never lets the workspace's general channel be archived",
    "method_not_supported_for_channel_type": "Slack does not allow this for this kind of channel",
    "msg_too_long": "the message is too long for Slack",
    "invalid_blocks": "Slack rejected the message layout",
    "ekm_access_denied": "the workspace's key management denies access",
}

_ARCHIVE_REFUSED = (
    "Slack did not let the bot archive the channel: the workspace's settings restrict who may "
    "archive channels. A workspace admin can archive it in Slack (channel name > Settings > "
    "Archive channel), or allow members to archive channels in the workspace settings."
)
_REOPEN_BY_HAND = (
    "Slack does not let bots unarchive channels, and no admin user token is configured. To "
    "reopen {channel}: find it in Slack (search for its name and include archived channels), "
    "open it, click Unarchive at the bottom (or the channel name > Settings > Unarchive "
    "channel), then add the bot back with /invite @schoolgate."
)
_DELETE_NOT_ALLOWED = (
    "Slack lets a bot delete only its own messages, and no workspace admin's user token is "
    "configured, so the message could not be deleted. Please delete it in Slack (hover over "
    "the message > More actions > Delete message)."
)


def _retry_after(headers: Mapping[str, Any]) -> float:
    for name, value in headers.items():
        if name.lower() == "retry-after":
            try:
                return max(float(value), 0.0)
            except (TypeError, ValueError):
                break
    return DEFAULT_RETRY_AFTER


async def call_api(
    what: str,
    call: Awaitable[AsyncSlackResponse],
    *,
    tolerate: Collection[str] = (),
    refusals: Mapping[str, str] | None = None,
) -> AsyncSlackResponse | None:
    """Await one Web API call, turning errors into what the outbox understands.

    `what` completes "Slack refused to ..."; error codes in `tolerate` mean the work is already
    done (None is returned); `refusals` give a call's own wording for some error codes.
    """
    try:
        return await call
    except SlackApiError as error:
        code = error_code(error)
        if code in tolerate:
            return None
        if error.response.status_code == 429 or code == "ratelimited":
            raise RetryAfter(_retry_after(error.response.headers)) from error
        if refusals and code in refusals:
            raise PermanentFailure(refusals[code]) from error
        if code in _PERMANENT:
            raise PermanentFailure(f"Slack refused to {what}: {_PERMANENT[code]}.") from error
        raise


def metadata(key: str) -> dict[str, Any]:
    return {"event_type": METADATA_TYPE, "event_payload": {"key": key}}


def _is_action(message: Mapping[str, Any], key: str) -> bool:
    meta = message.get("metadata") or {}
    return (
        meta.get("event_type") == METADATA_TYPE
        and (meta.get("event_payload") or {}).get("key") == key
    )


class SlackDelivery:
    """Delivers actions with the bot token, and the admin's user token where Slack needs it."""

    def __init__(self, bot: AsyncWebClient, user: AsyncWebClient | None, bot_user_id: str) -> None:
        self._bot = bot
        self._user = user
        self._bot_user_id = bot_user_id
        self._dm_channels: dict[str, str] = {}  # user id -> their DM channel with the bot

    async def deliver(self, action: Action) -> Delivery:
        match action:
            case Remind():
                return await self._remind(action)
            case Alert():
                blocks = message_blocks(action.text, action.buttons, urgent=action.urgent)
                sent = await self._direct(action.recipient.user_id, action.text, action.key, blocks)
                return Delivery(path="dm", message=sent)
            case SettleAlert():
                return await self._settle(action)
            case Welcome():
                return await self._welcome(action)
            case Notice():
                post = self._bot.chat_postMessage(
                    channel=action.chat.chat_id,
                    text=escape(action.text),
                    metadata=metadata(action.key),
                )
                await call_api("post in the channel", post)
                return Delivery(path="channel")
            case CloseChat():
                return await self._close(action)
            case ReopenChat():
                return await self._reopen(action)
            case Delete():
                return await self._delete(action)
            case Digest():
                return await self._digest(action)

    async def redeliver(self, action: Action, since: datetime) -> Delivery:
        """Deliver an action whose attempt begun at `since` went unanswered, unless its message
        is already in the conversation."""
        after = since - CLOCK_MARGIN
        note = "found in the conversation after an unanswered attempt"
        match action:
            case Remind(user=user) | Welcome(user=user) | Alert(recipient=user):
                dm = await self._open_dm(user.user_id, "send a direct message")
                ts = await self._posted(dm, action.key, after)
                if ts is not None:
                    return Delivery(path="dm", note=note, message=f"{dm}/{ts}")
            case Notice():
                if await self._posted(action.chat.chat_id, action.key, after) is not None:
                    return Delivery(path="channel", note=note)
        return await self.deliver(action)

    async def _posted(self, channel: str, key: str, after: datetime) -> str | None:
        """The ts of the bot's message for `key` in the conversation since `after`, if there.
        A workspace that never granted the scope to read it cannot tell: then None, and it is
        sent."""
        cursor: str | None = None
        while True:
            read = self._bot.conversations_history(
                channel=channel,
                oldest=f"{after.timestamp():.6f}",
                include_all_metadata=True,
                limit=HISTORY_PAGE,
                cursor=cursor,
            )
            try:
                page = await call_api("read the conversation's history", read)
            except PermanentFailure as failure:
                log.warning("cannot check whether a message already went out: %s", failure.reason)
                return None
            assert page is not None
            for message in page.get("messages") or []:
                if _is_action(message, key):
                    return str(message.get("ts"))
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not page.get("has_more") or not cursor:
                return None

    async def _digest(self, action: Digest) -> Delivery:
        """The weekly digest: the report uploaded into the direct message, the text with it
        (files.getUploadURLExternal, the upload, files.completeUploadExternal)."""
        dm = await self._open_dm(action.recipient.user_id, "send the weekly digest")
        upload = self._bot.files_upload_v2(
            channel=dm,
            content=action.file.encode(),
            filename=action.file_name,
            title=action.file_name,
            initial_comment=escape(action.text),
        )
        await call_api("send the weekly digest", upload)
        return Delivery(path="dm+file")

    async def _open_dm(self, user: str, what: str) -> str:
        """The direct message channel with a user: opened once, then remembered (Slack keeps
        the same one), which halves the calls of every later message."""
        channel = self._dm_channels.get(user)
        if channel is None:
            opened = await call_api(what, self._bot.conversations_open(users=user))
            assert opened is not None
            channel = self._dm_channels[user] = str(opened["channel"]["id"])
        return channel

    async def _direct(
        self, user: str, text: str, key: str, blocks: list[Block] | None = None
    ) -> str:
        """Post a direct message; where it went, as "<channel>/<ts>"."""
        what = "send a direct message"
        channel = await self._open_dm(user, what)
        post = self._bot.chat_postMessage(
            channel=channel, text=escape(text), blocks=blocks, metadata=metadata(key)
        )
        sent = await call_api(what, post)
        assert sent is not None
        return f"{channel}/{sent.get('ts')}"

    async def _settle(self, action: SettleAlert) -> Delivery:
        """Rewrite the alert with the decision and without its buttons (chat.update)."""
        channel, _, ts = (action.message or "").partition("/")
        if not channel or not ts:
            raise PermanentFailure(f"{action.message!r} is not a Slack message")
        update = self._bot.chat_update(
            channel=channel, ts=ts, text=escape(action.text), blocks=message_blocks(action.text)
        )
        done = await call_api("update the alert", update, tolerate=("message_not_found",))
        return Delivery(path="edited" if done is not None else "gone")

    async def _ephemeral(
        self, channel: str, user: str, text: str, blocks: list[Block] | None = None
    ) -> None:
        post = self._bot.chat_postEphemeral(
            channel=channel, user=user, text=escape(text), blocks=blocks
        )
        await call_api("show a private message in the channel", post)

    async def _remind(self, action: Remind) -> Delivery:
        # The DM keeps the full reminder; the ephemeral, seen where they wrote, points to it.
        try:
            await self._direct(action.user.user_id, action.text, action.key)
        except PermanentFailure as failure:
            log.info("reminder DM not possible, showing it in the channel: %s", failure.reason)
            await self._ephemeral(action.chat.chat_id, action.user.user_id, action.text)
            return Delivery(path="ephemeral", note=failure.reason)
        try:
            await self._ephemeral(action.chat.chat_id, action.user.user_id, DM_POINTER)
        except Exception as error:  # the DM went out: never send it twice
            log.warning("reminder sent by DM; the in-channel pointer failed: %s", error)
            return Delivery(path="dm", note=f"in-channel pointer not shown: {error}")
        return Delivery(path="ephemeral+dm")

    async def _welcome(self, action: Welcome) -> Delivery:
        blocks = message_blocks(action.text, action.buttons)
        try:
            await self._direct(action.user.user_id, action.text, action.key, blocks)
        except PermanentFailure as failure:
            await self._ephemeral(action.chat.chat_id, action.user.user_id, action.text, blocks)
            return Delivery(path="ephemeral", note=failure.reason)
        return Delivery(path="dm")

    async def _close(self, action: CloseChat) -> Delivery:
        archived = await call_api(
            "archive the channel",
            self._bot.conversations_archive(channel=action.chat.chat_id),
            tolerate={"already_archived"},
            refusals={"restricted_action": _ARCHIVE_REFUSED},
        )
        return Delivery(path="archived" if archived else "already_archived")

    async def _reopen(self, action: ReopenChat) -> Delivery:
        if self._user is None:
            raise PermanentFailure(_REOPEN_BY_HAND.format(channel=_channel_name(action)))
        channel = action.chat.chat_id
        await call_api(
            "unarchive the channel",
            self._user.conversations_unarchive(channel=channel),
            tolerate={"not_archived"},
        )
        # Unarchiving brings back only the admin whose token was used; bring the bot back too.
        invite = self._user.conversations_invite(channel=channel, users=self._bot_user_id)
        try:
            await call_api("add the bot back", invite, tolerate={"already_in_channel"})
        except PermanentFailure as failure:
            return Delivery(path="unarchived", note=failure.reason)
        return Delivery(path="unarchived")

    async def _delete(self, action: Delete) -> Delivery:
        if self._user is None:
            raise PermanentFailure(_DELETE_NOT_ALLOWED)
        deleted = await call_api(
            "delete the message",
            self._user.chat_delete(channel=action.chat.chat_id, ts=action.message_id),
            tolerate={"message_not_found"},
        )
        return Delivery(path="deleted" if deleted else "already_gone")


def _channel_name(action: ReopenChat) -> str:
    title = action.chat.title.lstrip("#")
    return f"#{title}" if title else f"the channel {action.chat.chat_id}"
