"""The school's policy: a verdict plus the sender's recent history gives the actions.

First low-severity breach: a private reminder. Medium or high severity, or a repeat within the
window: reminder plus an SLT alert with the history. Threats and discrimination (the `urgent`
categories), or many repeats: an urgent alert at once. Deleting only where the school enables it
and the platform can. Offences older than the window no longer count.

A flag of the learned stage alone below its confident threshold (`verdict.review`) asks SLT to
review the message and does nothing else: no reminder, no deletion, not urgent. A school may
have such flags acted on like any other (`policy.learned: act`).

In observe mode (`policy.mode`, or a chat's own `mode`) every flag alerts SLT, saying what
enforce mode would have done, and nothing goes to members.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from bot import texts
from bot.config import Config, LearnedUse, Mode, PolicySettings, School
from bot.model import Action, Alert, Button, ButtonAction, ChatMessage, Delete, Remind, UserRef
from bot.platform import Capability
from bot.store import IncidentRow
from rules.model import Severity, Verdict


@dataclass(frozen=True, slots=True)
class Decision:
    remind: bool
    alert: bool
    urgent: bool
    delete: bool
    hold_until: datetime | None = None  # quiet hours: the alert waits until then
    # Observe mode: what enforce mode would have done. This decision then alerts SLT and
    # nothing else.
    observed: Decision | None = None

    @property
    def kinds(self) -> tuple[str, ...]:
        """What it does, in words a report can count: remind, alert, delete."""
        done = (("remind", self.remind), ("alert", self.alert), ("delete", self.delete))
        return tuple(kind for kind, does in done if does)


@dataclass(frozen=True, slots=True)
class Plan:
    decision: Decision
    actions: tuple[Action, ...]  # delivered now
    held: tuple[Alert, ...] = field(default=())  # for the digest at `decision.hold_until`


def decide(
    settings: PolicySettings,
    verdict: Verdict,
    offence_number: int,
    *,
    can_delete: bool,
    now: datetime,
    mode: Mode = Mode.ENFORCE,
) -> Decision:
    categories = set(verdict.categories)
    severity = verdict.severity or Severity.LOW
    escalation = settings.escalation
    review = verdict.review and settings.learned is LearnedUse.REVIEW
    urgent = not review and (
        bool(categories & set(settings.urgent)) or offence_number >= escalation.urgent_after
    )
    enforced = Decision(
        remind=not review and bool(categories & set(settings.remind)),
        alert=review
        or urgent
        or (
            bool(categories & set(settings.alert))
            and (severity.rank >= Severity.MEDIUM.rank or offence_number >= escalation.alert_after)
        ),
        urgent=urgent,
        delete=not review and can_delete and bool(categories & set(settings.delete)),
    )
    # Observe mode: SLT see every flag, with what would have been done; members get nothing.
    decision = (
        Decision(remind=False, alert=True, urgent=urgent, delete=False, observed=enforced)
        if mode is Mode.OBSERVE
        else enforced
    )
    quiet = settings.quiet_hours
    if (
        decision.alert
        and not urgent
        and (severity is Severity.LOW or review)
        and quiet is not None
        and quiet.contains(local := now.astimezone(settings.zone))
    ):
        decision = replace(decision, hold_until=quiet.next_end(local))
    return decision


def alert_recipients(
    school: School, chat_platform: str, running: Sequence[str], named: Sequence[str] = ()
) -> list[UserRef]:
    """One DM per contact to alert (SLT, never the staff `named` by the message; see
    `School.alerted_about`): on the chat's own platform when they have an id there,
    otherwise on the first running platform where they do."""
    recipients: list[UserRef] = []
    for contact in school.alerted_about(named):
        order = [chat_platform, *(p for p in running if p != chat_platform)]
        for platform in order:
            user_id = contact.id_on(platform)
            if user_id and platform in running:
                recipients.append(UserRef(platform, user_id, contact.name))
                break
    return recipients


def alert_elsewhere(school: School, recipient: UserRef, platforms: Sequence[str]) -> UserRef | None:
    """Where an alert goes when the recipient's platform refuses it for good: the same contact
    on another of `platforms` they have an id on (tried once)."""
    for contact in (*school.slt, *school.fallback):
        if contact.id_on(recipient.platform) != recipient.user_id:
            continue
        for platform in platforms:
            user_id = contact.id_on(platform)
            if platform != recipient.platform and user_id:
                return UserRef(platform, user_id, contact.name)
    return None


def _alert_limit(school: School, recipient: UserRef, platforms: Sequence[str]) -> int:
    """The longest an alert to `recipient` may be: it must fit on their platform, and on the
    one it falls back to, where core.py sends it unchanged."""
    elsewhere = alert_elsewhere(school, recipient, platforms)
    return texts.text_limit(recipient.platform, *([elsewhere.platform] if elsewhere else []))


def alert_buttons(incident_key: str, capabilities: frozenset[Capability]) -> tuple[Button, ...]:
    buttons = [Button(ButtonAction.DISMISS, incident_key, texts.BUTTON_LABELS["dismiss"])]
    if Capability.DELETE_OTHERS in capabilities:
        buttons.append(Button(ButtonAction.DELETE, incident_key, texts.BUTTON_LABELS["delete"]))
    if Capability.LOCK_CHAT in capabilities:
        buttons.append(Button(ButtonAction.CLOSE, incident_key, texts.BUTTON_LABELS["close"]))
    return tuple(buttons)


class Policy:
    def __init__(self, config: Config, running: Callable[[], Sequence[str]]) -> None:
        self._config = config
        self._running = running

    def plan(
        self,
        *,
        school: School,
        message: ChatMessage,
        verdict: Verdict,
        incident_key: str,
        history: Sequence[IncidentRow],
        offence_number: int,
        capabilities: frozenset[Capability],
        now: datetime,
        mode: Mode = Mode.ENFORCE,
        link: str | None = None,
    ) -> Plan:
        """`link`: where the platform lets people open the message, if it does. `mode`: the
        chat's (`Config.mode_for`)."""
        settings = self._config.settings_for(school)
        decision = decide(
            settings,
            verdict,
            offence_number,
            can_delete=Capability.DELETE_OTHERS in capabilities,
            now=now,
            mode=mode,
        )
        enforced = decision.observed or decision
        chat = message.chat
        chat_name = school.chat_name(chat)
        author = message.author
        actions: list[Action] = []
        # Everyone the message names, criticised or not: "Mrs Okafor lied to my face" must not
        # go to Mrs Okafor, nor "Mrs Okafor's number is ..." to her.
        named = (*verdict.staff, *verdict.mentioned_staff)
        running = self._running()
        recipients = alert_recipients(school, chat.platform, running, named)
        if decision.remind:
            actions.append(
                Remind(
                    key=f"{incident_key}-r",
                    chat=chat,
                    user=author,
                    message_id=message.message_id,
                    text=texts.reminder(
                        school=school,
                        chat_name=chat_name,
                        name=author.display_name,
                        sent_at=message.sent_at,
                        zone=settings.zone,
                        verdict=verdict,
                        offence_number=offence_number,
                        school_told=decision.alert and bool(recipients),
                        excerpt=texts.excerpt(message.text, verdict),
                        link=link,
                    ),
                    nudge=texts.nudge(author.display_name),
                )
            )
        if decision.delete:
            actions.append(
                Delete(key=f"{incident_key}-d", chat=chat, message_id=message.message_id)
            )
        alerts: list[Alert] = []
        if decision.alert:
            limits = {r: _alert_limit(school, r, running) for r in recipients}
            text = {
                limit: texts.alert(
                    school=school,
                    chat_name=chat_name,
                    platform=chat.platform,
                    sender=author.label,
                    sender_id=author.user_id,
                    sent_at=message.sent_at,
                    zone=settings.zone,
                    text=message.text,
                    edited=message.edited,
                    verdict=verdict,
                    offence_number=offence_number,
                    window_days=settings.escalation.window_days,
                    history=history,
                    urgent=decision.urgent,
                    deleting=decision.delete,
                    review=verdict.review and not enforced.remind,
                    observed=decision.observed.kinds if decision.observed else None,
                    link=link,
                    limit=limit,
                )
                for limit in set(limits.values())
            }
            buttons = alert_buttons(incident_key, capabilities)
            alerts = [
                Alert(
                    key=f"{incident_key}-a{i}",
                    chat=chat,
                    recipient=recipient,
                    incident_key=incident_key,
                    text=text[limits[recipient]],
                    buttons=buttons,
                    urgent=decision.urgent,
                )
                for i, recipient in enumerate(recipients)
            ]
        if decision.hold_until is not None:
            return Plan(decision, tuple(actions), tuple(alerts))
        return Plan(decision, (*actions, *alerts))
