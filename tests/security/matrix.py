"""Who may do what: the one table the authorisation tests derive every expected outcome from.

An action is either a command typed in a school's chat or a press of a button on an SLT alert
about an incident in that chat. Every caller kind not allowed an action is refused, and the
refusal is written to the audit log. The table is written out here, by hand, rather than read
from bot/roles.py, so that a change to the product's table has to be made twice to pass.
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
    closed_by: str | None = None  # the chat is closed by this caller kind before the try
    effect: str | None = None  # what the platform shows when it succeeds: close/reopen/delete
    decides: str | None = None  # the incident's status once a button succeeds
    about_incident: bool = False  # the command names an incident flagged before the try


PRIVILEGED = (
    Privileged("close_command", "close", command=CommandName.CLOSE, effect="close"),
    Privileged(
        "close_button", "button:close", button=ButtonAction.CLOSE, effect="close", decides="closed"
    ),
    Privileged(
        "reopen_slt_closed",
        "reopen",
        command=CommandName.REOPEN,
        closed_by="slt_this",
        effect="reopen",
    ),
    Privileged(
        "reopen_admin_closed",
        "reopen",
        command=CommandName.REOPEN,
        closed_by="admin_this",
        effect="reopen",
    ),
    # Dismissing changes only the record: no platform call either way.
    Privileged(
        "dismiss_button", "button:dismiss", button=ButtonAction.DISMISS, decides="dismissed"
    ),
    Privileged(
        "delete_button",
        "button:delete",
        button=ButtonAction.DELETE,
        effect="delete",
        decides="deleted",
    ),
    # Typed in this school's chat; for the other school's SLT that is another school's chat.
    Privileged("status_command", "status", command=CommandName.STATUS),
    Privileged("rules_command", "rules", command=CommandName.RULES),
    Privileged("privacy_command", "privacy", command=CommandName.PRIVACY),
    Privileged("help_command", "help", command=CommandName.HELP),
    # SLT's view of incidents, with parents' names and words.
    Privileged("incidents_command", "incidents", command=CommandName.INCIDENTS),
    Privileged("incident_command", "incident", command=CommandName.INCIDENT, about_incident=True),
)

CALLERS = (
    "slt_this",  # an SLT contact of the school that owns the chat
    "slt_other",  # an SLT contact of another school, who is also a member here
    "dsl_this",  # this school's designated safeguarding lead
    "admin_this",  # an admin of this school, listed by id
    "role_admin",  # holds a Discord role listed in discord.admin_roles, in this school's server
    "parent",  # a member of the chat
    "anonymous",  # a Telegram admin posting as the group (user 1087968824 with sender_chat)
    "unknown",  # an id the config and the chat have never heard of
)

_ALL = frozenset(p.name for p in PRIVILEGED)
_PUBLIC = frozenset({"rules_command", "privacy_command", "help_command"})
# An emergency close, the chat's state, and reopening what an admin closed; never a decision
# on an incident, never reopening what SLT closed.
_EMERGENCY = _PUBLIC | {"close_command", "reopen_admin_closed", "status_command"}

# The table. Anyone not listed for an action is refused; everyone may use the public commands.
MAY: dict[str, frozenset[str]] = {
    "slt_this": _ALL,
    "dsl_this": _EMERGENCY,
    "admin_this": _EMERGENCY,
    # A member's roles are known only inside the server, where commands are typed.
    "role_admin": _EMERGENCY,
}

# Who sees the incidents in /status; the others allowed it see only the chat's state.
SEES_INCIDENTS = frozenset({"slt_this"})

# Caller kinds that exist on one platform only; elsewhere the combination does not apply.
ONLY_ON = {"anonymous": "telegram", "role_admin": "discord"}

PLATFORMS = ("telegram", "discord", "slack", "local")


def may(caller: str, action: Privileged) -> bool:
    return action.name in MAY.get(caller, _PUBLIC)


def applies(platform: str, caller: str) -> bool:
    return ONLY_ON.get(caller, platform) == platform
