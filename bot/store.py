"""Durable state in one SQLite file (aiosqlite, WAL): incidents, the outbox, the audit log,
chat state, acknowledgements and counters.

One connection, one lock: every statement runs inside `read()` or `transaction()`, so a reader
never sees another coroutine's half-written transaction. Only flagged messages have their text
stored; for everything else the store keeps counts.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sqlite3
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import aiosqlite
from pydantic import TypeAdapter

from bot.excerpt import kept_text
from bot.migrations import MIGRATIONS
from bot.model import (
    Action,
    Alert,
    ChatMessage,
    ChatRef,
    CloseChat,
    Delete,
    Delivery,
    Digest,
    Notice,
    Remind,
    ReopenChat,
    SettleAlert,
    UserRef,
    Welcome,
    action_platform,
)

log = logging.getLogger(__name__)
# aiosqlite logs every statement with its parameters at DEBUG: flagged words, senders' ids.
# Its DEBUG lines stay off whatever level the bot runs at.
logging.getLogger("aiosqlite").setLevel(logging.INFO)

ActionKind = Literal[
    "remind", "alert", "delete", "notice", "close", "reopen", "welcome", "settle_alert", "digest"
]
_KINDS: dict[type[Any], ActionKind] = {
    Remind: "remind",
    Alert: "alert",
    Delete: "delete",
    Notice: "notice",
    CloseChat: "close",
    ReopenChat: "reopen",
    Welcome: "welcome",
    SettleAlert: "settle_alert",
    Digest: "digest",
}
_ADAPTERS: dict[str, TypeAdapter[Any]] = {kind: TypeAdapter(cls) for cls, kind in _KINDS.items()}


def kind_of(action: Action) -> ActionKind:
    return _KINDS[type(action)]


def encode_action(action: Action) -> str:
    return _ADAPTERS[kind_of(action)].dump_json(action).decode()


def decode_action(kind: str, payload: str) -> Action:
    action: Action = _ADAPTERS[kind].validate_json(payload)
    return action


def lane_of(action: Action, incident_id: int | None = None) -> str:
    """Actions in one lane are delivered one after another, in the order they were stored:
    a closing notice goes out before the chat is locked. Reminders queue per person, so one
    parent's reminder waiting out a failing platform does not hold up another's. Alerts queue
    per person and incident: an SLT contact's alert stuck in back-off does not hold up their
    alerts about other incidents, while a note about an incident, or the edit that settles
    it, still follows its alert."""
    if isinstance(action, Alert | SettleAlert):
        about = f"i{incident_id}" if incident_id is not None else action.key
        return f"{action.recipient.platform}:dm:{action.recipient.user_id}:{about}"
    if isinstance(action, Remind):
        return f"{action.user.platform}:dm:{action.user.user_id}"
    if isinstance(action, Digest):
        return f"{action.recipient.platform}:dm:{action.recipient.user_id}:digest"
    return f"{action.chat.platform}:{action.chat.chat_id}"


def person(user: UserRef) -> str:
    """How records name a person: "platform:user id"."""
    return f"{user.platform}:{user.user_id}"


def subject_of(action: Action) -> str | None:
    """The person an action is for, for a data subject's export and erasure."""
    return person(action.user) if isinstance(action, Remind | Welcome) else None


_END_OF_TIME = datetime(9999, 1, 1, tzinfo=UTC)


def ts(moment: datetime) -> float:
    return moment.timestamp()


