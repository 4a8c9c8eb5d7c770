"""A term of a trust's group chats, made up from a seed: 3 schools, 40 chats on Telegram, Discord
and Slack (two of them WhatsApp exports recorded with `scan --record`), 2,000 incidents over
13 weeks, with reminders, alerts, quiet-hours digests, decisions, closures and reopenings, in a
real SQLite store written through the store's own methods.

`add_incident` records one incident and what happened to it; the figure tests use it to fill a
small store with incidents they know. `python -m bench.term_generator DIR` writes the term and
its config to DIR.
"""

from __future__ import annotations

import argparse
import asyncio
import random
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from bot.config import Config, parse_config
from bot.digest import digest_key
from bot.model import (
    Alert,
    Button,
    ButtonAction,
    ChatMessage,
    ChatRef,
    Delete,
    Delivery,
    Remind,
    UserRef,
)
from bot.store import NewIncident, Session, Store, person

SEED = 2026
FIRST_DAY = date(2025, 9, 1)  # a Monday: the autumn term
WEEKS = 13
INCIDENTS = 2_000
MESSAGES_A_DAY = 8  # unflagged messages counted in a chat on an average day

# (category, rule ids it is found by, severity, weight)
KINDS: tuple[tuple[str, tuple[str, ...], str, int], ...] = (
    ("abuse", ("abuse.insult.framed", "abuse.adjective.framed", "abuse.profanity"), "medium", 30),
    ("staff", ("staff.contempt", "staff.named:abuse.insult", "staff.hashtag"), "medium", 22),
    ("complaint", ("complaint.school.criticism", "complaint.staff.incompetence"), "low", 20),
    ("private", ("private.phone", "private.address", "private.email"), "medium", 9),
    ("pupil", ("pupil.named:abuse.insult", "pupil.blame"), "medium", 9),
    ("threat", ("threat.veiled", "threat.violence"), "high", 6),
    ("discrimination", ("discrimination.statement.origin", "discrimination.slur"), "high", 4),
)
URGENT = {"threat", "discrimination"}
# How often SLT dismiss what a rule found: some rules the schools disagree with more.
DISMISS_RATE = {
    "complaint.school.criticism": 0.35,
    "complaint.staff.incompetence": 0.2,
    "staff.hashtag": 0.3,
    "pupil.blame": 0.25,
    "abuse.profanity": 0.15,
}


@dataclass(frozen=True, slots=True)
class Handled:
    """What happened to one incident. Times are after the message was sent."""

    reminded: bool = True
    alert_to: tuple[UserRef, ...] = ()  # SLT contacts alerted (none: no alert)
    alerted_after: timedelta = timedelta(minutes=1)  # when the alert was delivered
    in_digest: bool = False  # held for the quiet-hours digest, with others of the night
    decision: str | None = None  # dismissed | deleted | closed; None: still open
    decided_after: timedelta = timedelta(minutes=30)  # after the alert was delivered
    decider: UserRef | None = None  # default: the first contact alerted
    closing_reason: str = ""


@dataclass(frozen=True, slots=True)
class Flagged:
    """One flagged message and what the rules found in it."""

    key: str
    school_id: str
    chat: ChatRef
    sender: UserRef
    sent_at: datetime
    categories: tuple[str, ...]
    rule_ids: tuple[str, ...]
    severity: str = "medium"
    urgent: bool = False
    offence_number: int = 1


