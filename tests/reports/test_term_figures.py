"""The term report's figures, from a small store filled with incidents whose handling is known:
counts by week, category, chat and platform, outcomes, the median and 90th percentile time to
the first decision, repeat senders, escalations, closures and dismissals; the same figures in
HTML, JSON and CSV; the command line."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from bench.term_generator import Flagged, Handled, add_incident, reopen
from bot.cli import main
from bot.config import Config, parse_config
from bot.model import ChatMessage, ChatRef, UserRef
from bot.reports.term import TermReport, gather, p90, report_csv, report_html, report_json
from bot.store import Store

CONFIG = """
schools:
  - id: riverside
    name: Riverside Primary School
    slt:
      - {name: Mrs Shah, telegram: "5550001", slack: U0SHAH001}
    chats:
      - {platform: telegram, id: "-1001000000001", name: Year 3 Parents}
      - {platform: slack, id: C0YEAR4001, name: Year 4 Parents}
"""
YEAR3 = ChatRef("telegram", "-1001000000001", "Year 3")
YEAR4 = ChatRef("slack", "C0YEAR4001", "year-4")
EXPORT = ChatRef("whatsapp", "Year 5 Parents", "Year 5 Parents")
AMY = UserRef("telegram", "201", "Amy Jones")
BEN = UserRef("telegram", "202", "Ben Smith")
CAT = UserRef("slack", "U0CAT0001", "Cat Brown")
WENDY = UserRef("whatsapp", "Wendy", "Wendy")
SHAH = UserRef("telegram", "5550001", "Mrs Shah")
SHAH_ON_SLACK = UserRef("slack", "U0SHAH001", "Mrs Shah")
FIRST, LAST = date(2026, 3, 2), date(2026, 3, 15)  # two weeks; March is GMT in London


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


def decided(status: str | None, minutes: float, by: UserRef = SHAH) -> Handled:
    """Alerted a minute after it was sent; decided `minutes` after the alert arrived."""
    return Handled(
        alert_to=(by,),
        decision=status,
        decided_after=timedelta(minutes=minutes),
        decider=by,
    )


# (key, chat, sender, sent, category, rule, urgent, handled)
INCIDENTS = [
    ("i1", YEAR3, AMY, at(2, 10), "abuse", "abuse.insult.framed", False, decided("deleted", 10)),
    ("i2", YEAR3, AMY, at(3, 10), "staff", "staff.contempt", False, decided("dismissed", 20)),
    ("i3", YEAR3, AMY, at(9, 10), "abuse", "abuse.insult.framed", False, decided("deleted", 30)),
    ("i4", YEAR3, BEN, at(9, 11), "threat", "threat.veiled", True, decided("closed", 40)),
    ("i5", YEAR4, CAT, at(10, 9), "complaint", "complaint.school.criticism", False, Handled()),
    (
        "i6",
        YEAR4,
        CAT,
        at(11, 9),
        "complaint",
        "complaint.school.criticism",
        False,
        decided("dismissed", 60, SHAH_ON_SLACK),
    ),
    ("i7", EXPORT, WENDY, at(12, 20), "abuse", "abuse.insult.framed", False, Handled()),
    ("i8", YEAR4, CAT, at(12, 21), "private", "private.phone", False, decided(None, 0)),
    # After the period: in no figure.
    ("i9", YEAR3, AMY, at(20, 10), "abuse", "abuse.insult.framed", False, decided("deleted", 5)),
]
CLEAN_IN_YEAR3 = 10


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return parse_config(CONFIG + f"storage:\n  path: {tmp_path / 'school.sqlite3'}\n", "t.yaml")


@pytest.fixture
async def store(config: Config) -> Store:
    async with Store(config.storage.path) as opened, opened.transaction() as s:
        for key, chat, sender, sent, category, rule, urgent, handled in INCIDENTS:
            flagged = Flagged(
                key=key,
                school_id="riverside",
                chat=chat,
                sender=sender,
                sent_at=sent,
                categories=(category,),
                rule_ids=(rule,),
                urgent=urgent,
            )
            await add_incident(s, flagged, handled)
        for n in range(CLEAN_IN_YEAR3):
            said = ChatMessage(YEAR3, BEN, f"c{n}", "", at(2, 12, n))
            await s.count_message("riverside", said, flagged=False)
        await reopen(s, "riverside", YEAR3, SHAH, at(10, 8), "Calmer now")
        await s.audit(
            at=at(14, 9),
            school_id="riverside",
            actor=UserRef("whatsapp", "scan", "schoolgate scan"),
            action="record_export",
            target=EXPORT.chat_id,
            detail="1 incident(s) stored, 0 already stored",
        )
    return Store(config.storage.path)


async def figures(store: Store, config: Config, *, names: bool = False) -> TermReport:
    async with store:
        return await gather(
            store, config, config.schools, FIRST, LAST, generated_at=at(16, 9), names=names
        )


def rows(report: TermReport, table: str) -> dict[object, tuple[object, ...]]:
    return {row[0]: row[1:] for row in report.tables[table].rows}


async def test_what_when_and_where(store: Store, config: Config) -> None:
    report = await figures(store, config)
    assert report.summary["incidents"] == 8
    assert rows(report, "by_week") == {
        "2026-03-02": (2, 0, 1, 1, 0, 0),
        "2026-03-09": (6, 1, 2, 0, 1, 2),
    }
    assert report.tables["by_week"].columns[2:] == (
        "threat",
        "abuse",
        "staff",
        "private",
        "complaint",
    )
    assert rows(report, "by_category") == {
        "abuse": (3, 0),
        "complaint": (2, 0),
        "staff": (1, 0),
        "threat": (1, 1),
        "private": (1, 0),
    }
    # Checked: the clean messages and the flagged ones; an export has no count.
    assert rows(report, "by_chat") == {
        "Year 3 Parents": ("Telegram", 4, CLEAN_IN_YEAR3 + 4, 285.7),
        "Year 4 Parents": ("Slack", 3, 3, 1000.0),
        "Year 5 Parents": ("WhatsApp (recorded export)", 1, None, None),
    }
    assert rows(report, "by_platform") == {
        "Telegram": (4, 1, 14),
        "Slack": (3, 1, 3),
        "WhatsApp (recorded export)": (1, 1, None),
    }
    assert report.summary["messages_checked"] == 17


async def test_how_it_was_handled_and_how_fast(store: Store, config: Config) -> None:
    report = await figures(store, config)
    handled = {label: n for label, (n, _) in rows(report, "handling").items()}
    assert handled == {
        "reminder sent to the sender": 7,
        "SLT alerted": 6,
        "dismissed as not a breach": 2,
        "message deleted": 2,
        "chat closed from the alert": 1,
        "alerted, awaiting a decision": 1,
        "recorded from a WhatsApp export (nothing sent)": 1,
    }
    # Decided 10, 20, 30, 40 and 60 minutes after the alert arrived.
    assert rows(report, "response_times") == {
        "all alerts": (5, 30.0, 60.0),
        "urgent": (1, 40.0, 40.0),
        "not urgent": (4, 25.0, 60.0),
    }
    assert report.summary["median_minutes_to_first_action"] == 30.0
    assert report.summary["p90_minutes_to_first_action"] == 60.0
    assert report.summary["awaiting_decision"] == 1
    assert rows(report, "decided_by") == {"Mrs Shah": (5, 2, 2, 1)}


def test_the_90th_percentile_is_by_nearest_rank() -> None:
    assert p90([]) is None
    assert p90([7.0]) == 7.0
    assert p90([float(n) for n in range(1, 11)]) == 9.0
    assert p90([float(n) for n in range(1, 12)]) == 10.0


async def test_repeat_senders_are_pseudonymised_unless_names_are_asked_for(
    store: Store, config: Config
) -> None:
    report = await figures(store, config)
    # Amy and Cat: two incidents each that were not dismissed; Ben has one.
    assert [(r[0], r[2], r[3]) for r in report.tables["repeat_senders"].rows] == [
        ("Sender 1", 2, 1),
        ("Sender 2", 2, 1),
    ]
    page = report_html(report) + report_json(report) + report_csv(report)
    for name in ("Amy Jones", "Cat Brown", "Ben Smith", "Wendy"):
        assert name not in page
    named = await figures(Store(config.storage.path), config, names=True)
    assert {r[0] for r in named.tables["repeat_senders"].rows} == {"Amy Jones", "Cat Brown"}


async def test_escalations_closures_reopenings_and_dismissals(store: Store, config: Config) -> None:
    report = await figures(store, config)
    [escalation] = report.tables["escalations"].rows
    assert escalation[1:] == (
        "Year 3 Parents",
        "Sender 3",
        "threat: alerted at once",
        "chat closed",
        "Mrs Shah",
    )
    assert [row[1:] for row in report.tables["chat_changes"].rows] == [
        ("Year 3 Parents", "closed", "Mrs Shah", "from the alert about a threat incident"),
        ("Year 3 Parents", "reopened", "Mrs Shah", "Calmer now"),
    ]
    assert rows(report, "dismissals_by_rule")["complaint.school.criticism"] == (2, 1, "50%")
    assert rows(report, "dismissals_by_rule")["staff.contempt"] == (1, 1, "100%")
    assert rows(report, "dismissals_by_category")["abuse"] == (3, 0, "0%")
    assert rows(report, "whatsapp_exports") == {
        "Year 5 Parents": ("2026-03-14 09:00", 1, "1 incident(s) stored, 0 already stored")
    }


async def test_json_and_csv_carry_the_same_figures(store: Store, config: Config) -> None:
    report = await figures(store, config)
    data = json.loads(report_json(report))
    assert data["summary"] == report.summary
    lines = list(csv.DictReader(io.StringIO(report_csv(report))))
    from_csv: dict[str, dict[tuple[int, str], str]] = {}
    for line in lines:
        from_csv.setdefault(line["table"], {})[(int(line["row"]), line["measure"])] = line["value"]
    for name, records in data["tables"].items():
        columns = report.tables[name].columns
        expected = {
            (n, column): "" if record[column] is None else str(record[column])
            for n, record in enumerate(records, start=1)
            for column in columns[1:]
        }
        assert from_csv.get(name, {}) == expected, name


def test_the_command_writes_each_form_readable_by_its_owner_only(
    store: Store, config: Config, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "school.yaml"
    path.write_text(CONFIG + f"storage:\n  path: {config.storage.path}\n", "utf-8")
    period = ["--from", FIRST.isoformat(), "--to", LAST.isoformat()]
    for form in ("html", "json", "csv"):
        out = tmp_path / f"report.{form}"
        out.write_text("old", "utf-8")
        out.chmod(0o644)
        argv = ["report", "--config", str(path), *period, "--format", form, "--out", str(out)]
        assert main(argv) == 0
        assert out.stat().st_mode & 0o777 == 0o600
        assert "8 incident(s)" in capsys.readouterr().err
    assert json.loads((tmp_path / "report.json").read_text())["summary"]["incidents"] == 8
    assert "<svg" in (tmp_path / "report.html").read_text()


@pytest.mark.parametrize(
    ("extra", "error"),
    [
        (["--from", "2026-03-20", "--to", "2026-03-01"], "is after --to"),
        (["--from", "1 March"], "expected a date such as"),
        (["--school", "nowhere"], "no school with id 'nowhere'"),
        (["--db", "/nonexistent/school.sqlite3"], "no database here"),
    ],
)
def test_bad_arguments_are_one_line_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str], error: str
) -> None:
    path = tmp_path / "school.yaml"
    path.write_text(CONFIG + f"storage:\n  path: {tmp_path / 'none.sqlite3'}\n", "utf-8")
    out = tmp_path / "report.html"
    code = main(["report", "--config", str(path), "--out", str(out), *extra])
    err = capsys.readouterr().err
    assert code == 2
    assert error in err
    assert len(err.strip().splitlines()) == 1
    assert not out.exists()