def _dt(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


@dataclass(frozen=True, slots=True)
class IncidentRow:
    id: int
    key: str
    school_id: str
    chat: ChatRef
    message_id: str
    user: UserRef
    text: str
    sent_at: datetime
    created_at: datetime
    edited: bool
    categories: tuple[str, ...]
    severity: str
    findings: tuple[dict[str, Any], ...]
    offence_number: int
    urgent: bool
    status: str  # open | dismissed | deleted | closed (decided from the alert)
    resolved_by: str | None
    resolved_at: datetime | None = None
    resolved_by_name: str = ""
    # Characters in the whole message; `text` holds only the parts around what was flagged when
    # this is longer than it (bot/excerpt.py).
    length: int = 0
    # Recorded in observe mode: what enforce mode would have done (remind, alert, delete), of
    # which only the alert was sent. None: enforced.
    observed: tuple[str, ...] | None = None

    @property
    def decided(self) -> bool:
        return self.status != "open"


@dataclass(frozen=True, slots=True)
class ActionRow:
    id: int
    key: str
    kind: ActionKind
    platform: str
    lane: str
    school_id: str | None
    incident_id: int | None
    status: str  # pending | done | failed
    attempts: int
    next_attempt_at: datetime
    created_at: datetime
    path: str | None  # how it was delivered
    state: str | None
    note: str
    action: Action
    # When an attempt whose outcome is unknown began (the process stopped, or the answer was
    # lost): the platform may already have it.
    unsure_since: datetime | None = None
    blind_resends: int = 0  # times sent again while the platform could not say if it had it
    message: str | None = None  # where the platform put what was sent (Delivery.message)


@dataclass(frozen=True, slots=True)
class AuditRow:
    at: datetime
    school_id: str | None
    platform: str
    actor_id: str
    actor_name: str
    action: str
    target: str
    outcome: str  # ok | refused
    detail: str


@dataclass(frozen=True, slots=True)
class AckRow:
    platform: str
    user_id: str
    school_id: str
    code_version: str
    chat_id: str | None
    at: datetime


@dataclass(frozen=True, slots=True)
class ChatState:
    platform: str
    chat_id: str
    status: str  # open | closed
    changed_at: datetime | None
    changed_by: str | None
    reason: str
    saved_state: str | None
    last_seen_id: str | None
    changed_by_name: str = ""
    changed_by_role: str | None = None  # a bot.roles.Role value; None: not known

    @property
    def closed(self) -> bool:
        return self.status == "closed"


@dataclass(frozen=True, slots=True)
class NewIncident:
    key: str
    school_id: str
    message: ChatMessage
    categories: tuple[str, ...]
    severity: str
    findings: tuple[dict[str, Any], ...]
    offence_number: int
    urgent: bool
    observed: tuple[str, ...] | None = None  # as IncidentRow.observed


@dataclass(frozen=True, slots=True)
class Handling:
    """What the outbox holds about one incident, for reviewing how it was handled."""

    reminded: bool  # a reminder to the sender was delivered (privately, or as a nudge)
    deleted: bool  # the message was deleted (by the policy, or from an alert)
    alerted: bool  # SLT were sent an alert about it, on its own or in a digest
    alerted_at: datetime | None  # when the first of those alerts was delivered


# What counts as one of a sender's offences: their incidents in a school since a time, except
# those SLT dismissed as not a breach. Parameters: school id, platform, user id, since.
_OFFENCE = (
    "school_id = ? AND platform = ? AND user_id = ? AND created_at >= ? AND status != 'dismissed'"
)


def _offence(with_observed: bool) -> str:
    # A parent is never told of an incident recorded in observe mode, so in enforce mode it is
    # no offence; observe mode counts it, to show what enforcing all along would have done.
    return _OFFENCE if with_observed else f"{_OFFENCE} AND observed IS NULL"


_INCIDENT_COLUMNS = (
    "id, key, school_id, platform, chat_id, thread_id, chat_title, message_id, user_id, "
    "user_name, text, sent_at, created_at, edited, categories, severity, findings, "
    "offence_number, urgent, status, resolved_by, resolved_at, resolved_by_name, length, observed"
)
_ACTION_COLUMNS = (
    "id, key, kind, platform, lane, school_id, incident_id, status, attempts, next_attempt_at, "
    "created_at, path, state, note, payload, unsure_since, blind_resends, message"
)

_HEAD_COLUMNS = ", ".join(f"a.{column.strip()}" for column in _ACTION_COLUMNS.split(","))


def _flagged_spans(findings: Sequence[dict[str, Any]]) -> list[tuple[int, int]]:
    return [(int(f["span"]["start"]), int(f["span"]["end"])) for f in findings if "span" in f]


def _incident(row: Sequence[Any]) -> IncidentRow:
    platform = row[3]
    return IncidentRow(
        id=row[0],
        key=row[1],
        school_id=row[2],
        chat=ChatRef(platform, row[4], row[6], row[5]),
        message_id=row[7],
        user=UserRef(platform, row[8], row[9]),
        text=row[10],
        sent_at=_dt(row[11]),
        created_at=_dt(row[12]),
        edited=bool(row[13]),
        categories=tuple(json.loads(row[14])),
        severity=row[15],
        findings=tuple(json.loads(row[16])),
        offence_number=row[17],
        urgent=bool(row[18]),
        status=row[19],
        resolved_by=row[20],
        resolved_at=None if row[21] is None else _dt(row[21]),
        resolved_by_name=row[22],
        length=row[23],
        observed=None if row[24] is None else tuple(json.loads(row[24])),
    )


def _action(row: Sequence[Any]) -> ActionRow:
    return ActionRow(
        id=row[0],
        key=row[1],
        kind=row[2],
        platform=row[3],
        lane=row[4],
        school_id=row[5],
        incident_id=row[6],
        status=row[7],
        attempts=row[8],
        next_attempt_at=_dt(row[9]),
        created_at=_dt(row[10]),
        path=row[11],
        state=row[12],
        note=row[13],
        action=decode_action(row[2], row[14]),
        unsure_since=None if row[15] is None else _dt(row[15]),
        blind_resends=row[16],
        message=row[17],
    )


class Session:
    """Statements on the store's connection; obtained from `Store.read()` or `transaction()`."""

    def __init__(self, db: aiosqlite.Connection) -> None:
        self.db = db

    async def _all(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        async with self.db.execute(sql, params) as cursor:
            return list(await cursor.fetchall())

    async def _one(self, sql: str, params: Sequence[Any] = ()) -> Any:
        async with self.db.execute(sql, params) as cursor:
            return await cursor.fetchone()

    # ---- messages and incidents ----

    async def count_message(
        self, school_id: str, message: ChatMessage, *, flagged: bool, seen: bool = True
    ) -> None:
        """Count a checked message and, with `seen`, remember it as the last seen in its chat
        (no text): a catch-up reads the chat from there."""
        day = message.sent_at.astimezone(UTC).date().isoformat()
        await self.db.execute(
            "INSERT INTO counters (school_id, platform, chat_id, day, checked, flagged) "
            "VALUES (?, ?, ?, ?, 1, ?) ON CONFLICT DO UPDATE SET checked = checked + 1, "
            "flagged = flagged + excluded.flagged",
            (school_id, message.chat.platform, message.chat.chat_id, day, int(flagged)),
        )
        if seen and not message.edited:
            await self.db.execute(
                "INSERT INTO chats (platform, chat_id, school_id, last_seen_id) "
                "VALUES (?, ?, ?, ?) ON CONFLICT DO UPDATE "
                "SET last_seen_id = excluded.last_seen_id",
                (message.chat.platform, message.chat.chat_id, school_id, message.message_id),
            )

    async def has_incident(self, chat: ChatRef, message_id: str) -> bool:
        row = await self._one(
            "SELECT 1 FROM incidents WHERE platform = ? AND chat_id = ? AND message_id = ?",
            (chat.platform, chat.chat_id, message_id),
        )
        return row is not None

    async def offences(
        self,
        school_id: str,
        user: UserRef,
        since: datetime,
        limit: int = 10,
        *,
        with_observed: bool = False,
    ) -> list[IncidentRow]:
        """The sender's incidents since a time, newest first; dismissed ones do not count, nor
        those recorded in observe mode unless `with_observed`."""
        rows = await self._all(
            f"SELECT {_INCIDENT_COLUMNS} FROM incidents WHERE {_offence(with_observed)} "
            "ORDER BY created_at DESC, id DESC LIMIT ?",
            (school_id, user.platform, user.user_id, ts(since), limit),
        )
        return [_incident(r) for r in rows]

    async def count_offences(
        self, school_id: str, user: UserRef, since: datetime, *, with_observed: bool = False
    ) -> int:
        row = await self._one(
            f"SELECT count(*) FROM incidents WHERE {_offence(with_observed)}",
            (school_id, user.platform, user.user_id, ts(since)),
        )
        return int(row[0])

    async def add_incident(self, incident: NewIncident, created_at: datetime) -> int:
        m = incident.message
        cursor = await self.db.execute(
            "INSERT INTO incidents (key, school_id, platform, chat_id, thread_id, chat_title, "
            "message_id, user_id, user_name, text, sent_at, created_at, edited, categories, "
            "severity, findings, offence_number, urgent, length, observed) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                incident.key,
                incident.school_id,
                m.chat.platform,
                m.chat.chat_id,
                m.chat.thread_id,
                m.chat.title,
                m.message_id,
                m.author.user_id,
                m.author.display_name,
                kept_text(m.text, _flagged_spans(incident.findings)),
                ts(m.sent_at),
                ts(created_at),
                int(m.edited),
                json.dumps(list(incident.categories)),
                incident.severity,
                json.dumps(list(incident.findings)),
                incident.offence_number,
                int(incident.urgent),
                len(m.text),
                None if incident.observed is None else json.dumps(list(incident.observed)),
            ),
        )
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    async def incident(self, key: str) -> IncidentRow | None:
        row = await self._one(f"SELECT {_INCIDENT_COLUMNS} FROM incidents WHERE key = ?", (key,))
        return _incident(row) if row else None

    async def incidents(
        self,
        *,
        school_id: str | None = None,
        chat: ChatRef | None = None,
        user: UserRef | None = None,
        limit: int = 1000,
    ) -> list[IncidentRow]:
        scope = chat or user
        where, params = _where(
            school_id=school_id,
            platform=scope.platform if scope else None,
            chat_id=chat.chat_id if chat else None,
            user_id=user.user_id if user else None,
        )
        rows = await self._all(
            f"SELECT {_INCIDENT_COLUMNS} FROM incidents {where} ORDER BY id DESC LIMIT ?",
            (*params, limit),
        )
        return [_incident(r) for r in reversed(rows)]

    async def resolve_incident(self, key: str, status: str, by: UserRef, at: datetime) -> bool:
        """Record an incident's decision; False when it was already decided (the first stands)."""
        cursor = await self.db.execute(
            "UPDATE incidents SET status = ?, resolved_by = ?, resolved_by_name = ?, "
            "resolved_at = ? WHERE key = ? AND status = 'open'",
            (status, person(by), by.display_name, ts(at), key),
        )
        return cursor.rowcount > 0

    # ---- the outbox ----

    async def add_actions(
        self,
        actions: Iterable[Action],
        now: datetime,
        *,
        school_id: str | None,
        incident_id: int | None = None,
        not_before: datetime | None = None,
    ) -> int:
        """Store actions to deliver; an action whose key is already stored is skipped."""
        due = ts(not_before or now)
        rows = [
            (
                a.key,
                kind_of(a),
                action_platform(a),
                lane_of(a, incident_id),
                school_id,
                incident_id,
                subject_of(a),
                encode_action(a),
                due,
                ts(now),
                ts(now),
            )
            for a in actions
        ]
        before = self.db.total_changes
        await self.db.executemany(
            "INSERT INTO actions (key, kind, platform, lane, school_id, incident_id, subject, "
            "payload, next_attempt_at, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO NOTHING",
            rows,
        )
        return self.db.total_changes - before

    async def pending_count(self) -> int:
        """Actions stored and not yet delivered or given up on."""
        row = await self._one("SELECT count(*) FROM actions WHERE status = 'pending'")
        return int(row[0])

    async def due_actions(
        self,
        now: datetime,
        busy_lanes: Iterable[str],
        limit: int = 64,
        *,
        waiting_platforms: Iterable[str] = (),
    ) -> list[ActionRow]:
        """Pending actions that are due and first in their lane, skipping lanes in flight and
        platforms that have not started yet.

        Walks the lanes that have pending actions (an index seek each, in the partial index of
        pending rows) rather than the backlog, so a long queue behind a rate-limited head
        costs nothing here."""
        busy, waiting = list(busy_lanes), list(waiting_platforms)
        skip = f"AND a.lane NOT IN ({','.join('?' * len(busy))}) " if busy else ""
        if waiting:
            skip += f"AND a.platform NOT IN ({','.join('?' * len(waiting))}) "
        rows = await self._all(
            "WITH RECURSIVE lanes(lane) AS ("
            " SELECT min(lane) FROM actions WHERE status = 'pending'"
            " UNION ALL"
            " SELECT (SELECT min(lane) FROM actions WHERE status = 'pending' AND lane > lanes.lane)"
            " FROM lanes WHERE lanes.lane IS NOT NULL) "
            f"SELECT {_HEAD_COLUMNS} FROM lanes JOIN actions a ON a.id = "
            "(SELECT min(id) FROM actions WHERE status = 'pending' AND lane = lanes.lane) "
            f"WHERE a.next_attempt_at <= ? {skip}ORDER BY a.next_attempt_at, a.id LIMIT ?",
            (ts(now), *busy, *waiting, limit),
        )
        return [_action(r) for r in rows]

    async def next_due(
        self, busy_lanes: Iterable[str], *, waiting_platforms: Iterable[str] = ()
    ) -> datetime | None:
        """When the next action that is first in its lane falls due."""
        heads = await self.due_actions(
            _END_OF_TIME, busy_lanes, limit=1, waiting_platforms=waiting_platforms
        )
        return heads[0].next_attempt_at if heads else None

    async def action(self, key: str) -> ActionRow | None:
        row = await self._one(f"SELECT {_ACTION_COLUMNS} FROM actions WHERE key = ?", (key,))
        return _action(row) if row else None

    async def actions(
        self,
        *,
        kind: str | None = None,
        status: str | None = None,
        incident_id: int | None = None,
        subject: str | None = None,
    ) -> list[ActionRow]:
        where, params = _where(kind=kind, status=status, incident_id=incident_id, subject=subject)
        rows = await self._all(f"SELECT {_ACTION_COLUMNS} FROM actions {where} ORDER BY id", params)
        return [_action(r) for r in rows]

    async def replace_action(self, action_id: int, action: Action, now: datetime) -> None:
        """Rewrite a pending action's content (a digest gathering one more item)."""
        await self.db.execute(
            "UPDATE actions SET payload = ?, updated_at = ? WHERE id = ? AND status = 'pending'",
            (encode_action(action), ts(now), action_id),
        )

    async def begin_attempt(self, action_id: int, now: datetime, *, blind: bool = False) -> None:
        """Written (and committed) before the platform is called: until the outcome is
        recorded, the action may or may not have got through. `blind` counts a resend the
        platform could not confirm was needed."""
        await self.db.execute(
            "UPDATE actions SET attempts = attempts + 1, unsure_since = coalesce(unsure_since, ?), "
            "blind_resends = blind_resends + ?, updated_at = ? WHERE id = ?",
            (ts(now), int(blind), ts(now), action_id),
        )

    async def mark_done(self, action_id: int, delivery: Delivery, now: datetime) -> None:
        await self.db.execute(
            "UPDATE actions SET status = 'done', path = ?, state = ?, note = ?, message = ?, "
            "unsure_since = NULL, updated_at = ? WHERE id = ?",
            (delivery.path, delivery.state, delivery.note, delivery.message, ts(now), action_id),
        )

    async def mark_retry(
        self,
        action_id: int,
        at: datetime,
        note: str,
        now: datetime,
        *,
        unsure_since: datetime | None,
    ) -> None:
        """Try again at `at`; `unsure_since` is when the earliest attempt that may have got
        through began (None: none did)."""
        await self.db.execute(
            "UPDATE actions SET next_attempt_at = ?, note = ?, unsure_since = ?, updated_at = ? "
            "WHERE id = ?",
            (ts(at), note, None if unsure_since is None else ts(unsure_since), ts(now), action_id),
        )

    async def mark_failed(self, action_id: int, note: str, now: datetime) -> None:
        await self.db.execute(
            "UPDATE actions SET status = 'failed', note = ?, unsure_since = NULL, updated_at = ? "
            "WHERE id = ?",
            (note, ts(now), action_id),
        )

    # ---- chats ----

    async def chat_state(self, chat: ChatRef) -> ChatState:
        row = await self._one(
            "SELECT status, changed_at, changed_by, reason, saved_state, last_seen_id, "
            "changed_by_name, changed_by_role FROM chats WHERE platform = ? AND chat_id = ?",
            (chat.platform, chat.chat_id),
        )
        if row is None:
            return ChatState(chat.platform, chat.chat_id, "open", None, None, "", None, None)
        changed_at = None if row[1] is None else _dt(row[1])
        return ChatState(chat.platform, chat.chat_id, row[0], changed_at, *row[2:])

    async def set_chat_status(
        self,
        chat: ChatRef,
        school_id: str,
        status: str,
        by: UserRef,
        reason: str,
        at: datetime,
        *,
        role: str | None = None,
    ) -> None:
        """Open or close a chat; `role` is the role the person acted in (see bot.roles)."""
        await self.db.execute(
            "INSERT INTO chats (platform, chat_id, school_id, status, changed_at, changed_by, "
            "changed_by_name, changed_by_role, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT DO UPDATE SET status = excluded.status, "
            "changed_at = excluded.changed_at, changed_by = excluded.changed_by, "
            "changed_by_name = excluded.changed_by_name, "
            "changed_by_role = excluded.changed_by_role, reason = excluded.reason",
            (
                chat.platform,
                chat.chat_id,
                school_id,
                status,
                ts(at),
                person(by),
                by.display_name,
                role,
                reason,
            ),
        )

    async def save_chat_state(self, chat: ChatRef, state: str | None) -> None:
        """Keep what the platform reported when it locked the chat, to restore it on reopening."""
        await self.db.execute(
            "UPDATE chats SET saved_state = ? WHERE platform = ? AND chat_id = ?",
            (state, chat.platform, chat.chat_id),
        )

    # ---- audit and acknowledgements ----

    async def audit(
        self,
        *,
        at: datetime,
        school_id: str | None,
        actor: UserRef,
        action: str,
        target: str = "",
        outcome: str = "ok",
        detail: str = "",
    ) -> None:
        await self.db.execute(
            "INSERT INTO audit (at, school_id, platform, actor_id, actor_name, action, target, "
            "outcome, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                ts(at),
                school_id,
                actor.platform,
                actor.user_id,
                actor.display_name,
                action,
                target,
                outcome,
                detail,
            ),
        )

    async def audit_log(self, *, actor: UserRef | None = None, limit: int = 1000) -> list[AuditRow]:
        where, params = _where(
            platform=actor.platform if actor else None, actor_id=actor.user_id if actor else None
        )
        rows = await self._all(
            "SELECT at, school_id, platform, actor_id, actor_name, action, target, outcome, "
            f"detail FROM audit {where} ORDER BY id DESC LIMIT ?",
            (*params, limit),
        )
        return [AuditRow(_dt(r[0]), *r[1:]) for r in reversed(rows)]

    async def acknowledge(
        self, user: UserRef, school_id: str, version: str, chat_id: str | None, at: datetime
    ) -> bool:
        """Record that a member accepted a version of the code; False if already recorded."""
        cursor = await self.db.execute(
            "INSERT INTO acknowledgements (platform, user_id, school_id, code_version, chat_id, "
            "at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            (user.platform, user.user_id, school_id, version, chat_id, ts(at)),
        )
        return cursor.rowcount > 0

    async def has_acknowledged(self, user: UserRef, school_id: str, version: str) -> bool:
        row = await self._one(
            "SELECT 1 FROM acknowledgements WHERE platform = ? AND user_id = ? AND school_id = ? "
            "AND code_version = ?",
            (user.platform, user.user_id, school_id, version),
        )
        return row is not None

    async def acknowledgements(self, *, user: UserRef | None = None) -> list[AckRow]:
        where, params = _where(
            platform=user.platform if user else None, user_id=user.user_id if user else None
        )
        rows = await self._all(
            "SELECT platform, user_id, school_id, code_version, chat_id, at "
            f"FROM acknowledgements {where} ORDER BY at",
            params,
        )
        return [AckRow(r[0], r[1], r[2], r[3], r[4], _dt(r[5])) for r in rows]

    async def counters(self) -> list[tuple[str, str, str, str, int, int]]:
        """(school, platform, chat, day, checked, flagged) rows."""
        rows = await self._all(
            "SELECT school_id, platform, chat_id, day, checked, flagged FROM counters "
            "ORDER BY day, school_id, platform, chat_id"
        )
        return [tuple(r) for r in rows]

    # ---- review and reports (reads only) ----

    async def incident_by_id(self, incident_id: int) -> IncidentRow | None:
        row = await self._one(
            f"SELECT {_INCIDENT_COLUMNS} FROM incidents WHERE id = ?", (incident_id,)
        )
        return _incident(row) if row else None

    async def open_incidents(self, school_id: str, since: datetime) -> list[IncidentRow]:
        """A school's undecided incidents created since a time, oldest first."""
        rows = await self._all(
            f"SELECT {_INCIDENT_COLUMNS} FROM incidents WHERE school_id = ? AND status = 'open' "
            "AND created_at >= ? ORDER BY created_at, id",
            (school_id, ts(since)),
        )
        return [_incident(r) for r in rows]

    async def incidents_sent(
        self, school_ids: Sequence[str], since: datetime, until: datetime
    ) -> list[IncidentRow]:
        """The schools' incidents whose message was sent in [since, until), oldest first. By
        the time sent, not stored: an exported WhatsApp chat is recorded long after."""
        marks = ",".join("?" * len(school_ids))
        rows = await self._all(
            f"SELECT {_INCIDENT_COLUMNS} FROM incidents WHERE school_id IN ({marks}) "
            "AND sent_at >= ? AND sent_at < ? ORDER BY sent_at, id",
            (*school_ids, ts(since), ts(until)),
        )
        return [_incident(r) for r in rows]

    async def handling(
        self, school_ids: Sequence[str], since: datetime, until: datetime
    ) -> dict[int, Handling]:
        """How each incident of `incidents_sent` was handled, by incident id; those the outbox
        holds nothing about are left out. An alert is about the incidents its buttons name (a
        quiet-hours digest names several); only alerts stored against an incident count, not
        the pages of an `/incidents` listing, which are sent on request."""
        marks = ",".join("?" * len(school_ids))
        scope = f"i.school_id IN ({marks}) AND i.sent_at >= ? AND i.sent_at < ?"
        params = (*school_ids, ts(since), ts(until))
        done: dict[int, set[str]] = {}
        for incident_id, kind in await self._all(
            "SELECT DISTINCT i.id, a.kind FROM actions a JOIN incidents i ON i.id = a.incident_id "
            f"WHERE a.kind IN ('remind', 'delete') AND a.status = 'done' AND {scope}",
            params,
        ):
            done.setdefault(incident_id, set()).add(kind)
        alerted: dict[int, float | None] = {}
        for incident_id, delivered in await self._all(
            "WITH about(key, delivered) AS ("
            " SELECT DISTINCT json_extract(b.value, '$.key'),"
            "  CASE WHEN a.status = 'done' THEN a.updated_at END"
            " FROM actions a, json_each(a.payload, '$.buttons') b"
            " WHERE a.kind = 'alert' AND a.incident_id IS NOT NULL) "
            "SELECT i.id, min(about.delivered) FROM incidents i JOIN about ON about.key = i.key "
            f"WHERE {scope} GROUP BY i.id",
            params,
        ):
            alerted[incident_id] = delivered
        handled = {}
        for incident_id in done.keys() | alerted.keys():
            delivered = alerted.get(incident_id)
            handled[incident_id] = Handling(
                reminded="remind" in done.get(incident_id, ()),
                deleted="delete" in done.get(incident_id, ()),
                alerted=incident_id in alerted,
                alerted_at=None if delivered is None else _dt(delivered),
            )
        return handled

    async def audit_entries(
        self,
        *,
        school_ids: Sequence[str] = (),
        since: datetime | None = None,
        until: datetime | None = None,
        actions: Sequence[str] = (),
        target: str | None = None,
    ) -> list[AuditRow]:
        """Audit entries, oldest first, narrowed by school, time [since, until), action and
        target."""
        conditions: list[str] = []
        params: list[Any] = []
        for column, values in (("school_id", school_ids), ("action", actions)):
            if values:
                conditions.append(f"{column} IN ({','.join('?' * len(values))})")
                params.extend(values)
        for sql, value in (("at >= ?", since), ("at < ?", until)):
            if value is not None:
                conditions.append(sql)
                params.append(ts(value))
        if target is not None:
            conditions.append("target = ?")
            params.append(target)
        where = f"WHERE {' AND '.join(conditions)}" if conditions else ""
        rows = await self._all(
            "SELECT at, school_id, platform, actor_id, actor_name, action, target, outcome, "
            f"detail FROM audit {where} ORDER BY at, id",
            params,
        )
        return [AuditRow(_dt(r[0]), *r[1:]) for r in rows]

    # ---- retention and data subjects ----

    async def purge(self, school_id: str, before: datetime) -> int:
        """Delete a school's records older than `before` (actions go with their incidents)."""
        cutoff = ts(before)
        removed = 0
        for sql in (
            "DELETE FROM incidents WHERE school_id = ? AND created_at < ?",
            "DELETE FROM actions WHERE school_id = ? AND status != 'pending' AND created_at < ?",
            "DELETE FROM audit WHERE school_id = ? AND at < ?",
            "DELETE FROM acknowledgements WHERE school_id = ? AND at < ?",
        ):
            cursor = await self.db.execute(sql, (school_id, cutoff))
            removed += max(cursor.rowcount, 0)
        return removed

    async def export_user(self, platform: str, user_id: str) -> dict[str, Any]:
        """Everything held about one person, as plain JSON-ready data."""
        user = UserRef(platform, user_id)
        return {
            "user": person(user),
            "incidents": [_incident_export(i) for i in await self.incidents(user=user)],
            "messages_sent_to_them": [
                {
                    "kind": a.kind,
                    "created_at": a.created_at.isoformat(),
                    "status": a.status,
                    "path": a.path,
                    "text": getattr(a.action, "text", ""),
                }
                for a in await self.actions(subject=person(user))
            ],
            "audit": [
                {
                    "at": e.at.isoformat(),
                    "school": e.school_id,
                    "action": e.action,
                    "target": e.target,
                    "outcome": e.outcome,
                    "detail": e.detail,
                }
                for e in await self.audit_log(actor=user)
            ],
            "acknowledgements": [
                {
                    "school": a.school_id,
                    "code_version": a.code_version,
                    "chat": a.chat_id,
                    "at": a.at.isoformat(),
                }
                for a in await self.acknowledgements(user=user)
            ],
        }

    async def erase_user(self, platform: str, user_id: str) -> dict[str, int]:
        """Erase one person's records; audit entries and the chats they closed or reopened stay,
        with the person removed."""
        subject = person(UserRef(platform, user_id))
        counts: dict[str, int] = {}
        for name, sql, params in (
            (
                "incidents",
                "DELETE FROM incidents WHERE platform = ? AND user_id = ?",
                (platform, user_id),
            ),
            ("actions", "DELETE FROM actions WHERE subject = ?", (subject,)),
            (
                "acknowledgements",
                "DELETE FROM acknowledgements WHERE platform = ? AND user_id = ?",
                (platform, user_id),
            ),
            (
                "audit",
                "UPDATE audit SET actor_id = 'erased', actor_name = '' "
                "WHERE platform = ? AND actor_id = ?",
                (platform, user_id),
            ),
            (
                "resolutions",
                "UPDATE incidents SET resolved_by = 'erased', resolved_by_name = '' "
                "WHERE resolved_by = ?",
                (subject,),
            ),
            (
                "chat changes",
                "UPDATE chats SET changed_by = 'erased', changed_by_name = '' WHERE changed_by = ?",
                (subject,),
            ),
        ):
            cursor = await self.db.execute(sql, params)
            counts[name] = max(cursor.rowcount, 0)
        return counts