async def add_incident(s: Session, flagged: Flagged, handled: Handled) -> int:
    """Store the incident and, through the outbox and audit log, what happened to it."""
    message = ChatMessage(
        chat=flagged.chat,
        author=flagged.sender,
        message_id=f"m-{flagged.key}",
        text=f"(flagged message {flagged.key})",
        sent_at=flagged.sent_at,
    )
    findings = tuple(
        {
            "category": category,
            "rule_id": rule_id,
            "severity": flagged.severity,
            "reason": f"found by {rule_id}",
            "span": {"start": 0, "end": 7},
        }
        for category, rule_id in zip(flagged.categories, flagged.rule_ids, strict=True)
    )
    at = flagged.sent_at
    incident_id = await s.add_incident(
        NewIncident(
            key=flagged.key,
            school_id=flagged.school_id,
            message=message,
            categories=flagged.categories,
            severity=flagged.severity,
            findings=findings,
            offence_number=flagged.offence_number,
            urgent=flagged.urgent,
        ),
        at,
    )
    if flagged.chat.platform == "whatsapp":  # recorded from an export: nothing is sent
        return incident_id
    await s.count_message(flagged.school_id, message, flagged=True)
    done = []
    if handled.reminded:
        done.append(
            Remind(
                key=f"{flagged.key}-r",
                chat=flagged.chat,
                user=flagged.sender,
                message_id=message.message_id,
                text="(reminder)",
                nudge="(nudge)",
            )
        )
    await s.add_actions(done, at, school_id=flagged.school_id, incident_id=incident_id)
    await _deliver(s, [a.key for a in done], at + timedelta(seconds=5))
    if not handled.alert_to:
        return incident_id
    delivered = at + handled.alerted_after
    buttons = tuple(
        Button(action, flagged.key, action.value)
        for action in (ButtonAction.DISMISS, ButtonAction.DELETE, ButtonAction.CLOSE)
    )
    alerts = []
    for n, contact in enumerate(handled.alert_to):
        alert = Alert(
            key=f"{flagged.key}-a{n}",
            chat=flagged.chat,
            recipient=contact,
            incident_key=flagged.key,
            text="(alert)",
            buttons=buttons,
            urgent=flagged.urgent,
        )
        if handled.in_digest:
            alerts.append(await _into_digest(s, alert, delivered, flagged, incident_id))
        else:
            alerts.append(alert)
    fresh = [a for a in alerts if await s.action(a.key) is None]
    await s.add_actions(fresh, at, school_id=flagged.school_id, incident_id=incident_id)
    await _deliver(s, [a.key for a in alerts], delivered)
    if handled.decision is None:
        return incident_id
    decider = handled.decider or handled.alert_to[0]
    decided = delivered + handled.decided_after
    await s.resolve_incident(flagged.key, handled.decision, decider, decided)
    detail = f"rules: {','.join(sorted(set(flagged.rule_ids)))}"
    if handled.decision == "deleted":
        deletion = Delete(key=f"{flagged.key}-d", chat=flagged.chat, message_id=message.message_id)
        await s.add_actions(
            [deletion], decided, school_id=flagged.school_id, incident_id=incident_id
        )
        await _deliver(s, [deletion.key], decided + timedelta(seconds=2))
    if handled.decision == "closed":
        await s.set_chat_status(
            flagged.chat, flagged.school_id, "closed", decider, handled.closing_reason, decided
        )
        action, detail = "close", handled.closing_reason
    else:
        action = {"dismissed": "dismiss", "deleted": "delete"}[handled.decision]
    target = flagged.chat.chat_id if action == "close" else flagged.key
    await s.audit(
        at=decided,
        school_id=flagged.school_id,
        actor=decider,
        action=action,
        target=target,
        detail=detail if action != "delete" else "",
    )
    return incident_id


async def reopen(
    s: Session, school_id: str, chat: ChatRef, by: UserRef, at: datetime, reason: str
) -> None:
    await s.set_chat_status(chat, school_id, "open", by, reason, at)
    await s.audit(
        at=at, school_id=school_id, actor=by, action="reopen", target=chat.chat_id, detail=reason
    )


async def _into_digest(
    s: Session, alert: Alert, until: datetime, flagged: Flagged, incident_id: int
) -> Alert:
    """The recipient's digest for the morning `until`, with this alert's buttons added."""
    key = digest_key(alert, until)
    row = await s.action(key)
    if row is None:
        return Alert(
            key=key,
            chat=alert.chat,
            recipient=alert.recipient,
            incident_key=alert.incident_key,
            text=f"(digest)\n{alert.text}",
            buttons=alert.buttons,
        )
    digest = row.action
    assert isinstance(digest, Alert)
    merged = Alert(
        key=digest.key,
        chat=digest.chat,
        recipient=digest.recipient,
        incident_key=digest.incident_key,
        text=f"{digest.text}\n{alert.text}",
        buttons=digest.buttons + alert.buttons,
    )
    await s.replace_action(row.id, merged, flagged.sent_at)
    return merged


async def _deliver(s: Session, keys: Sequence[str], at: datetime) -> None:
    for key in keys:
        row = await s.action(key)
        if row is not None and row.status == "pending":
            await s.mark_done(row.id, Delivery(path="dm"), at)


# ---- the term ------------------------------------------------------------------------------

SCHOOLS = (
    ("ashgrove", "Ashgrove Primary School", 14),
    ("brookfield", "Brookfield Academy", 13),
    ("cedars", "The Cedars Junior School", 13),
)
PLATFORMS = ("telegram", "discord", "slack")
WHATSAPP_CHATS = {("brookfield", 12), ("cedars", 12)}  # the last chat of two schools


