"""Slash commands and alert buttons: checking the caller may (bot/roles.py), and doing it.

Every refusal is polite and written to the audit log. An incident is decided once, from any of
its alerts (not a breach, delete, close the chat): later presses are refused saying who decided
what and when, and every alert about it has its buttons replaced by that line.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import datetime, timedelta

from bot import review, texts
from bot.clock import Clock
from bot.config import Config, School
from bot.model import (
    Alert,
    ButtonAction,
    ButtonPress,
    ChatRef,
    CloseChat,
    Command,
    CommandName,
    Delete,
    Notice,
    Remind,
    ReopenChat,
    Reply,
    SettleAlert,
    UserRef,
    Welcome,
)
from bot.moderator import new_key
from bot.platform import Capability
from bot.roles import Act, Role, may, reopen_act, roles_of, strongest
from bot.store import IncidentRow, Session, Store

log = logging.getLogger(__name__)

_COMMAND = re.compile(r"^/([A-Za-z]+)(?:@\S+)?(?:\s+(.*))?$", re.DOTALL)


def parse_command(text: str) -> Command | None:
    """`/close@SchoolBot too many arguments` -> a CLOSE command with those arguments; a
    command that is none of ours becomes HELP with `unknown` set; None for what is not a
    command at all. The chat and caller are left for the adapter to fill in."""
    match = _COMMAND.match(text.strip())
    if not match:
        return None
    args = " ".join((match.group(2) or "").split())
    word = match.group(1).lower()
    try:
        name = CommandName(word)
    except ValueError:
        return Command(CommandName.HELP, _NOWHERE, _NOBODY, args, unknown=word)
    return Command(name, _NOWHERE, _NOBODY, args)


_NOWHERE = ChatRef("", "")
_NOBODY = UserRef("", "")

# Which act each command is, for the table in bot/roles.py; /reopen depends on who closed.
_COMMAND_ACTS = {
    CommandName.CLOSE: Act.CLOSE,
    CommandName.STATUS: Act.CHAT_STATUS,
    CommandName.RULES: Act.RULES,
    CommandName.PRIVACY: Act.PRIVACY,
    CommandName.HELP: Act.HELP,
}
# What /help lists, in order, and the act each takes.
_HELP_ORDER = (
    (CommandName.CLOSE, (Act.CLOSE,)),
    (CommandName.REOPEN, (Act.REOPEN, Act.REOPEN_SLT_CLOSED)),
    (CommandName.STATUS, (Act.CHAT_STATUS,)),
    (CommandName.RULES, (Act.RULES,)),
    (CommandName.PRIVACY, (Act.PRIVACY,)),
    (CommandName.INCIDENTS, (Act.INCIDENTS,)),
    (CommandName.INCIDENT, (Act.INCIDENTS,)),
    (CommandName.HELP, (Act.HELP,)),
)
_DECISIONS = {
    ButtonAction.DISMISS: "dismissed",
    ButtonAction.DELETE: "deleted",
    ButtonAction.CLOSE: "closed",
}


def help_for(roles: frozenset[Role], *, unknown: str = "", prefix: str = "/") -> str:
    """The commands these roles may use (see bot.roles)."""
    names = [n.value for n, acts in _HELP_ORDER if any(may(roles, a) for a in acts)]
    return texts.help_text(names, unknown=unknown, prefix=prefix)


class Commands:
    def __init__(
        self,
        config: Config,
        store: Store,
        clock: Clock,
        wake_outbox: Callable[[], None],
        capabilities: Callable[[ChatRef], frozenset[Capability]] = lambda chat: frozenset(),
    ) -> None:
        self._config = config
        self._store = store
        self._clock = clock
        self._wake_outbox = wake_outbox
        self._capabilities = capabilities  # which buttons an incident's chat allows

    # ---- commands ----

    async def on_command(self, command: Command) -> Reply:
        chat = command.chat
        name = command.name
        if name is CommandName.START:
            return await self._start(command)
        if name in (CommandName.INCIDENTS, CommandName.INCIDENT):
            return await self._review(command)
        school = self._config.school_for_chat(chat.platform, chat.chat_id)
        if school is None:
            # A private chat with the bot: what anyone may ask, about the only school there is.
            only = self._only_school()
            if only is not None and name in (
                CommandName.RULES,
                CommandName.PRIVACY,
                CommandName.HELP,
            ):
                return self._public(command, only, frozenset({Role.MEMBER}))
            return Reply(texts.NOT_A_SCHOOL_CHAT)
        roles = roles_of(self._config, school, command.caller, chat)
        act = _COMMAND_ACTS.get(name)
        if name is CommandName.REOPEN:
            async with self._store.read() as s:
                act = reopen_act((await s.chat_state(chat)).changed_by_role)
        assert act is not None
        if not may(roles, act):
            return await self._refuse(school, command.caller, name.value, chat.chat_id, roles)
        if name is CommandName.CLOSE:
            return await self.close(school, chat, command.caller, command.args, roles)
        if name is CommandName.REOPEN:
            return await self.reopen(school, chat, command.caller, roles, command.args)
        if name is CommandName.STATUS:
            return await self._status(school, chat, roles)
        return self._public(command, school, roles)

    def _only_school(self) -> School | None:
        return self._config.schools[0] if len(self._config.schools) == 1 else None

    def _public(self, command: Command, school: School, roles: frozenset[Role]) -> Reply:
        if command.name is CommandName.RULES:
            return Reply(texts.rules(school.policy))
        if command.name is CommandName.PRIVACY:
            days = self._config.settings_for(school).retention_days
            return Reply(texts.privacy(school.policy, days))
        if command.chat.platform != "slack":
            return Reply(help_for(roles, unknown=command.unknown))
        # Slack has one command; an archived channel takes none, so it can be named instead.
        listed = help_for(roles, unknown=command.unknown, prefix="/schoolgate ")
        return Reply(f"{listed}\n{texts.SLACK_CHANNEL_HINT}")

    async def _refuse(
        self,
        school: School | None,
        caller: UserRef,
        action: str,
        target: str,
        roles: frozenset[Role],
        *,
        detail: str = "",
    ) -> Reply:
        """The polite refusal, after auditing it."""
        reason = detail or ("anonymous" if caller.anonymous else f"role: {strongest(roles)}")
        async with self._store.transaction() as s:
            await s.audit(
                at=self._clock.now(),
                school_id=school.id if school else None,
                actor=caller,
                action=action,
                target=target,
                outcome="refused",
                detail=reason,
            )
        log.info("refused %s by %s:%s on %s", action, caller.platform, caller.user_id, target)
        if caller.anonymous:
            return Reply(texts.ANONYMOUS)
        return Reply(texts.NOT_ALLOWED)

    async def close(
        self,
        school: School,
        chat: ChatRef,
        caller: UserRef,
        reason: str,
        roles: frozenset[Role],
        *,
        incident_key: str | None = None,
    ) -> Reply:
        """Close the chat; from an alert (`incident_key`), that decides the incident too."""
        now = self._clock.now()
        name = school.chat_name(chat)
        async with self._store.transaction() as s:
            state = await s.chat_state(chat)
            if state.closed:
                return Reply(f"\u201c{name}\u201d is already closed. /reopen opens it again.")
            role = strongest(roles).value
            await s.set_chat_status(chat, school.id, "closed", caller, reason, now, role=role)
            token = new_key()
            await s.add_actions(
                [
                    Notice(
                        key=f"{token}-n",
                        chat=chat,
                        text=texts.closing_notice(school.policy, reason),
                    ),
                    CloseChat(key=f"{token}-c", chat=chat, reason=reason),
                ],
                now,
                school_id=school.id,
            )
            await s.audit(
                at=now,
                school_id=school.id,
                actor=caller,
                action="close",
                target=chat.chat_id,
                detail=reason,
            )
            if incident_key is not None:
                await self._decide(s, school, incident_key, "closed", caller)
        self._wake_outbox()
        return Reply(f"Closing \u201c{name}\u201d. Members will see the closing notice.")

    async def reopen(
        self,
        school: School,
        chat: ChatRef,
        caller: UserRef,
        roles: frozenset[Role],
        reason: str = "",
    ) -> Reply:
        """Reopen the chat; the reason, if given, is kept for the term report."""
        now = self._clock.now()
        name = school.chat_name(chat)
        async with self._store.transaction() as s:
            state = await s.chat_state(chat)
            if not state.closed:
                return Reply(f"\u201c{name}\u201d is open.")
            role = strongest(roles).value
            await s.set_chat_status(chat, school.id, "open", caller, reason, now, role=role)
            token = new_key()
            await s.add_actions(
                [
                    ReopenChat(key=f"{token}-o", chat=chat, saved_state=None),
                    Notice(key=f"{token}-n", chat=chat, text=texts.reopening_notice()),
                ],
                now,
                school_id=school.id,
            )
            await s.audit(
                at=now,
                school_id=school.id,
                actor=caller,
                action="reopen",
                target=chat.chat_id,
                detail=reason,
            )
        self._wake_outbox()
        return Reply(f"Reopening \u201c{name}\u201d.")

    async def _status(self, school: School, chat: ChatRef, roles: frozenset[Role]) -> Reply:
        """The chat's state and who closed it; for those who may see incidents, those too."""
        settings = self._config.settings_for(school)
        since = self._clock.now() - timedelta(days=7)
        async with self._store.read() as s:
            state = await s.chat_state(chat)
            recent = [i for i in await s.incidents(chat=chat, limit=50) if i.created_at >= since]
        name = school.chat_name(chat)
        closer = state.changed_by_name or (state.changed_by or "")
        lines = [
            texts.chat_state(
                name, state.closed, closer, state.changed_at, state.reason, settings.zone
            )
        ]
        if not may(roles, Act.INCIDENTS):
            return Reply("\n".join(lines))
        lines.append(f"Incidents in the last 7 days: {len(recent)}.")
        for incident in recent[-5:]:
            lines.append(
                f"\u2022 {texts.when(incident.created_at, settings.zone)}: "
                f"{incident.user.label} ({', '.join(incident.categories)}, {incident.status})"
            )
        return Reply("\n".join(lines))

    async def _start(self, command: Command) -> Reply:
        """A private chat opened with the bot; the payload may be a reminder's key."""
        key = command.args.strip()
        if key:
            async with self._store.read() as s:
                row = await s.action(key)
            if row is not None and isinstance(row.action, Remind):
                user = row.action.user
                if (user.platform, user.user_id) == (
                    command.caller.platform,
                    command.caller.user_id,
                ):
                    return Reply(row.action.text)
        return Reply(
            "Hello! This is schoolgate, which helps keep class group chats within the school's "
            "code of conduct. Private notes and alerts for you will arrive here. "
            "/rules shows the code of conduct and /privacy what is kept about you."
        )

    # ---- reviewing incidents ----

    async def _review(self, command: Command) -> Reply:
        """/incidents and /incident: in a school's chat, about that school; in a direct
        message, about every school the caller is SLT of."""
        chat, caller = command.chat, command.caller
        here = self._config.school_for_chat(chat.platform, chat.chat_id)
        schools = [here] if here else list(self._config.schools)
        allowed = [
            s for s in schools if may(roles_of(self._config, s, caller, chat), Act.INCIDENTS)
        ]
        if not allowed:
            roles = roles_of(self._config, here, caller, chat) if here else frozenset({Role.MEMBER})
            return await self._refuse(here, caller, command.name.value, chat.chat_id, roles)
        if command.name is CommandName.INCIDENTS:
            return await self._list_incidents(allowed, caller, command.args)
        return await self._show_incident(allowed, caller, command.args)

    async def _list_incidents(self, schools: list[School], caller: UserRef, args: str) -> Reply:
        days = review.days_asked(args)
        if days is None:
            return Reply(texts.INCIDENTS_USAGE)
        now = self._clock.now()
        count = sent = 0
        async with self._store.transaction() as s:
            for school in schools:
                found = await s.open_incidents(school.id, now - timedelta(days=days))
                pages = review.pages(
                    found,
                    school,
                    self._config.settings_for(school).zone,
                    to=caller,
                    days=days,
                    key=f"ls-{new_key()}",
                    capabilities=self._capabilities,
                )
                await s.add_actions(pages, now, school_id=school.id)
                await s.audit(
                    at=now,
                    school_id=school.id,
                    actor=caller,
                    action="incidents",
                    detail=f"{len(found)} open in the last {days} days",
                )
                count, sent = count + len(found), sent + len(pages)
        self._wake_outbox()
        return Reply(texts.incidents_sent(count, sent, days))

    async def _show_incident(self, schools: list[School], caller: UserRef, args: str) -> Reply:
        number = review.incident_asked(args)
        if number is None:
            return Reply(texts.INCIDENT_USAGE)
        now = self._clock.now()
        ours = {s.id: s for s in schools}
        async with self._store.transaction() as s:
            incident = await s.incident_by_id(number)
            school = ours.get(incident.school_id) if incident else None
            if incident is None or school is None:
                return Reply(texts.no_incident(number))
            settings = self._config.settings_for(school)
            window = settings.escalation.window_days
            text = review.history(
                incident,
                school,
                settings.zone,
                await s.actions(incident_id=incident.id),
                await s.audit_entries(target=incident.key),
                earlier=await s.count_offences(
                    school.id, incident.user, now - timedelta(days=window)
                ),
                window_days=window,
                limit=texts.TEXT_LIMITS.get(caller.platform, 2000) - 100,
            )
            await s.audit(
                at=now, school_id=school.id, actor=caller, action="incident", target=incident.key
            )
            if incident.decided:
                return Reply(text)
            buttons = review.pages(
                [incident],
                school,
                settings.zone,
                to=caller,
                days=window,
                key=f"ls-{new_key()}",
                capabilities=self._capabilities,
            )
            await s.add_actions(buttons, now, school_id=school.id)
        self._wake_outbox()
        return Reply(f"{text}\n\nIts buttons are on their way by direct message.")

    # ---- buttons ----

    async def on_button(self, press: ButtonPress) -> Reply:
        if press.action is ButtonAction.ACK:
            return await self._acknowledge(press)
        async with self._store.read() as s:
            incident = await s.incident(press.key)
            alerted = incident is not None and await self._was_alerted(s, incident.id, press)
        school = self._config.school(incident.school_id) if incident else None
        if incident is None or school is None:
            return Reply(texts.UNKNOWN_ALERT)
        roles = roles_of(self._config, school, press.caller, press.chat)
        action = f"button:{press.action.value}"
        if not (may(roles, Act.DECIDE) or (alerted and may(roles, Act.DECIDE_ALERTED))):
            return await self._refuse(school, press.caller, action, incident.key, roles)
        if incident.decided:
            return await self._already_decided(school, press, incident.key, roles)
        if press.action is ButtonAction.CLOSE:
            return await self.close(
                school, incident.chat, press.caller, "", roles, incident_key=incident.key
            )
        now = self._clock.now()
        async with self._store.transaction() as s:
            decided = _DECISIONS[press.action]
            first = await self._decide(s, school, incident.key, decided, press.caller)
            if first:
                await self._record_decision(s, school, press, incident, now)
        if not first:  # decided by someone else a moment ago
            return await self._already_decided(school, press, incident.key, roles)
        self._wake_outbox()
        if press.action is ButtonAction.DISMISS:
            return Reply(
                "Thank you: marked as not a breach. It no longer counts against the "
                "sender, and it helps tune the rules."
            )
        return Reply("Deleting the message.")

    async def _record_decision(
        self, s: Session, school: School, press: ButtonPress, incident: IncidentRow, now: datetime
    ) -> None:
        """What dismissing or deleting does besides the decision: the deletion, the audit."""
        rules = ",".join(sorted({str(f.get("rule_id", "")) for f in incident.findings}))
        if press.action is ButtonAction.DISMISS:
            detail = f"rules: {rules}"
        else:
            await s.add_actions(
                [
                    Delete(
                        key=f"{incident.key}-d",
                        chat=incident.chat,
                        message_id=incident.message_id,
                    )
                ],
                now,
                school_id=school.id,
                incident_id=incident.id,
            )
            detail = ""
        await s.audit(
            at=now,
            school_id=school.id,
            actor=press.caller,
            action=press.action.value,
            target=incident.key,
            detail=detail,
        )

    async def _already_decided(
        self, school: School, press: ButtonPress, incident_key: str, roles: frozenset[Role]
    ) -> Reply:
        """The polite refusal of a second decision, saying who decided what and when."""
        async with self._store.read() as s:
            incident = await s.incident(incident_key)
        assert incident is not None
        action = f"button:{press.action.value}"
        await self._refuse(
            school, press.caller, action, incident_key, roles, detail="already decided"
        )
        return Reply(texts.already_decided(self._decision_line(school, incident)))

    async def _was_alerted(self, s: Session, incident_id: int, press: ButtonPress) -> bool:
        """Whether the caller was sent an alert about this incident."""
        return any(
            isinstance(row.action, Alert) and row.action.recipient == press.caller
            for row in await s.actions(kind="alert", incident_id=incident_id)
        )

    def _decision_line(self, school: School, incident: IncidentRow) -> str:
        zone = self._config.settings_for(school).zone
        at = incident.resolved_at or self._clock.now()
        return texts.decision(incident.status, incident.resolved_by_name, at, zone)

    async def _decide(
        self, s: Session, school: School, incident_key: str, status: str, by: UserRef
    ) -> bool:
        """Record the decision and replace the buttons on every alert about the incident with
        a line saying it; False when it was already decided."""
        now = self._clock.now()
        if not await s.resolve_incident(incident_key, status, by, now):
            return False
        incident = await s.incident(incident_key)
        assert incident is not None
        line = self._decision_line(school, incident)
        settles = [
            SettleAlert(
                key=f"{row.key}-s",
                chat=row.action.chat,
                recipient=row.action.recipient,
                alert_key=row.key,
                text=f"{row.action.text}\n\n{line}",
            )
            for row in await s.actions(kind="alert", incident_id=incident.id)
            if isinstance(row.action, Alert)
            and row.status != "failed"
            and row.action.buttons
            # A digest listing other incidents too keeps its buttons for them.
            and all(b.key == incident_key for b in row.action.buttons)
        ]
        await s.add_actions(settles, now, school_id=school.id, incident_id=incident.id)
        return True

    async def _acknowledge(self, press: ButtonPress) -> Reply:
        async with self._store.read() as s:
            row = await s.action(press.key)
        if row is None or not isinstance(row.action, Welcome) or row.school_id is None:
            return Reply(texts.UNKNOWN_ALERT)
        school = self._config.school(row.school_id)
        if school is None:
            return Reply(texts.UNKNOWN_ALERT)
        welcome = row.action
        async with self._store.transaction() as s:
            await s.acknowledge(
                press.caller,
                school.id,
                school.policy.version,
                welcome.chat.chat_id,
                self._clock.now(),
            )
        # Only the person welcomed is let in by it: a welcome pressed by someone else (in a
        # group, where everyone sees it) records their acceptance and nothing more.
        own = welcome.user == press.caller
        return Reply(
            "Thank you for agreeing to the code of conduct.",
            accepted_in=welcome.chat if own else None,
        )
