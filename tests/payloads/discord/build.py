"""Discord API objects for the loopback fake and the tests.

Each builder returns one of discord.py's own payload types (`discord/types/*.py`), so a payload
the pinned library would not accept fails type checking. Interactions are plain dicts: the
library's `Interaction` type leaves out `member`, `user` and `message`, which Discord sends.
"""

from __future__ import annotations

import itertools
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    # Payload types only: discord.types cannot be imported on its own (circular imports).
    from discord.types.appinfo import AppInfo
    from discord.types.channel import DMChannel, PermissionOverwrite, TextChannel, ThreadChannel
    from discord.types.gateway import ReadyEvent
    from discord.types.guild import Guild
    from discord.types.member import Member, MemberWithUser
    from discord.types.message import Attachment, Message
    from discord.types.role import Role
    from discord.types.user import User


JSONDict = dict[str, Any]

DISCORD_EPOCH_MS = 1_420_070_400_000

# Message Content (limited) and Server Members (limited): the portal switches of issue 5.
APP_FLAG_MEMBERS = 1 << 15
APP_FLAG_MESSAGE_CONTENT = 1 << 19


class Snowflakes:
    """Increasing ids stamped with the current time, as Discord's are.

    discord.py derives `created_at` from an id, and history is paged by id, so ids must grow
    with time.
    """

    def __init__(self) -> None:
        self._last = 0
        self._counter = itertools.count()

    def __call__(self) -> int:
        stamp = (int(time.time() * 1000) - DISCORD_EPOCH_MS) << 22
        self._last = max(self._last + 1, stamp + (next(self._counter) & 0xFFF))
        return self._last


def snowflake_time(snowflake: int) -> datetime:
    return datetime.fromtimestamp(((snowflake >> 22) + DISCORD_EPOCH_MS) / 1000, tz=UTC)


def iso(moment: datetime) -> str:
    return moment.isoformat()


def user(user_id: int, username: str, *, bot: bool = False) -> User:
    return {
        "id": str(user_id),
        "username": username,
        "discriminator": "0",
        "avatar": None,
        "global_name": username.title() if not bot else None,
        "bot": bot,
    }


def role(role_id: int, name: str, permissions: int, position: int) -> Role:
    return {
        "id": str(role_id),
        "name": name,
        "color": 0,
        "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
        "hoist": False,
        "position": position,
        "permissions": str(permissions),
        "managed": False,
        "mentionable": False,
        "flags": 0,
    }


def member(who: User, roles: list[int], joined_at: datetime) -> MemberWithUser:
    return {
        "user": who,
        "roles": [str(r) for r in roles],
        "joined_at": iso(joined_at),
        "deaf": False,
        "mute": False,
        "flags": 0,  # discord.py requires it (PLATFORMS.md)
    }


def message_member(whole: MemberWithUser) -> Member:
    """The member part of MESSAGE_CREATE: a member without its user."""
    return {
        "roles": whole["roles"],
        "joined_at": whole["joined_at"],
        "deaf": False,
        "mute": False,
        "flags": 0,
    }


def overwrite(
    target_id: int, allow: int, deny: int, *, member: bool = False
) -> PermissionOverwrite:
    return {
        "id": str(target_id),
        "type": 1 if member else 0,
        "allow": str(allow),
        "deny": str(deny),
    }


def text_channel(
    channel_id: int, guild_id: int, name: str, overwrites: list[PermissionOverwrite]
) -> TextChannel:
    return {
        "id": str(channel_id),
        "type": 0,
        "guild_id": str(guild_id),
        "name": name,
        "position": 0,
        "permission_overwrites": overwrites,
        "nsfw": False,
        "parent_id": None,
        "last_message_id": None,
        "rate_limit_per_user": 0,
    }


def thread_channel(
    thread_id: int,
    guild_id: int,
    parent_id: int,
    name: str,
    owner_id: int,
    *,
    archived: bool = False,
    locked: bool = False,
) -> ThreadChannel:
    return {
        "id": str(thread_id),
        "type": 11,  # a public thread
        "guild_id": str(guild_id),
        "parent_id": str(parent_id),
        "owner_id": str(owner_id),
        "name": name,
        "nsfw": False,
        "last_message_id": None,
        "rate_limit_per_user": 0,
        "message_count": 0,
        "member_count": 1,
        "total_message_sent": 0,
        "thread_metadata": {
            "archived": archived,
            "locked": locked,
            "auto_archive_duration": 10080,
            "archive_timestamp": iso(datetime.now(UTC)),
        },
    }


def dm_channel(channel_id: int, recipient: User) -> DMChannel:
    return {
        "id": str(channel_id),
        "type": 1,
        "name": "",
        "last_message_id": None,
        "recipients": [recipient],
    }


def guild(
    guild_id: int,
    name: str,
    owner_id: int,
    *,
    roles: list[Role],
    members: list[MemberWithUser],
    channels: list[TextChannel],
    threads: list[ThreadChannel],
) -> Guild:
    payload: Guild = {
        "id": str(guild_id),
        "name": name,
        "icon": None,
        "splash": None,
        "discovery_splash": None,
        "emojis": [],
        "stickers": [],
        "features": [],
        "description": None,
        "incidents_data": None,
        "owner_id": str(owner_id),
        "region": "",
        "afk_channel_id": None,
        "afk_timeout": 300,
        "verification_level": 1,
        "default_message_notifications": 1,
        "explicit_content_filter": 2,
        "roles": roles,
        "mfa_level": 0,
        "nsfw_level": 0,
        "application_id": None,
        "system_channel_id": None,
        "system_channel_flags": 0,
        "rules_channel_id": None,
        "vanity_url_code": None,
        "banner": None,
        "premium_tier": 0,
        "preferred_locale": "en-GB",
        "public_updates_channel_id": None,
        "stage_instances": [],
        "guild_scheduled_events": [],
        "large": False,
        "member_count": len(members),
        "members": [],
        "channels": list(channels),
        "threads": [],
        "unavailable": False,
    }
    payload["members"] = [{**message_member(m), "user": m["user"]} for m in members]
    # A thread payload is a channel payload; discord.py's Thread type is a narrower cousin.
    payload["threads"] = [dict(t) for t in threads]  # type: ignore[misc]
    return payload