def _platform_id(platform: str, kind: str, school: str, n: int) -> str:
    """An id as the platform writes one (the config checks their shape)."""
    number = [s for s, _, _ in SCHOOLS].index(school) * 1000 + n
    if platform == "telegram":
        return f"-100{1_000_000_000 + number}" if kind == "chat" else str(700_000_000 + number)
    if platform == "discord":
        return str((800 if kind == "chat" else 900) * 10**15 + number)
    return f"{'C' if kind == 'chat' else 'U'}0{school[:3].upper()}{n:04d}"


def _chat(school: str, n: int) -> ChatRef:
    year = f"Year {n % 6 + 1}{'ABC'[n // 6 % 3]}"
    if (school, n) in WHATSAPP_CHATS:
        name = f"{school.title()} {year} (WhatsApp)"
        return ChatRef("whatsapp", name, name)
    platform = PLATFORMS[n % 3]
    return ChatRef(platform, _platform_id(platform, "chat", school, n), f"{school.title()} {year}")


def _slt(school: str) -> tuple[UserRef, ...]:
    return tuple(
        UserRef(platform, _platform_id(platform, "user", school, n), f"{title} ({school.title()})")
        for n, title in enumerate(("Head", "Deputy head"))
        for platform in PLATFORMS
    )


def config_yaml(db: Path) -> str:
    """A config naming the term's schools and chats, for `schoolgate report`."""
    lines = [f"storage:\n  path: {db}", "policy:\n  timezone: Europe/London", "schools:"]
    for school, name, chats in SCHOOLS:
        lines += [f"  - id: {school}", f"    name: {name}", "    slt:"]
        for n, title in enumerate(("Head", "Deputy head")):
            ids = ", ".join(f'{p}: "{_platform_id(p, "user", school, n)}"' for p in PLATFORMS)
            lines.append(f"      - {{name: {title} ({school.title()}), {ids}}}")
        lines.append("    chats:")
        for n in range(chats):
            chat = _chat(school, n)
            if chat.platform != "whatsapp":
                where = f'platform: {chat.platform}, id: "{chat.chat_id}"'
                lines.append(f"      - {{{where}, name: {chat.title}}}")
    return "\n".join(lines) + "\n"


def term_config(db: Path) -> Config:
    return parse_config(config_yaml(db), "term.yaml")


