"""Closing and reopening a chat.

A channel is closed by denying @everyone `send_messages` and `send_messages_in_threads` in its
permission overwrite. The overwrite as it was is returned as the saved state, and reopening
puts back exactly that (or removes the overwrite if there was none): setting the permissions
to "allowed" instead would undo whatever the school's admins had set. A thread is locked and
archived instead, and reopening restores its previous lock and archive flags.

Saved state (JSON): `{"overwrite": {"allow": "<int>", "deny": "<int>"}}`, `{"overwrite": null}`
or `{"thread": {"locked": false, "archived": false}}`.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import discord

from adapters.discord.errors import delivery_errors
from adapters.discord.permissions import capabilities
from bot.model import ChatRef, Delivery, PermanentFailure
from bot.platform import Capability

log = logging.getLogger(__name__)

_AUDIT_REASON_MAX = 512


async def close_chat(client: discord.Client, chat: ChatRef, reason: str) -> Delivery:
    channel = await _fresh(client, chat, "closing the chat")
    audit = _audit(f"schoolgate: chat closed. {reason}")
    if isinstance(channel, discord.Thread):
        if channel.locked and channel.archived:
            return _already_closed()
        saved = {"thread": {"locked": channel.locked, "archived": channel.archived}}
        with delivery_errors("locking the thread"):
            await channel.edit(locked=True, archived=True, reason=audit)
        return Delivery(path="archived", state=json.dumps(saved))
    everyone = channel.guild.default_role
    before = _everyone_overwrite(channel)
    if before is not None and _denies_sending(before):
        return _already_closed()
    closed = discord.PermissionOverwrite.from_pair(
        *(before or discord.PermissionOverwrite()).pair()
    )
    closed.update(send_messages=False, send_messages_in_threads=False)
    with delivery_errors("closing the chat"):
        await channel.set_permissions(everyone, overwrite=closed, reason=audit)
    return Delivery(path="overwrite", state=json.dumps({"overwrite": _encode(before)}))


def _denies_sending(overwrite: discord.PermissionOverwrite) -> bool:
    return overwrite.send_messages is False and overwrite.send_messages_in_threads is False


def _already_closed() -> Delivery:
    """Members could already not post: closed by a person, or by an earlier attempt whose
    answer was lost. Saving this as the state to restore would leave the chat closed for good;
    with nothing saved, reopening lifts only what closing sets."""
    return Delivery(path="already_closed", note="members could already not post")


async def reopen_chat(client: discord.Client, chat: ChatRef, saved_state: str | None) -> Delivery:
    channel = await _fresh(client, chat, "reopening the chat")
    saved = _decode(saved_state)
    audit = _audit("schoolgate: chat reopened")
    if isinstance(channel, discord.Thread):
        flags = saved.get("thread") or {"locked": False, "archived": False}
        with delivery_errors("unlocking the thread"):
            await channel.edit(
                archived=bool(flags.get("archived")), locked=bool(flags.get("locked")), reason=audit
            )
        return Delivery(path="unarchived")
    everyone = channel.guild.default_role
    if "overwrite" in saved:
        target = _overwrite(saved["overwrite"])
    else:
        # Nothing saved (closed by hand, or state lost): lift only what closing sets.
        log.warning("no saved permissions for chat %s; clearing only the send denial", chat.chat_id)
        target = _everyone_overwrite(channel)
        if target is not None:
            target.update(send_messages=None, send_messages_in_threads=None)
            target = None if target.is_empty() else target
    with delivery_errors("reopening the chat"):
        if target is not None:
            await channel.set_permissions(everyone, overwrite=target, reason=audit)
        elif _everyone_overwrite(channel) is not None:
            await channel.set_permissions(everyone, overwrite=None, reason=audit)
    return Delivery(path="overwrite")


async def _fresh(
    client: discord.Client, chat: ChatRef, doing: str
) -> discord.TextChannel | discord.ForumChannel | discord.VoiceChannel | discord.Thread:
    """The channel as Discord has it now: overwrites read from the cache could be stale."""
    with delivery_errors(doing):
        channel = await client.fetch_channel(int(chat.chat_id))
    if not isinstance(
        channel, discord.TextChannel | discord.ForumChannel | discord.VoiceChannel | discord.Thread
    ):
        raise PermanentFailure(f"{doing}: channel {chat.chat_id} is not a server text channel")
    thread = isinstance(channel, discord.Thread)
    if Capability.LOCK_CHAT not in capabilities(
        channel.permissions_for(channel.guild.me), thread=thread
    ):
        needed = "Manage Threads" if thread else "Manage Permissions (Manage Roles)"
        raise PermanentFailure(f"{doing}: the bot lacks the {needed} permission in #{channel.name}")
    return channel


def _everyone_overwrite(
    channel: discord.TextChannel | discord.ForumChannel | discord.VoiceChannel,
) -> discord.PermissionOverwrite | None:
    everyone = channel.guild.default_role
    if not any(target.id == everyone.id for target in channel.overwrites):
        return None
    return channel.overwrites_for(everyone)


def _encode(overwrite: discord.PermissionOverwrite | None) -> dict[str, str] | None:
    if overwrite is None:
        return None
    allow, deny = overwrite.pair()
    return {"allow": str(allow.value), "deny": str(deny.value)}


def _overwrite(data: Any) -> discord.PermissionOverwrite | None:
    if not isinstance(data, dict):
        return None
    allow = discord.Permissions(int(data.get("allow", 0)))
    deny = discord.Permissions(int(data.get("deny", 0)))
    return discord.PermissionOverwrite.from_pair(allow, deny)


def _decode(saved_state: str | None) -> dict[str, Any]:
    if not saved_state:
        return {}
    try:
        saved = json.loads(saved_state)
    except ValueError:
        log.warning("ignoring unreadable saved chat state")
        return {}
    return saved if isinstance(saved, dict) else {}


def _audit(text: str) -> str:
    return text[:_AUDIT_REASON_MAX]