def _incident_export(row: IncidentRow) -> dict[str, Any]:
    return {
        "key": row.key,
        "school": row.school_id,
        "chat": row.chat.chat_id,
        "chat_title": row.chat.title,
        "message_id": row.message_id,
        "text": row.text,
        "length": row.length,
        "sent_at": row.sent_at.isoformat(),
        "categories": list(row.categories),
        "severity": row.severity,
        "reasons": [f.get("reason", "") for f in row.findings],
        "status": row.status,
    }


def _where(**conditions: Any) -> tuple[str, list[Any]]:
    """`WHERE a = ? AND b = ?` for the conditions given (None means no condition)."""
    used = {column: value for column, value in conditions.items() if value is not None}
    sql = " AND ".join(f"{column} = ?" for column in used)
    return (f"WHERE {sql}" if sql else ""), list(used.values())


class NewerDatabaseError(RuntimeError):
    """The database was migrated by a newer version of the code: this one must not touch it."""


class DatabaseMissing(RuntimeError):
    """There is no database file where the config says, and the store was told not to create
    one: a fresh empty database would silently forget every incident, offence and audit entry
    kept in the one that should be there."""


class DatabaseGone(RuntimeError):
    """The database file was deleted, or another file put in its place, while the store had it
    open. Nothing more is read or written through the open connection: what it wrote now would
    go into a file no one can open again. What it holds can still be saved (`copy_into`)."""


