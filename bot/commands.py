"""Slash commands and alert buttons: who may do what, and doing it.

Only a school's SLT and admins may close or reopen its chats, see their status, or act on its
alerts; everyone else gets a polite refusal, and every refusal is written to the audit log.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import timedelta

from bot import texts
from bot.clock import Clock
from bot.config import Config, School
from bot.model import (
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
    UserRef,
    Welcome,
)
from bot.moderator import new_key
from bot.store import Store, person

log = logging.getLogger(__name__)

_COMMAND = re.compile(r"^/([A-Za-z]+)(?:@\S+)?(?:\s+(.*))?$", re.DOTALL)


def parse_command(text: str) -> tuple[CommandName, str] | None:
    """`/close@SchoolBot too many arguments` -> (CLOSE, "too many arguments"); None otherwise."""
    match = _COMMAND.match(text.strip())
    if not match:
        return None
    try:
        name = CommandName(match.group(1).lower())
    except ValueError:
        return None
    return name, " ".join((match.group(2) or "").split())


def is_authorised(
    config: Config, school: School, caller: UserRef, where: ChatRef | None = None
) -> bool:
    """The school's SLT and admins on the caller's platform, or a Discord admin role held in
    one of the school's own chats: a role is a server's, and `admin_roles` lists every
    school's, so a role seen in another school's server (or nowhere) counts for nothing."""
    if caller.anonymous:
        return False
    for contact in (*school.slt, *school.admins):
        if contact.id_on(caller.platform) == caller.user_id:
            return True
    if caller.platform == "discord" and config.discord is not None and where is not None:
        here = config.school_for_chat(where.platform, where.chat_id)
        if here is not None and here.id == school.id:
            return bool(set(caller.roles) & set(config.discord.admin_roles))
    return False


class Commands:
    def __init__(
        self, config: Config, store: Store, clock: Clock, wake_outbox: Callable[[], None]
    ) -> None:
        self._config = config
        self._store = store
        self._clock = clock
        self._wake_outbox = wake_outbox

    # ---- commands ----

    async def on_command(self, command: Command) -> Reply:
        chat = command.chat
        school = self._config.school_for_chat(chat.platform, chat.chat_id)
        name = command.name
        if name is CommandName.START:
            return await self._start(command)
        if school is None:
            school = self._only_school()
            if name in (CommandName.RULES, CommandName.PRIVACY) and school is not None:
                return self._public(name, school)
            return Reply(texts.NOT_A_SCHOOL_CHAT)
        if name in (CommandName.RULES, CommandName.PRIVACY):
            return self._public(name, school)
        refusal = await self._check(school, command.caller, chat, name.value, chat.chat_id)
        if refusal:
            return refusal
        if name is CommandName.CLOSE:
            return await self.close(school, chat, command.caller, command.args)
        if name is CommandName.REOPEN:
            return await self.reopen(school, chat, command.caller)
        return await self._status(school, chat)

    def _only_school(self) -> School | None:
        return self._config.schools[0] if len(self._config.schools) == 1 else None

    def _public(self, name: CommandName, school: School) -> Reply:
        if name is CommandName.RULES:
            return Reply(texts.rules(school.policy))
        days = self._config.settings_for(school).retention_days
        return Reply(texts.privacy(school.policy, days))

    async def _check(
        self, school: School, caller: UserRef, where: ChatRef | None, action: str, target: str
    ) -> Reply | None:
        """None when allowed; otherwise the polite refusal, after auditing it."""
        if is_authorised(self._config, school, caller, where):
            return None
        async with self._store.transaction() as s:
            await s.audit(
                at=self._clock.now(),
                school_id=school.id,
                actor=caller,
                action=action,
                target=target,
                outcome="refused",
                detail="anonymous" if caller.anonymous else "not SLT or admin",
            )
        log.info("refused %s by %s:%s on %s", action, caller.platform, caller.user_id, target)
        return Reply(texts.ANONYMOUS if caller.anonymous else texts.NOT_ALLOWED)

    async def close(self, school: School, chat: ChatRef, caller: UserRef, reason: str) -> Reply:
        now = self._clock.now()
        name = school.chat_name(chat)
        async with self._store.transaction() as s:
            state = await s.chat_state(chat)
            if state.closed:
                return Reply(f"\u201c{name}\u201d is already closed. /reopen opens it again.")
            await s.set_chat_status(chat, school.id, "closed", person(caller), reason, now)
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
        self._wake_outbox()
        return Reply(f"Closing \u201c{name}\u201d. Members will see the closing notice.")

    async def reopen(self, school: School, chat: ChatRef, caller: UserRef) -> Reply:
        now = self._clock.now()
        name = school.chat_name(chat)
        async with self._store.transaction() as s:
            state = await s.chat_state(chat)
            if not state.closed:
                return Reply(f"\u201c{name}\u201d is open.")
            await s.set_chat_status(chat, school.id, "open", person(caller), "", now)
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
                at=now, school_id=school.id, actor=caller, action="reopen", target=chat.chat_id
            )
        self._wake_outbox()
        return Reply(f"Reopening \u201c{name}\u201d.")

    async def _status(self, school: School, chat: ChatRef) -> Reply:
        settings = self._config.settings_for(school)
        since = self._clock.now() - timedelta(days=7)
        async with self._store.read() as s:
            state = await s.chat_state(chat)
            recent = [i for i in await s.incidents(chat=chat, limit=50) if i.created_at >= since]
        name = school.chat_name(chat)
        lines = [f"\u201c{name}\u201d is {'closed' if state.closed else 'open'}."]
        if state.closed and state.changed_at:
            lines[0] += f" Closed {texts.when(state.changed_at, settings.zone)}" + (
                f": {state.reason}" if state.reason else ""
            )
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

    # ---- buttons ----

    async def on_button(self, press: ButtonPress) -> Reply:
        if press.action is ButtonAction.ACK:
            return await self._acknowledge(press)
        async with self._store.read() as s:
            incident = await s.incident(press.key)
        school = self._config.school(incident.school_id) if incident else None
        if incident is None or school is None:
            return Reply(texts.UNKNOWN_ALERT)
        refusal = await self._check(
            school, press.caller, press.chat, f"button:{press.action.value}", incident.key
        )
        if refusal:
            return refusal
        now = self._clock.now()
        if press.action is ButtonAction.CLOSE:
            return await self.close(school, incident.chat, press.caller, "")
        if press.action is ButtonAction.DISMISS:
            async with self._store.transaction() as s:
                await s.resolve_incident(incident.key, "dismissed", person(press.caller), now)
                rules = ",".join(sorted({str(f.get("rule_id", "")) for f in incident.findings}))
                await s.audit(
                    at=now,
                    school_id=school.id,
                    actor=press.caller,
                    action="dismiss",
                    target=incident.key,
                    detail=f"rules: {rules}",
                )
            return Reply(
                "Thank you: marked as not a breach. It no longer counts against the "
                "sender, and it helps tune the rules."
            )
        # DELETE
        async with self._store.transaction() as s:
            added = await s.add_actions(
                [
                    Delete(
                        key=f"{incident.key}-d", chat=incident.chat, message_id=incident.message_id
                    )
                ],
                now,
                school_id=school.id,
                incident_id=incident.id,
            )
            await s.audit(
                at=now,
                school_id=school.id,
                actor=press.caller,
                action="delete",
                target=incident.key,
                detail="" if added else "already requested",
            )
        self._wake_outbox()
        return Reply("Deleting the message." if added else "The message is already being deleted.")

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