async def generate(db: Path, *, seed: int = SEED, incidents: int = INCIDENTS) -> Config:
    """Write the term into a new database at `db`; returns the config that names it."""
    random_ = random.Random(seed)
    start = datetime(FIRST_DAY.year, FIRST_DAY.month, FIRST_DAY.day, tzinfo=UTC)
    chats = [(school, _chat(school, n)) for school, _, count in SCHOOLS for n in range(count)]
    # A few parents in each chat send most of what is flagged.
    senders = {
        chat.chat_id: [
            UserRef(chat.platform, f"{chat.chat_id}-p{n}", f"Parent {n} of {chat.title}")
            for n in range(25)
        ]
        for _, chat in chats
    }
    weights = [1 / (n + 1) ** 1.2 for n in range(25)]
    moments = sorted(
        start + timedelta(seconds=random_.uniform(0, WEEKS * 7 * 86_400)) for _ in range(incidents)
    )
    offences: dict[str, list[datetime]] = {}
    closed: dict[str, tuple[str, ChatRef, datetime, UserRef]] = {}
    async with Store(db) as store, store.transaction() as s:
        for n, sent_at in enumerate(moments):
            school, chat = random_.choice(chats)
            sender = random_.choices(senders[chat.chat_id], weights)[0]
            category, rules, severity, _ = random_.choices(KINDS, [k[3] for k in KINDS])[0]
            rule = random_.choice(rules)
            past = [t for t in offences.get(person(sender), []) if sent_at - t < timedelta(days=30)]
            offence_number = len(past) + 1
            offences.setdefault(person(sender), []).append(sent_at)
            urgent = category in URGENT or offence_number >= 4
            flagged = Flagged(
                key=f"t{n:05d}",
                school_id=school,
                chat=chat,
                sender=sender,
                sent_at=sent_at,
                categories=(category,),
                rule_ids=(rule,),
                severity=severity,
                urgent=urgent and chat.platform != "whatsapp",
                offence_number=offence_number,
            )
            handled = _handling(random_, flagged, school)
            if handled.decision == "closed" and (await s.chat_state(chat)).closed:
                handled = replace(handled, decision="deleted")
            await add_incident(s, flagged, handled)
            await _reopen_later(s, random_, closed, sent_at)
            if chat.chat_id not in closed and (await s.chat_state(chat)).closed:
                state = await s.chat_state(chat)
                assert state.changed_at is not None
                closer = next(c for c in _slt(school) if c.platform == chat.platform)
                closed[chat.chat_id] = (school, chat, state.changed_at, closer)
        for school, _, _ in SCHOOLS:
            for n in range(WEEKS * 7):
                day = start + timedelta(days=n, hours=12)
                for _, chat in (c for c in chats if c[0] == school):
                    if chat.platform == "whatsapp":
                        continue
                    for _ in range(random_.randint(MESSAGES_A_DAY // 2, MESSAGES_A_DAY * 3 // 2)):
                        await s.count_message(
                            school, _said(chat, senders[chat.chat_id][0], day), flagged=False
                        )
        for school, chat in chats:
            if chat.platform == "whatsapp":
                await s.audit(
                    at=start + timedelta(weeks=WEEKS, days=2),
                    school_id=school,
                    actor=UserRef("whatsapp", "scan", "schoolgate scan"),
                    action="record_export",
                    target=chat.chat_id,
                    detail="recorded from the export",
                )
    return term_config(db)


def _said(chat: ChatRef, sender: UserRef, at: datetime) -> ChatMessage:
    # Marked edited: counted, without moving the chat's last message seen.
    return ChatMessage(chat=chat, author=sender, message_id="-", text="", sent_at=at, edited=True)


def _handling(random_: random.Random, flagged: Flagged, school: str) -> Handled:
    if flagged.chat.platform == "whatsapp":
        return Handled(reminded=False)
    slt = [c for c in _slt(school) if c.platform == flagged.chat.platform]
    alert = flagged.urgent or flagged.severity != "low" or flagged.offence_number >= 2
    if not alert:
        return Handled()
    hour = flagged.sent_at.hour
    night = hour >= 21 or hour < 7
    digest = night and not flagged.urgent and flagged.severity == "low"
    if digest:
        morning = flagged.sent_at.replace(hour=7, minute=0, second=0, microsecond=0)
        if hour >= 21:
            morning += timedelta(days=1)
        alerted_after = morning - flagged.sent_at
    else:
        alerted_after = timedelta(seconds=random_.uniform(2, 40))
    # Urgent ones are seen within the hour; the rest within a working day, a few much later.
    minutes = random_.lognormvariate(2.5 if flagged.urgent else 4.2, 0.9)
    roll = random_.random()
    if roll < 0.06:
        return Handled(alert_to=tuple(slt), alerted_after=alerted_after, in_digest=digest)
    dismiss = DISMISS_RATE.get(flagged.rule_ids[0], 0.05)
    if roll < 0.06 + dismiss:
        decision = "dismissed"
    elif flagged.urgent and roll > 0.97:
        decision = "closed"
    elif roll > 0.7:
        decision = "deleted"
    else:
        decision = "dismissed" if roll < 0.1 + dismiss else "deleted"
    return Handled(
        alert_to=tuple(slt),
        alerted_after=alerted_after,
        in_digest=digest,
        decision=decision,
        decided_after=timedelta(minutes=minutes),
        decider=random_.choice(slt),
        closing_reason="" if random_.random() < 0.5 else "Messages about a child escalating",
    )


async def _reopen_later(
    s: Session,
    random_: random.Random,
    closed: dict[str, tuple[str, ChatRef, datetime, UserRef]],
    now: datetime,
) -> None:
    """Closed chats reopen a day or two later."""
    for chat_id, (school, chat, since, by) in list(closed.items()):
        if now - since > timedelta(hours=random_.uniform(20, 50)):
            reason = random_.choice(("Calm again after a word with parents", ""))
            await reopen(s, school, chat, by, since + timedelta(hours=20), reason)
            del closed[chat_id]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path, help="where to write term.sqlite3 and term.yaml")
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args()
    db = args.folder / "term.sqlite3"
    if db.exists():
        parser.error(f"{db} exists already")
    asyncio.run(generate(db, seed=args.seed))
    (args.folder / "term.yaml").write_text(config_yaml(db), "utf-8")
    print(f"wrote {db} and {args.folder / 'term.yaml'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
