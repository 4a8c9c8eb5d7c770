"""Who may do what: the roles a caller holds in a school, and the one table of what each role
may do. Commands and alert buttons on every platform ask `roles_of` and `may`, nothing else.

- SLT (`slt:`): everything, for every incident of their school.
- The designated safeguarding lead and deputies (`dsl:`, `dsl_deputies:`): a role that
  safeguarding concerns will be routed to. Until then they may do what a chat admin may (an
  emergency close, the chat's state), so that they can stop harm in a chat at once; they see
  incidents only if they are also listed under `slt:`.
- Chat admins (`admins:`, and Discord `admin_roles` in the school's own server): an emergency
  `/close`, and `/status` showing the chat's state and who closed it, never incidents. They
  may reopen a chat that an admin or the safeguarding lead closed, but not one SLT closed:
  SLT's decision stands until SLT change it.
- Fallback contacts (`fallback:`, e.g. the chair of governors): alerted when a message names
  every SLT contact, and may then decide that incident from the alert's buttons; nothing else.
- Members: `/rules`, `/privacy`, `/help`.

A person listed under several headings holds every role listed.
"""

from __future__ import annotations

from enum import StrEnum

from bot.config import Config, Contact, School
from bot.model import ChatRef, UserRef


class Role(StrEnum):
    SLT = "slt"
    DSL = "dsl"
    ADMIN = "admin"
    FALLBACK = "fallback"
    MEMBER = "member"


class Act(StrEnum):
    RULES = "rules"
    PRIVACY = "privacy"
    HELP = "help"
    CLOSE = "close"  # /close typed in the chat
    REOPEN = "reopen"  # reopen a chat closed by an admin or the safeguarding lead
    REOPEN_SLT_CLOSED = "reopen_slt_closed"  # reopen a chat SLT closed
    CHAT_STATUS = "chat_status"  # /status: open or closed, since when, by whom
    # Incidents, with names and categories: in /status, and /incidents and /incident.
    INCIDENTS = "incidents"
    DECIDE = "decide"  # an alert's buttons: not a breach, delete, close, on any incident
    DECIDE_ALERTED = "decide_alerted"  # the same, on an incident the caller was alerted about


_PUBLIC = frozenset({Act.RULES, Act.PRIVACY, Act.HELP})
_EMERGENCY = _PUBLIC | {Act.CLOSE, Act.REOPEN, Act.CHAT_STATUS}

# The table.
MAY: dict[Role, frozenset[Act]] = {
    Role.SLT: frozenset(Act),
    Role.DSL: _EMERGENCY,
    Role.ADMIN: _EMERGENCY,
    Role.FALLBACK: _PUBLIC | {Act.DECIDE_ALERTED},
    Role.MEMBER: _PUBLIC,
}

# Strongest first: how a closed chat records who closed it.
RANK = (Role.SLT, Role.DSL, Role.ADMIN, Role.FALLBACK, Role.MEMBER)


def _listed(contacts: tuple[Contact, ...], caller: UserRef) -> bool:
    return any(c.id_on(caller.platform) == caller.user_id for c in contacts)


def roles_of(
    config: Config, school: School, caller: UserRef, where: ChatRef | None = None
) -> frozenset[Role]:
    """The roles `caller` holds in `school`. An anonymous caller (a Telegram admin posting as
    the group) cannot be identified and is only a member. A Discord admin role counts only
    when seen in one of the school's own chats: a role is a server's, and `admin_roles` lists
    every school's, so a role seen in another school's server (or nowhere) counts for nothing."""
    roles = {Role.MEMBER}
    if caller.anonymous:
        return frozenset(roles)
    for role, contacts in (
        (Role.SLT, school.slt),
        (Role.DSL, (*school.dsl, *school.dsl_deputies)),
        (Role.ADMIN, school.admins),
        (Role.FALLBACK, school.fallback),
    ):
        if _listed(contacts, caller):
            roles.add(role)
    if caller.platform == "discord" and config.discord is not None and where is not None:
        here = config.school_for_chat(where.platform, where.chat_id)
        in_own_server = here is not None and here.id == school.id
        if in_own_server and set(caller.roles) & set(config.discord.admin_roles):
            roles.add(Role.ADMIN)
    return frozenset(roles)


def may(roles: frozenset[Role], act: Act) -> bool:
    return any(act in MAY[role] for role in roles)


def strongest(roles: frozenset[Role]) -> Role:
    return next(role for role in RANK if role in roles)


def reopen_act(closed_by: str | None) -> Act:
    """What reopening a chat takes, given the role of whoever closed it. A chat closed before
    roles were recorded counts as closed by SLT."""
    return Act.REOPEN if closed_by in (Role.ADMIN, Role.DSL) else Act.REOPEN_SLT_CLOSED
