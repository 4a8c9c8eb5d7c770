"""The permissions the bot needs in a moderated channel, and what it can do without them.

Discord's own permission hints are only hints: what counts is what the bot's roles and the
channel's overwrites add up to, which discord.py computes from its cache.
"""

from __future__ import annotations

import discord

from bot.platform import Capability

# permission attribute -> (name in Discord's UI, what the bot cannot do without it)
NEEDED: dict[str, tuple[str, str]] = {
    "view_channel": ("View Channel", "it cannot see the chat at all"),
    "read_message_history": ("Read Message History", "it cannot catch up after downtime"),
    "send_messages": ("Send Messages", "it cannot post nudges or notices"),
    "send_messages_in_threads": ("Send Messages in Threads", "it cannot post in threads"),
    "manage_messages": ("Manage Messages", "it cannot delete messages"),
    "manage_roles": ("Manage Roles / Manage Permissions", "it cannot close or reopen the chat"),
    "manage_threads": ("Manage Threads", "it cannot close or reopen threads"),
}

# Everything in NEEDED: the permissions of the invite link in docs/discord.md.
INVITE_PERMISSIONS = discord.Permissions(**dict.fromkeys(NEEDED, True))

ALWAYS = frozenset({Capability.DIRECT_MESSAGE, Capability.BUTTONS})
AT_BEST = ALWAYS | {Capability.DELETE_OTHERS, Capability.LOCK_CHAT, Capability.REOPEN_CHAT}


def missing(perms: discord.Permissions) -> list[str]:
    """What is missing, as sentences for the admin: "Manage Messages: it cannot delete..."."""
    return [f"{name} ({why})" for attr, (name, why) in NEEDED.items() if not getattr(perms, attr)]


def capabilities(perms: discord.Permissions, *, thread: bool) -> frozenset[Capability]:
    found = set(ALWAYS)
    if perms.view_channel and perms.manage_messages:
        found.add(Capability.DELETE_OTHERS)
    if perms.view_channel and (perms.manage_threads if thread else perms.manage_roles):
        found |= {Capability.LOCK_CHAT, Capability.REOPEN_CHAT}
    return frozenset(found)
