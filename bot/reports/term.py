"""The termly report SLT take to governors or Ofsted: what was flagged, where, how it was
handled and how fast, who keeps doing it, and how often the bot was wrong.

Everything comes from the store: incidents (flagged messages only), the outbox, the audit log
and the daily counters, which are all that is kept of messages that were not flagged. The
figures are gathered once into tables (`TermReport`); the HTML page draws its charts from the
same tables it prints beside them, and the JSON and CSV forms are those tables too.
"""

from __future__ import annotations

import csv
import io
import json
import math
import statistics
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from markupsafe import Markup

from bot.config import Config, School
from bot.model import ChatRef
from bot.reports.charts import COLOURS, OTHER, bars, weekly_bars
from bot.reports.render import render
from bot.store import AuditRow, Handling, IncidentRow, Store

Cell = str | int | float | None

PLATFORM_NAMES = {
    "telegram": "Telegram",
    "discord": "Discord",
    "slack": "Slack",
    "local": "Local (demo)",
    "whatsapp": "WhatsApp (recorded export)",
}
DECISIONS = {"dismissed": "not a breach", "deleted": "deleted", "closed": "chat closed"}


@dataclass(frozen=True, slots=True)
class Table:
    """One table of the report: `name` keys it in JSON and CSV."""

    name: str
    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]

    def records(self) -> list[dict[str, Cell]]:
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]

    def column(self, name: str) -> list[Cell]:
        at = self.columns.index(name)
        return [row[at] for row in self.rows]


@dataclass(frozen=True, slots=True)
class TermReport:
    schools: tuple[School, ...]
    first: date  # the period, both days included, in the schools' time zone
    last: date
    zone: ZoneInfo
    generated_at: datetime
    names: bool  # senders named rather than pseudonymised
    summary: dict[str, Cell]
    tables: dict[str, Table] = field(default_factory=dict)

    @property
    def title(self) -> str:
        return f"Group chats report: {self.first:%-d %B %Y} to {self.last:%-d %B %Y}"

    def as_data(self) -> dict[str, Any]:
        return {
            "schools": [{"id": s.id, "name": s.name} for s in self.schools],
            "from": self.first.isoformat(),
            "to": self.last.isoformat(),
            "time_zone": str(self.zone),
            "generated_at": self.generated_at.isoformat(),
            "senders_named": self.names,
            "summary": self.summary,
            "tables": {name: table.records() for name, table in self.tables.items()},
        }


# ---- gathering ---------------------------------------------------------------------------


async def gather(
    store: Store,
    config: Config,
    schools: Sequence[School],
    first: date,
    last: date,
    *,
    generated_at: datetime,
    names: bool = False,
) -> TermReport:
    """The figures for `schools` over the days `first` to `last`, both included."""
    zone = config.settings_for(schools[0]).zone
    start = datetime.combine(first, time(), zone)
    end = datetime.combine(last + timedelta(days=1), time(), zone)
    ids = [s.id for s in schools]
    async with store.read() as s:
        incidents = await s.incidents_sent(ids, start, end)
        handling = await s.handling(ids, start, end)
        changes = await s.audit_entries(
            school_ids=ids, since=start, until=end, actions=("close", "reopen")
        )
        exports = await s.audit_entries(school_ids=ids, actions=("record_export",))
        counters = [c for c in await s.counters() if c[0] in ids and first.isoformat() <= c[3]]
    counters = [c for c in counters if c[3] <= last.isoformat()]
    by_school = {s.id: s for s in schools}
    facts = _Facts(incidents, handling, by_school, zone, names)
    checked = sum(c[4] for c in counters)
    tables = [
        facts.by_week(first, last),
        facts.by_category(),
        facts.by_chat(counters),
        facts.by_platform(counters),
        facts.handled(),
        facts.response_times(),
        facts.deciders(),
        facts.repeat_senders(),
        facts.escalations(config),
        facts.chat_changes(changes),
        facts.dismissals("rule"),
        facts.dismissals("category"),
        facts.exports(exports),
    ]
    times = facts.waits()
    summary: dict[str, Cell] = {
        "incidents": len(incidents),
        "messages_checked": checked,
        "flagged_per_thousand_checked": _per_thousand(sum(c[5] for c in counters), checked),
        "alerted": sum(1 for h in handling.values() if h.alerted),
        "dismissed": sum(1 for i in incidents if i.status == "dismissed"),
        "awaiting_decision": sum(
            1 for i in incidents if i.status == "open" and _handled(handling, i).alerted
        ),
        "median_minutes_to_first_action": _minutes(median(times)),
        "p90_minutes_to_first_action": _minutes(p90(times)),
        "repeat_senders": len(tables[7].rows),
        "chats": len({(i.chat.platform, i.chat.chat_id) for i in incidents}),
    }
    return TermReport(
        schools=tuple(schools),
        first=first,
        last=last,
        zone=zone,
        generated_at=generated_at,
        names=names,
        summary=summary,
        tables={t.name: t for t in tables},
    )