def attachment(attachment_id: int, filename: str, content_type: str) -> Attachment:
    url = f"https://cdn.example.invalid/attachments/{attachment_id}/{filename}"
    return {
        "id": str(attachment_id),
        "filename": filename,
        "size": 1024,
        "url": url,
        "proxy_url": url,
        "content_type": content_type,
    }


def message(
    message_id: int,
    channel_id: int,
    author: User,
    content: str,
    *,
    guild_id: int | None = None,
    author_member: MemberWithUser | None = None,
    edited_at: datetime | None = None,
    components: list[Any] | None = None,
    attachments: list[Attachment] | None = None,
    message_type: int = 0,
) -> Message:
    payload: Message = {
        "id": str(message_id),
        "channel_id": str(channel_id),
        "author": author,
        "content": content,
        "timestamp": iso(snowflake_time(message_id)),
        "edited_timestamp": iso(edited_at) if edited_at else None,
        "tts": False,
        "mention_everyone": False,
        "mentions": [],
        "mention_roles": [],
        "attachments": attachments or [],
        "embeds": [],
        "pinned": False,
        "type": 0,
        "flags": 0,
        "components": components or [],
    }
    payload["type"] = message_type  # type: ignore[typeddict-item]
    if guild_id is not None:
        payload["guild_id"] = str(guild_id)
    if author_member is not None:
        payload["member"] = message_member(author_member)
    return payload


def app_info(app_id: int, name: str, owner: User, flags: int) -> AppInfo:
    return {
        "id": str(app_id),
        "name": name,
        "verify_key": "0" * 64,
        "icon": None,
        "summary": "",
        "description": "",
        "flags": flags,
        "owner": owner,
        "bot_public": False,
        "bot_require_code_grant": False,
    }


def ready(
    me: User, guild_ids: list[int], session_id: str, resume_url: str, app_id: int, flags: int
) -> ReadyEvent:
    return {
        "v": 10,
        "user": me,
        "guilds": [{"id": str(g), "unavailable": True} for g in guild_ids],
        "session_id": session_id,
        "resume_gateway_url": resume_url,
        "shard": [0, 1],
        "application": {"id": str(app_id), "flags": flags},
    }


def _interaction(
    kind: int,
    interaction_id: int,
    app_id: int,
    channel: JSONDict,
    *,
    guild_id: int | None,
    caller: User,
    caller_member: MemberWithUser | None,
) -> JSONDict:
    payload: JSONDict = {
        "id": str(interaction_id),
        "application_id": str(app_id),
        "type": kind,
        "token": f"interaction-token-{interaction_id}",
        "version": 1,
        "channel": channel,
        "channel_id": channel["id"],
        "locale": "en-GB",
        "app_permissions": "0",
        "authorizing_integration_owners": {"0": str(guild_id or app_id)},
        "attachment_size_limit": 10 * 1024 * 1024,  # discord.py requires it (PLATFORMS.md)
        "entitlements": [],
    }
    if guild_id is not None and caller_member is not None:
        payload["guild_id"] = str(guild_id)
        payload["guild"] = {"id": str(guild_id), "locale": "en-GB", "features": []}
        payload["member"] = {**caller_member, "permissions": "0"}
        payload["context"] = 0
    else:
        payload["user"] = caller
        payload["context"] = 1
    return payload


def button_press(
    interaction_id: int,
    app_id: int,
    pressed_on: Message,
    custom_id: str,
    channel: JSONDict,
    *,
    caller: User,
    caller_member: MemberWithUser | None = None,
    guild_id: int | None = None,
) -> JSONDict:
    """INTERACTION_CREATE for a button (type 3) on a message the bot sent."""
    payload = _interaction(
        3,
        interaction_id,
        app_id,
        channel,
        guild_id=guild_id,
        caller=caller,
        caller_member=caller_member,
    )
    payload["message"] = pressed_on
    payload["data"] = {"custom_id": custom_id, "component_type": 2}
    return payload


def slash_command(
    interaction_id: int,
    app_id: int,
    command_id: int,
    name: str,
    options: dict[str, str],
    channel: JSONDict,
    *,
    guild_id: int,
    caller: User,
    caller_member: MemberWithUser,
) -> JSONDict:
    """INTERACTION_CREATE for a chat-input command (type 2) typed in a guild channel."""
    payload = _interaction(
        2,
        interaction_id,
        app_id,
        channel,
        guild_id=guild_id,
        caller=caller,
        caller_member=caller_member,
    )
    payload["data"] = {
        "id": str(command_id),
        "name": name,
        "type": 1,
        "guild_id": str(guild_id),
        "options": [{"name": k, "type": 3, "value": v} for k, v in options.items()],
    }
    return payload


def api_error(code: int, text: str) -> JSONDict:
    return {"message": text, "code": code}


def rate_limited(retry_after: float) -> JSONDict:
    return {"message": "You are being rate limited.", "retry_after": retry_after, "global": False}
