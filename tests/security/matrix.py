"""Who may do what: the one table the authorisation tests derive every expected outcome from.

A privileged action is either a command typed in a school's chat or a press of a button on an
SLT alert about an incident in that chat. Every caller kind not allowed an action is refused,
and the refusal is written to the audit log.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.model import ButtonAction, CommandName


@dataclass(frozen=True)
class Privileged:
    name: str  # as it appears in test ids
    audit: str  # the action as the audit log names it
    command: CommandName | None = None
    button: ButtonAction | None = None
    needs_closed: bool = False  # the chat is closed before the caller tries
    effect: str | None = None  # what the platform shows when it succeeds: close/reopen/delete


PRIVILEGED = (
    Privileged("close_command", "close", command=CommandName.CLOSE, effect="close"),
    Privileged("close_button", "button:close", button=ButtonAction.CLOSE, effect="close"),
    Privileged(
        "reopen_command", "reopen", command=CommandName.REOPEN, needs_closed=True, effect="reopen"
    ),
    # Dismissing changes only the record: no platform call either way.
    Privileged("dismiss_button", "button:dismiss", button=ButtonAction.DISMISS),
    Privileged("delete_button", "button:delete", button=ButtonAction.DELETE, effect="delete"),
    # Typed in this school's chat; for the other school's SLT that is another school's chat.
    Privileged("status_command", "status", command=CommandName.STATUS),
)

CALLERS = (
    "slt_this",  # an SLT contact of the school that owns the chat
    "slt_other",  # an SLT contact of another school, who is also a member here
    "admin_this",  # an admin of this school, listed by id
    "role_admin",  # holds a Discord role listed in discord.admin_roles, in this school's server
    "parent",  # a member of the chat
    "anonymous",  # a Telegram admin posting as the group (user 1087968824 with sender_chat)
    "unknown",  # an id the config and the chat have never heard of
)

_ALL = frozenset(p.name for p in PRIVILEGED)
_COMMANDS = frozenset(p.name for p in PRIVILEGED if p.command is not None)

# The table. Anyone not listed for an action is refused.
MAY: dict[str, frozenset[str]] = {
    "slt_this": _ALL,
    "admin_this": _ALL,
    # A member's roles are known only inside the server: on commands typed in the school's
    # chat, not on alert buttons pressed in a direct message.
    "role_admin": _COMMANDS,
}

# Caller kinds that exist on one platform only; elsewhere the combination does not apply.
ONLY_ON = {"anonymous": "telegram", "role_admin": "discord"}

PLATFORMS = ("telegram", "discord", "slack", "local")


def may(caller: str, action: Privileged) -> bool:
    return action.name in MAY.get(caller, frozenset())


def applies(platform: str, caller: str) -> bool:
    return ONLY_ON.get(caller, platform) == platform