# Storing failed because of the disk, the filesystem or the file, not the code: a full disk
# ("database or disk is full"), a read-only filesystem ("attempt to write a readonly
# database"), an I/O error, the file deleted. Trying again later can succeed.
STORAGE_FAULTS: tuple[type[Exception], ...] = (sqlite3.OperationalError, OSError, DatabaseGone)


def create_private(path: Path) -> None:
    """Create the database file readable by its owner only, unless it exists. SQLite gives its
    -wal and -shm files the database file's permissions, so they are private too. The folder
    must exist: a missing one means a wrong path, not a fresh empty database to make."""
    if not path.parent.is_dir():
        raise FileNotFoundError(f"{path}: the folder {path.parent} does not exist")
    with suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def _identity(path: Path) -> tuple[int, int]:
    """Which file is at the path: its device and inode."""
    found = os.stat(path)
    return found.st_dev, found.st_ino


class Store:
    """The database. `await store.open()` before use; `await store.close()` after.

    `create=False` opens only a database that exists (`DatabaseMissing` otherwise): `run` never
    makes an empty one where one is expected. While open, every read and transaction first
    checks that the file at the path is still the one opened (a `stat`, microseconds against a
    commit's milliseconds), and raises `DatabaseGone` if it was deleted or replaced; `gone` is
    set from then on, for the app to stop on."""

    def __init__(
        self, path: str | Path, *, synchronous: str = "NORMAL", create: bool = True
    ) -> None:
        self.path = Path(path)
        self.synchronous = synchronous
        self._create = create
        self.gone = asyncio.Event()
        self.gone_reason = ""
        self._db: aiosqlite.Connection | None = None
        self._file: tuple[int, int] | None = None  # (device, inode) of the file opened
        self._lock = asyncio.Lock()

    async def open(self) -> None:
        if self._db is not None:
            return
        if self._create:
            create_private(self.path)
        elif not self.path.is_file():
            raise DatabaseMissing(f"{self.path}: no database here")
        db = await aiosqlite.connect(self.path, isolation_level=None)
        try:
            await db.execute("PRAGMA journal_mode = WAL")
            await db.execute(f"PRAGMA synchronous = {self.synchronous}")
            await db.execute("PRAGMA foreign_keys = ON")
            await db.execute("PRAGMA busy_timeout = 5000")
            self._file = _identity(self.path)
        except BaseException:
            await db.close()
            raise
        self._db = db
        await self._migrate()

    async def close(self) -> None:
        if self._db is not None:
            async with self._lock:
                await self._db.close()
                self._db = None
                self._file = None

    async def __aenter__(self) -> Store:
        await self.open()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def check_file(self) -> None:
        """Raise `DatabaseGone` unless the file at the path is the one opened."""
        if self._file is None:
            return
        try:
            same = _identity(self.path) == self._file
            problem = "replaced by another file"
        except FileNotFoundError:
            same, problem = False, "deleted"
        if same:
            return
        if not self.gone.is_set():
            self.gone_reason = f"{self.path} was {problem} while the bot had it open"
            self.gone.set()
        raise DatabaseGone(self.gone_reason)

    async def copy_into(self, copy: sqlite3.Connection) -> None:
        """Copy what the open connection holds into another database (`copy` must allow use
        from another thread): once the file was deleted, the only way to its contents."""
        async with self._lock:
            await self._connection().backup(copy)

    async def _migrate(self) -> None:
        async with self.read() as s:
            row = await s._one("PRAGMA user_version")
        version = int(row[0])
        if version > len(MIGRATIONS):
            await self.close()
            raise NewerDatabaseError(
                f"{self.path} was last used by a newer schoolgate (database schema version "
                f"{version}; this one knows up to {len(MIGRATIONS)}): run that version, or "
                "restore the backup taken before the upgrade (docs/operations.md)"
            )
        for number, sql in enumerate(MIGRATIONS[version:], start=version + 1):
            async with self.transaction() as s:
                # executescript would commit; run the statements one by one inside ours.
                for statement in _statements(sql):
                    await s.db.execute(statement)
                await s.db.execute(f"PRAGMA user_version = {number}")
            log.info("database %s migrated to schema version %d", self.path, number)

    @property
    def schema_version(self) -> int:
        return len(MIGRATIONS)

    @asynccontextmanager
    async def read(self) -> AsyncIterator[Session]:
        async with self._lock:
            self.check_file()
            yield Session(self._connection())

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Session]:
        """One atomic write: everything inside commits together or not at all."""
        async with self._lock:
            self.check_file()
            db = self._connection()
            await db.execute("BEGIN IMMEDIATE")
            try:
                yield Session(db)
                await db.execute("COMMIT")
            except BaseException:
                # A COMMIT that failed (the disk full) may have left the transaction open, or
                # SQLite may have rolled it back itself; either way none of it is kept, and
                # the next transaction can begin.
                with suppress(sqlite3.Error):
                    await db.execute("ROLLBACK")
                raise

    def _connection(self) -> aiosqlite.Connection:
        if self._db is None:
            raise RuntimeError("the store is not open")
        return self._db

    # ---- reads, for tests, the CLI and the demo ----

    async def incidents(self, **filters: Any) -> list[IncidentRow]:
        async with self.read() as s:
            return await s.incidents(**filters)

    async def actions(self, **filters: Any) -> list[ActionRow]:
        async with self.read() as s:
            return await s.actions(**filters)

    async def audit_log(self, **filters: Any) -> list[AuditRow]:
        async with self.read() as s:
            return await s.audit_log(**filters)

    async def acknowledgements(self, **filters: Any) -> list[AckRow]:
        async with self.read() as s:
            return await s.acknowledgements(**filters)

    async def chat_state(self, chat: ChatRef) -> ChatState:
        async with self.read() as s:
            return await s.chat_state(chat)


def _statements(script: str) -> list[str]:
    """Split a migration into statements (no semicolons inside our SQL literals)."""
    lines = [line.split("--", 1)[0] for line in script.splitlines()]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]