def median(values: Sequence[float]) -> float | None:
    return statistics.median(values) if values else None


def p90(values: Sequence[float]) -> float | None:
    """The 90th percentile by nearest rank: the smallest value that at least 90% of the
    values do not exceed (so always one of the values)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[math.ceil(0.9 * len(ordered)) - 1]


def _minutes(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 60, 1)


def _per_thousand(part: int, whole: int) -> float | None:
    return round(1000 * part / whole, 1) if whole else None


def _share(part: int, whole: int) -> str:
    return f"{100 * part / whole:.0f}%" if whole else ""


_NOTHING = Handling(reminded=False, deleted=False, alerted=False, alerted_at=None)


def _handled(handling: dict[int, Handling], incident: IncidentRow) -> Handling:
    return handling.get(incident.id, _NOTHING)


class _Facts:
    """The tables, each from the period's incidents."""

    def __init__(
        self,
        incidents: Sequence[IncidentRow],
        handling: dict[int, Handling],
        schools: dict[str, School],
        zone: ZoneInfo,
        names: bool,
    ) -> None:
        self.incidents = incidents
        self.handling = handling
        self.schools = schools
        self.zone = zone
        self.names = names
        self._senders = self._name_senders()

    def _name_senders(self) -> dict[tuple[str, str], str]:
        """Senders named as "Sender 1", "Sender 2", ... by how many incidents count against
        them (not dismissed), then how many they have, most first; unless names were asked
        for. The numbers hold within one report only."""
        total = Counter((i.user.platform, i.user.user_id) for i in self.incidents)
        counted = Counter(
            (i.user.platform, i.user.user_id) for i in self.incidents if i.status != "dismissed"
        )
        named = {(i.user.platform, i.user.user_id): i.user.label for i in self.incidents}
        order = sorted(total, key=lambda who: (-counted[who], -total[who], who))
        self._rank = {who: n for n, who in enumerate(order)}
        return {
            who: (named[who] if self.names else f"Sender {n}")
            for n, who in enumerate(order, start=1)
        }

    def sender(self, incident: IncidentRow) -> str:
        return self._senders[(incident.user.platform, incident.user.user_id)]

    def chat_name(self, incident: IncidentRow) -> str:
        school = self.schools[incident.school_id]
        name = school.chat_name(incident.chat)
        return name if len(self.schools) == 1 else f"{name} ({school.name})"

    def day(self, moment: datetime) -> str:
        return moment.astimezone(self.zone).strftime("%Y-%m-%d %H:%M")

    # ---- what, when, where ----

    def by_week(self, first: date, last: date) -> Table:
        """Each incident once, under its first category (the one the rules rank first)."""
        start = first - timedelta(days=first.weekday())
        weeks = [start + timedelta(weeks=n) for n in range((last - start).days // 7 + 1)]
        counts: defaultdict[date, Counter[str]] = defaultdict(Counter)
        for incident in self.incidents:
            local = incident.sent_at.astimezone(self.zone).date()
            counts[local - timedelta(days=local.weekday())][_first_category(incident)] += 1
        seen = {c for week in counts.values() for c in week}
        categories = [c for c in (*COLOURS, *sorted(seen - COLOURS.keys())) if c in seen]
        rows: list[tuple[Cell, ...]] = [
            (w.isoformat(), sum(counts[w].values()), *(counts[w][c] for c in categories))
            for w in weeks
        ]
        return Table(
            "by_week",
            "Incidents by week",
            ("week beginning", "incidents", *categories),
            tuple(rows),
        )

    def by_category(self) -> Table:
        """An incident counts under each of its categories."""
        counts = Counter(c for i in self.incidents for c in i.categories)
        urgent = Counter(c for i in self.incidents if i.urgent for c in i.categories)
        rows = [(c, n, urgent[c]) for c, n in counts.most_common()]
        return Table(
            "by_category", "Incidents by category", ("category", "incidents", "urgent"), tuple(rows)
        )

    def by_chat(self, counters: Sequence[tuple[str, str, str, str, int, int]]) -> Table:
        checked: Counter[tuple[str, str]] = Counter()
        for _, platform, chat_id, _, n, _ in counters:
            checked[(platform, chat_id)] += n
        incidents: Counter[tuple[str, str]] = Counter()
        names: dict[tuple[str, str], str] = {}
        for incident in self.incidents:
            where = (incident.chat.platform, incident.chat.chat_id)
            incidents[where] += 1
            names[where] = self.chat_name(incident)
        rows = []
        for where, n in incidents.most_common():
            seen = checked.get(where)
            rows.append(
                (
                    names[where],
                    PLATFORM_NAMES.get(where[0], where[0]),
                    n,
                    seen,
                    _per_thousand(n, seen) if seen else None,
                )
            )
        return Table(
            "by_chat",
            "Incidents by chat",
            ("chat", "platform", "incidents", "messages checked", "per 1,000 checked"),
            tuple(rows),
        )

    def by_platform(self, counters: Sequence[tuple[str, str, str, str, int, int]]) -> Table:
        checked: Counter[str] = Counter()
        for _, platform, _, _, n, _ in counters:
            checked[platform] += n
        incidents = Counter(i.chat.platform for i in self.incidents)
        chats: defaultdict[str, set[str]] = defaultdict(set)
        for incident in self.incidents:
            chats[incident.chat.platform].add(incident.chat.chat_id)
        rows = [
            (PLATFORM_NAMES.get(p, p), n, len(chats[p]), checked.get(p))
            for p, n in incidents.most_common()
        ]
        return Table(
            "by_platform",
            "Incidents by platform",
            ("platform", "incidents", "chats", "messages checked"),
            tuple(rows),
        )

    # ---- how it was handled ----

    def handled(self) -> Table:
        """Outcomes overlap: a reminded sender's message may also have been deleted."""
        total = len(self.incidents)
        states = Counter(i.status for i in self.incidents)
        seen = [_handled(self.handling, i) for i in self.incidents]
        recorded = sum(1 for i in self.incidents if i.chat.platform == "whatsapp")
        rows: list[tuple[str, int]] = [
            ("reminder sent to the sender", sum(h.reminded for h in seen)),
            ("SLT alerted", sum(h.alerted for h in seen)),
            ("dismissed as not a breach", states["dismissed"]),
            (
                "message deleted",
                sum(
                    1
                    for i, h in zip(self.incidents, seen, strict=True)
                    if h.deleted or i.status == "deleted"
                ),
            ),
            ("chat closed from the alert", states["closed"]),
            (
                "alerted, awaiting a decision",
                sum(
                    1
                    for i, h in zip(self.incidents, seen, strict=True)
                    if h.alerted and i.status == "open"
                ),
            ),
            ("recorded from a WhatsApp export (nothing sent)", recorded),
        ]
        return Table(
            "handling",
            "How incidents were handled",
            ("outcome", "incidents", "share"),
            tuple((label, n, _share(n, total)) for label, n in rows),
        )

    def waits(self, *, urgent: bool | None = None) -> list[float]:
        """Seconds from the first alert delivered to the first decision on it, for each
        incident decided after an alert."""
        waits = []
        for incident in self.incidents:
            alerted_at = _handled(self.handling, incident).alerted_at
            if urgent is not None and incident.urgent != urgent:
                continue
            if alerted_at is None or incident.resolved_at is None:
                continue
            waits.append(max(0.0, (incident.resolved_at - alerted_at).total_seconds()))
        return waits

    def response_times(self) -> Table:
        rows = []
        for label, urgent in (("all alerts", None), ("urgent", True), ("not urgent", False)):
            waits = self.waits(urgent=urgent)
            rows.append((label, len(waits), _minutes(median(waits)), _minutes(p90(waits))))
        return Table(
            "response_times",
            "Time from alert to SLT's first action (minutes)",
            ("alerts", "decided", "median", "90th percentile"),
            tuple(rows),
        )

    def deciders(self) -> Table:
        decided: defaultdict[str, Counter[str]] = defaultdict(Counter)
        for incident in self.incidents:
            if incident.decided:
                who = incident.resolved_by_name or incident.resolved_by or "unknown"
                decided[who][incident.status] += 1
        rows = [
            (who, sum(c.values()), c["dismissed"], c["deleted"], c["closed"])
            for who, c in sorted(decided.items(), key=lambda item: -sum(item[1].values()))
        ]
        return Table(
            "decided_by",
            "Decisions by person",
            ("decided by", "decisions", "not a breach", "deleted", "chat closed"),
            tuple(rows),
        )

    # ---- who ----

    def repeat_senders(self) -> Table:
        """Senders with two or more incidents that were not dismissed as not a breach."""
        mine: defaultdict[tuple[str, str], list[IncidentRow]] = defaultdict(list)
        for incident in self.incidents:
            mine[(incident.user.platform, incident.user.user_id)].append(incident)
        ranked = []
        for who, theirs in mine.items():
            counted = [i for i in theirs if i.status != "dismissed"]
            if len(counted) < 2:
                continue
            categories = Counter(c for i in counted for c in i.categories)
            ranked.append(
                (
                    self._rank[who],
                    self.sender(theirs[0]),
                    PLATFORM_NAMES.get(theirs[0].user.platform, theirs[0].user.platform),
                    len(counted),
                    len(theirs) - len(counted),
                    ", ".join(f"{c} {n}" for c, n in categories.most_common()),
                    len({i.chat.chat_id for i in counted}),
                    counted[0].sent_at.astimezone(self.zone).date().isoformat(),
                    counted[-1].sent_at.astimezone(self.zone).date().isoformat(),
                )
            )
        return Table(
            "repeat_senders",
            "Repeat senders",
            (
                "sender",
                "platform",
                "incidents",
                "dismissed",
                "categories",
                "chats",
                "first",
                "last",
            ),
            tuple(row[1:] for row in sorted(ranked)),
        )

    def escalations(self, config: Config) -> Table:
        """Incidents that alerted SLT urgently: for what they were, or for a run of repeats."""
        rows = []
        for incident in self.incidents:
            if not incident.urgent:
                continue
            settings = config.settings_for(self.schools[incident.school_id])
            urgent = sorted(set(incident.categories) & set(settings.urgent))
            why = (
                f"{', '.join(urgent)}: alerted at once"
                if urgent
                else f"offence {incident.offence_number} in {settings.escalation.window_days} days"
            )
            rows.append(
                (
                    self.day(incident.sent_at),
                    self.chat_name(incident),
                    self.sender(incident),
                    why,
                    DECISIONS.get(incident.status, "awaiting a decision"),
                    incident.resolved_by_name or incident.resolved_by or "",
                )
            )
        return Table(
            "escalations",
            "Escalations (urgent alerts)",
            ("sent", "chat", "sender", "why", "outcome", "decided by"),
            tuple(rows),
        )

    def chat_changes(self, changes: Sequence[AuditRow]) -> Table:
        """Closures and reopenings, by whom and why. A closure from an alert gives no reason
        of its own: the incident it decided is the reason."""
        from_alert = {
            (i.chat.chat_id, i.resolved_at): i for i in self.incidents if i.status == "closed"
        }
        # By chat id alone: the audit names the platform of whoever acted, who may have pressed
        # an alert's button on another platform than the chat's.
        chats = {
            c.id: f"{s.chat_name(ChatRef(c.platform, c.id))}"
            + ("" if len(self.schools) == 1 else f" ({s.name})")
            for s in self.schools.values()
            for c in s.chats
        }
        rows = []
        for entry in changes:
            if entry.outcome != "ok":
                continue
            name = chats.get(entry.target, entry.target)
            why = entry.detail
            decided = from_alert.get((entry.target, entry.at))
            if not why and decided is not None:
                why = f"from the alert about a {', '.join(decided.categories)} incident"
            rows.append(
                (
                    self.day(entry.at),
                    name,
                    "closed" if entry.action == "close" else "reopened",
                    entry.actor_name or entry.actor_id,
                    why or "no reason given",
                )
            )
        return Table(
            "chat_changes",
            "Closures and reopenings",
            ("when", "chat", "change", "by", "why"),
            tuple(rows),
        )

    # ---- the false-alarm signal ----

    def dismissals(self, by: str) -> Table:
        """How often SLT dismissed what a rule (or a category) flagged as not a breach."""
        flagged: Counter[str] = Counter()
        dismissed: Counter[str] = Counter()
        for incident in self.incidents:
            if by == "rule":
                keys = {str(f.get("rule_id", "")) for f in incident.findings} - {""}
            else:
                keys = set(incident.categories)
            flagged.update(keys)
            if incident.status == "dismissed":
                dismissed.update(keys)
        rows = [
            (key, flagged[key], dismissed[key], _share(dismissed[key], flagged[key]))
            for key in sorted(flagged, key=lambda k: (-dismissed[k], -flagged[k], k))
        ]
        return Table(
            f"dismissals_by_{by}",
            f"Dismissed as not a breach, by {by}",
            (by, "flagged", "dismissed", "dismissed share"),
            tuple(rows),
        )

    def exports(self, recorded: Sequence[AuditRow]) -> Table:
        """WhatsApp exports recorded with `scan --record` whose messages fall in the period."""
        counts = Counter(i.chat.chat_id for i in self.incidents if i.chat.platform == "whatsapp")
        rows = [
            (entry.target, self.day(entry.at), counts[entry.target], entry.detail)
            for entry in recorded
            if entry.target in counts
        ]
        return Table(
            "whatsapp_exports",
            "WhatsApp exports recorded",
            ("chat", "recorded", "incidents in the period", "as recorded"),
            tuple(rows),
        )


def _first_category(incident: IncidentRow) -> str:
    return incident.categories[0] if incident.categories else "other"


# ---- the three forms ---------------------------------------------------------------------


def report_json(report: TermReport) -> str:
    return json.dumps(report.as_data(), indent=2, ensure_ascii=False) + "\n"


def report_csv(report: TermReport) -> str:
    """One line per figure: the table, the row's number in it and its first column, the
    measure (another column) and its value; the summary first, as table "summary"."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(("table", "row", "label", "measure", "value"))
    for measure, value in report.summary.items():
        writer.writerow(("summary", 1, "", measure, "" if value is None else value))
    for table in report.tables.values():
        for number, row in enumerate(table.rows, start=1):
            for measure, value in zip(table.columns[1:], row[1:], strict=True):
                cell = "" if value is None else value
                writer.writerow((table.name, number, row[0], measure, cell))
    return out.getvalue()


def report_html(report: TermReport) -> str:
    tables = report.tables
    return render(
        "term.html",
        title=report.title,
        report=report,
        summary=report.summary,
        tables=tables,
        charts=_charts(tables),
        platform_names=PLATFORM_NAMES,
        generated_at=report.generated_at,
        minutes=readable_minutes,
    )


def _charts(tables: dict[str, Table]) -> dict[str, Markup]:
    weeks = tables["by_week"]
    categories = weeks.columns[2:]
    category = tables["by_category"]
    chats = tables["by_chat"]
    platforms = tables["by_platform"]
    rules = tables["dismissals_by_rule"]
    dismissed = [r for r in rules.rows if int(r[2] or 0) > 0][:12]
    return {
        "by_week": weekly_bars(
            [date.fromisoformat(str(w)) for w in weeks.column("week beginning")],
            {c: [int(n or 0) for n in weeks.column(c)] for c in categories},
        ),
        "by_category": bars(
            [str(c) for c in category.column("category")],
            [int(n or 0) for n in category.column("incidents")],
            xlabel="incidents",
            colours=[COLOURS.get(str(c), OTHER) for c in category.column("category")],
        ),
        "by_chat": bars(
            [str(c) for c in chats.column("chat")][:15],
            [int(n or 0) for n in chats.column("incidents")][:15],
            xlabel="incidents",
        ),
        "by_platform": bars(
            [str(p) for p in platforms.column("platform")],
            [int(n or 0) for n in platforms.column("incidents")],
            xlabel="incidents",
        ),
        "dismissals_by_rule": bars(
            [str(r[0]) for r in dismissed],
            [int(r[2] or 0) for r in dismissed],
            xlabel="dismissed as not a breach",
            colours=[OTHER] * len(dismissed),
        ),
    }


def readable_minutes(value: Cell) -> str:
    """12.5 -> "12 min"; 135 -> "2 h 15 min"; 3000 -> "2 d 2 h"."""
    if not isinstance(value, int | float):
        return "\u2013"
    minutes = round(value)
    if minutes < 60:
        return f"{value:g} min" if value < 1 else f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"
