"""One message in: find its school, ask the rules core, and for a flagged message store the
incident and its actions in one transaction. Clean messages are only counted.

A flagged message whose incident cannot be stored is kept in memory and stored again until it
is (bot/unstored.py), and `NotStored` tells the adapter not to acknowledge it."""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from datetime import timedelta
from typing import Any

from bot import digest
from bot.clock import Clock
from bot.config import Config, LearnedUse, Mode, School
from bot.model import ChatMessage, ChatRef
from bot.platform import Capability, NotStored
from bot.policy import Policy
from bot.store import STORAGE_FAULTS, NewIncident, Store
from bot.unstored import Unstored, UnstoredMessages
from learned import Detector
from rules import SchoolProfile, StaffMember
from rules.custom import CustomRule
from rules.model import Finding, Verdict

log = logging.getLogger(__name__)

# How long a platform waits for a message to be checked. The rules core runs in worker threads,
# never on the event loop, so however long one message takes no other message, command or
# delivery waits for it. A message still unchecked after this is not dropped and not guessed
# at: it is judged when its check finishes, by then in the background, and the platform moves
# on to its next message at once. Its checking thread shares the processor with the bot (a
# thread cannot be stopped), which is why the core's time grows only linearly with a message's
# length: the worst 40,000 characters found (bench/bench_slow_inputs.py) take about two seconds,
# ordinary messages a millisecond or two.
CHECK_BUDGET_S = 2.0
_CHECK_THREADS = 4  # messages checked at once: a few slow ones never queue up the rest


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
        detector: Detector,
        clock: Clock,
        policy: Policy,
        capabilities: Callable[[ChatRef], frozenset[Capability]],
        wake_outbox: Callable[[], None],
        message_link: Callable[[ChatRef, str], str | None] = lambda chat, message_id: None,
    ) -> None:
        self._config = config
        self._store = store
        self._detector = detector
        self._clock = clock
        self._policy = policy
        self._capabilities = capabilities
        self._wake_outbox = wake_outbox
        self._message_link = message_link
        self._profiles = {s.id: build_profile(s) for s in config.schools}
        self._unknown_chats: set[tuple[str, str]] = set()
        self._checks = ThreadPoolExecutor(_CHECK_THREADS, thread_name_prefix="rules")
        self._late: set[asyncio.Task[None]] = set()  # messages judged after CHECK_BUDGET_S
        self.budget_s = CHECK_BUDGET_S
        self.unstored = UnstoredMessages(self._store_again, clock)
        self._uncounted = 0  # clean messages not counted since counting last worked

    def evaluate(self, school: School, text: str) -> Verdict:
        learned = self._config.settings_for(school).learned is not LearnedUse.OFF
        return self._detector.evaluate(text, self._profiles[school.id], learned=learned)

    async def settle(self) -> None:
        """Wait for the messages still being checked to be judged and recorded."""
        while self._late:
            await asyncio.gather(*self._late, return_exceptions=True)

    async def stop(self) -> None:
        """At shutdown: settle, then try once more to store the messages kept in memory."""
        await self.settle()
        await self.unstored.flush()

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
        check = asyncio.get_running_loop().run_in_executor(
            self._checks, self.evaluate, school, message.text
        )
        done, _ = await asyncio.wait([check], timeout=self.budget_s)
        if not done:
            log.warning(
                "message %s in %s chat %s took over %.1f s to check: judged when done",
                message.message_id,
                chat.platform,
                chat.chat_id,
                self.budget_s,
            )
            task = asyncio.create_task(self._judge_late(school, message, check))
            self._late.add(task)
            task.add_done_callback(self._late.discard)
            return
        await self._judge(school, message, check)

    async def _judge(
        self, school: School, message: ChatMessage, check: asyncio.Future[Verdict]
    ) -> None:
        verdict = await check
        if not verdict.flagged:
            await self._count(school, message)
            return
        try:
            recorded = await self._record(school, message, verdict)
        except STORAGE_FAULTS as exc:
            self.unstored.keep(Unstored(school, message, verdict), exc)
            raise NotStored(f"message {message.message_id}: {type(exc).__name__}") from exc
        if recorded:
            self._wake_outbox()

    async def _judge_late(
        self, school: School, message: ChatMessage, check: asyncio.Future[Verdict]
    ) -> None:
        try:
            await self._judge(school, message, check)
        except NotStored:
            pass  # kept in memory and stored when it can be, said at ERROR
        except Exception:  # no platform handler is waiting to log it; never the text
            log.exception("could not moderate message %s, checked late", message.message_id)

    async def _store_again(self, unstored: Unstored) -> None:
        if await self._record(unstored.school, unstored.message, unstored.verdict, seen=False):
            self._wake_outbox()

    async def _count(self, school: School, message: ChatMessage) -> None:
        """Count a message that was not flagged. Its text is not kept, so failing to count it
        (the disk full) costs one in a day's tally and leaves the chat's last seen message
        where it was, which at worst has a catch-up read it again. So it is acknowledged all
        the same, and only the first failure in a row is logged: nothing worth keeping is
        lost, and a full disk holds up only the messages that must be stored."""
        seen = not self.unstored.holds(message.chat)
        try:
            async with self._store.transaction() as s:
                await s.count_message(school.id, message, flagged=False, seen=seen)
        except STORAGE_FAULTS as exc:
            if not self._uncounted:
                log.warning(
                    "could not count a message that was not flagged (%s: %s); not counting "
                    "them until the database can be written, without a line for each",
                    type(exc).__name__,
                    exc,
                )
            self._uncounted += 1
            return
        if self._uncounted:
            log.info("counting messages again; %d were not counted", self._uncounted)
            self._uncounted = 0

    async def _record(
        self, school: School, message: ChatMessage, verdict: Verdict, *, seen: bool = True
    ) -> bool:
        """Store the incident and its actions; False if the message was handled already.
        `seen`: it may become its chat's last seen message (not while an earlier message
        there waits to be stored, nor when it is one of those, stored late)."""
        settings = self._config.settings_for(school)
        mode = self._config.mode_for(school, message.chat)
        observing = mode is Mode.OBSERVE
        now = self._clock.now()
        key = new_key()
        capabilities = self._capabilities(message.chat)
        async with self._store.transaction() as s:
            if await s.has_incident(message.chat, message.message_id):
                log.debug("message %s already handled", message.message_id)
                return False
            since = now - timedelta(days=settings.escalation.window_days)
            author = message.author
            offence_number = (
                await s.count_offences(school.id, author, since, with_observed=observing) + 1
            )
            history = await s.offences(school.id, author, since, limit=5, with_observed=observing)
            plan = self._policy.plan(
                school=school,
                message=message,
                verdict=verdict,
                incident_key=key,
                history=history,
                offence_number=offence_number,
                capabilities=capabilities,
                now=now,
                mode=mode,
                link=self._message_link(message.chat, message.message_id),
            )
            observed = plan.decision.observed
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
                    observed=observed.kinds if observed is not None else None,
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
            seen = seen and not self.unstored.holds(message.chat)
            await s.count_message(school.id, message, flagged=True, seen=seen)
        log.info(
            "incident %s in %s chat %s: %s (%s), %d action(s)%s",
            key,
            message.chat.platform,
            message.chat.chat_id,
            ",".join(verdict.categories),
            verdict.severity,
            len(plan.actions) + len(plan.held),
            f" (observe mode; enforce would: {','.join(observed.kinds) or 'nothing'})"
            if observed is not None
            else "",
        )
        return True
