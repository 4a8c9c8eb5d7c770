"""One message in: find its school, ask the rules core, and for a flagged message store the
incident and its actions in one transaction. Clean messages are only counted."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from dataclasses import asdict
from datetime import timedelta
from typing import Any

from bot import digest
from bot.clock import Clock
from bot.config import Config, School
from bot.model import ChatMessage, ChatRef
from bot.platform import Capability
from bot.policy import Policy
from bot.store import NewIncident, Store
from rules import RulesEngine, SchoolProfile, StaffMember
from rules.custom import CustomRule
from rules.model import Finding, Verdict

log = logging.getLogger(__name__)


def build_profile(school: School) -> SchoolProfile:
    staff = [
        StaffMember(s.id, s.title, s.first, s.last, tuple(s.roles), tuple(s.aliases))
        for s in school.staff
    ]
    custom = [
        CustomRule(r.id, r.category, r.reason, r.severity, r.clause, r.pattern or "", r.words)
        for r in school.custom_rules
    ]
    # The school's own name lets the core recognise complaints about it ("Riverside is a joke").
    return SchoolProfile.build(
        school.id, staff, tuple(school.pupils), names=(school.name,), custom=custom
    )


def new_key() -> str:
    """A short unguessable key (12 characters of A-Za-z0-9_-), safe in button data and links."""
    return secrets.token_urlsafe(9)


def finding_data(finding: Finding) -> dict[str, Any]:
    data = asdict(finding)
    data["span"] = {"start": finding.span.start, "end": finding.span.end}
    return data


class Moderator:
    def __init__(
        self,
        config: Config,
        store: Store,
        engine: RulesEngine,
        clock: Clock,
        policy: Policy,
        capabilities: Callable[[ChatRef], frozenset[Capability]],
        wake_outbox: Callable[[], None],
        message_link: Callable[[ChatRef, str], str | None] = lambda chat, message_id: None,
    ) -> None:
        self._config = config
        self._store = store
        self._engine = engine
        self._clock = clock
        self._policy = policy
        self._capabilities = capabilities
        self._wake_outbox = wake_outbox
        self._message_link = message_link
        self._profiles = {s.id: build_profile(s) for s in config.schools}
        self._unknown_chats: set[tuple[str, str]] = set()

    def evaluate(self, school: School, text: str) -> Verdict:
        return self._engine.evaluate(text, self._profiles[school.id])

    async def on_message(self, message: ChatMessage) -> None:
        chat = message.chat
        school = self._config.school_for_chat(chat.platform, chat.chat_id)
        if school is None:
            if (chat.platform, chat.chat_id) not in self._unknown_chats:
                self._unknown_chats.add((chat.platform, chat.chat_id))
                log.info(
                    "ignoring %s chat %s: it is not in the config (logged once)",
                    chat.platform,
                    chat.chat_id,
                )
            return
        verdict = self.evaluate(school, message.text)
        if not verdict.flagged:
            async with self._store.transaction() as s:
                await s.count_message(school.id, message, flagged=False)
            return
        if await self._record(school, message, verdict):
            self._wake_outbox()

    async def _record(self, school: School, message: ChatMessage, verdict: Verdict) -> bool:
        settings = self._config.settings_for(school)
        now = self._clock.now()
        key = new_key()
        capabilities = self._capabilities(message.chat)
        async with self._store.transaction() as s:
            if await s.has_incident(message.chat, message.message_id):
                log.debug("message %s already handled", message.message_id)
                return False
            since = now - timedelta(days=settings.escalation.window_days)
            offence_number = await s.count_offences(school.id, message.author, since) + 1
            history = await s.offences(school.id, message.author, since, limit=5)
            plan = self._policy.plan(
                school=school,
                message=message,
                verdict=verdict,
                incident_key=key,
                history=history,
                offence_number=offence_number,
                capabilities=capabilities,
                now=now,
                link=self._message_link(message.chat, message.message_id),
            )
            incident_id = await s.add_incident(
                NewIncident(
                    key=key,
                    school_id=school.id,
                    message=message,
                    categories=tuple(verdict.categories),
                    severity=(verdict.severity.value if verdict.severity else "low"),
                    findings=tuple(finding_data(f) for f in verdict.findings),
                    offence_number=offence_number,
                    urgent=plan.decision.urgent,
                ),
                now,
            )
            await s.add_actions(plan.actions, now, school_id=school.id, incident_id=incident_id)
            until = plan.decision.hold_until
            if until is not None:
                for alert in plan.held:
                    await digest.hold(
                        s,
                        alert,
                        until,
                        settings.zone,
                        now=now,
                        school_id=school.id,
                        incident_id=incident_id,
                    )
            await s.count_message(school.id, message, flagged=True)
        log.info(
            "incident %s in %s chat %s: %s (%s), %d action(s)",
            key,
            message.chat.platform,
            message.chat.chat_id,
            ",".join(verdict.categories),
            verdict.severity,
            len(plan.actions) + len(plan.held),
        )
        return True
