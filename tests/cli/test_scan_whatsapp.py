"""`schoolgate scan` on a WhatsApp export, end to end: JSON lines, table, report, --record."""

from __future__ import annotations

import asyncio
import io
import json
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from rich.console import Console

from bot import whatsapp_scan
from bot.config import load_config
from bot.store import Store
from bot.whatsapp.parser import parse
from bot.whatsapp_scan import judge
from rules import RulesEngine
from tests.cli.test_cli import SCHOOL, one_error, run
from tests.whatsapp.conftest import FIXTURES, fixture_text

KEYS = [
    "id",
    "author",
    "time",
    "kind",
    "edited",
    "text",
    "flagged",
    "categories",
    "severity",
    "staff",
    "pupils",
    "reasons",
    "clauses",
]


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "school.yaml"
    path.write_text(SCHOOL + f"storage:\n  path: {tmp_path / 'school.sqlite3'}\n", "utf-8")
    return path


def scan(argv: list[str], config: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    return run(["scan", "--config", str(config), *argv], capsys)


def test_jsonl_has_one_line_per_entry_in_file_order(
    config_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = scan([str(FIXTURES / "android_24h.txt")], config_file, capsys)
    assert code == 0
    assert err == ""
    rows = [json.loads(line) for line in out.splitlines()]
    assert [list(r) for r in rows] == [KEYS] * len(rows)
    assert [r["id"] for r in rows] == [
        str(n) for n in (1, 2, 3, 4, 5, 10, 11, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23)
    ]
    flagged = {r["id"]: r for r in rows if r["flagged"]}
    assert sorted(flagged, key=int) == ["11", "16"]
    assert flagged["11"]["author"] == "Dan Webb"
    assert flagged["11"]["time"] == "2026-09-14T21:42:00"
    assert flagged["11"]["text"] == "Mrs Shah\nis a disgrace"
    assert flagged["11"]["staff"] == ["shah"]
    assert flagged["16"]["edited"] is True
    assert flagged["16"]["categories"] == ["staff"]
    assert flagged["16"]["clauses"] == ["staff"]
    system = [r for r in rows if r["kind"] == "system"]
    assert all(r["author"] is None and not r["flagged"] for r in system)
    assert {r["kind"] for r in rows} == {"system", "message", "media", "deleted"}


def test_an_iphone_zip_with_media_is_found_from_its_content(
    config_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "export"  # no extension: the content says what it is
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("_chat.txt", fixture_text("iphone_24h.txt"))
        z.writestr("00000003-PHOTO-2026-11-05-21-14-10.jpg", b"jpeg")
    code, out, err = scan([str(path)], config_file, capsys)
    assert code == 0
    rows = [json.loads(line) for line in out.splitlines()]
    assert [(r["id"], r["author"]) for r in rows if r["flagged"]] == [("8", "Sam Patel")]
    assert "dates were read day first" in err


def test_the_input_format_can_be_named(
    config_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = scan(
        ["--input-format", "jsonl", str(FIXTURES / "iphone_12h.txt")], config_file, capsys
    )
    assert code == 1  # every line is reported, as JSON lines would be
    assert out == ""
    assert len(err.splitlines()) == 3
    assert "iphone_12h.txt:1: not valid JSON" in err
    jsonl = tmp_path / "m.jsonl"
    jsonl.write_text('{"id": 1, "text": "hi"}\n', "utf-8")
    code, _, err = scan(["--input-format", "whatsapp", str(jsonl)], config_file, capsys)
    assert one_error(code, err) == (
        f"schoolgate: {jsonl}:1: not a WhatsApp chat export: " + repr('{"id": 1, "text": "hi"}')
    )


def test_a_file_that_is_neither_is_one_error_naming_its_first_line(
    config_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "minutes.txt"
    path.write_text("\nMinutes of the PTA meeting\n14/09/2026, 21:37 - Ana: hi\n", "utf-8")
    code, out, err = scan([str(path)], config_file, capsys)
    assert one_error(code, err) == (
        f"schoolgate: {path}:2: neither JSON lines nor a WhatsApp chat export: "
        "'Minutes of the PTA meeting'"
    )
    assert out == ""


def test_a_zip_bomb_is_one_error(
    config_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "chat.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("_chat.txt", b"\n" * (200 * 1024 * 1024))
    code, out, err = scan([str(path)], config_file, capsys)
    assert one_error(code, err).startswith(f"schoolgate: {path}: refused: _chat.txt would unpack")
    assert out == ""


def test_standard_input(
    config_file: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    stdin = io.TextIOWrapper(io.BytesIO((FIXTURES / "android_12h.txt").read_bytes()))
    monkeypatch.setattr("sys.stdin", stdin)
    code, out, _ = scan(["-"], config_file, capsys)
    assert code == 0
    rows = [json.loads(line) for line in out.splitlines()]
    assert [(r["author"], r["categories"]) for r in rows if r["flagged"]] == [
        ("Lena Fischer", ["threat"])
    ]


def test_table_lists_the_flagged_with_author_and_time(
    config_file: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("COLUMNS", "160")
    code, out, _ = scan(
        ["--format", "table", str(FIXTURES / "android_24h.txt")], config_file, capsys
    )
    assert code == 0
    cells = [line.split("│")[1:4] for line in out.splitlines() if line.startswith("│")]
    assert [[c.strip() for c in row] for row in cells if row[0].strip()] == [
        ["11", "14/09/26 21:42", "Dan Webb"],
        ["16", "14/09/26 21:46", "Dan Webb"],
    ]
    assert "Mrs Shah ⏎ is a disgrace" in out
    assert "2 of 9 message(s) flagged" in out
    assert "Welcome everyone" not in out  # only the flagged


def test_record_stores_the_flagged_once(
    config_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "history.sqlite3"
    argv = ["--record", "--db", str(db), "--chat", "Year 3 WhatsApp"]
    for attempt in range(2):
        code, _, err = scan([*argv, str(FIXTURES / "android_24h.txt")], config_file, capsys)
        assert code == 0
        stored = "2 incident(s)" if attempt == 0 else "0 incident(s)"
        assert f"{stored} of whatsapp chat 'Year 3 WhatsApp' stored" in err

    async def held() -> tuple[list[tuple[str, str, str, str, int]], int, list[str]]:
        async with Store(db) as store:
            incidents = await store.incidents()
            actions = await store.actions()
            audit = await store.audit_log()
        return (
            [
                (i.chat.platform, i.chat.chat_id, i.user.user_id, i.text, i.offence_number)
                for i in incidents
            ],
            len(actions),
            [a.detail for a in audit],
        )

    incidents, actions, audit = asyncio.run(held())
    assert incidents == [
        ("whatsapp", "Year 3 WhatsApp", "Dan Webb", "Mrs Shah\nis a disgrace", 1),
        ("whatsapp", "Year 3 WhatsApp", "Dan Webb", "Mr Carter is useless and should be sacked", 2),
    ]
    assert actions == 0  # nothing is sent to anyone
    assert audit == [
        "2 incident(s) stored, 0 already stored",
        "0 incident(s) stored, 2 already stored",
    ]

    # The same chat exported again later, with more lines at the top, adds nothing twice.
    later = tmp_path / "later.txt"
    later.write_text(
        "13/09/2026, 08:00 - Priya Nair: Morning!\n" + fixture_text("android_24h.txt"), "utf-8"
    )
    code, _, err = scan([*argv, str(later)], config_file, capsys)
    assert "0 incident(s) of whatsapp chat 'Year 3 WhatsApp' stored, 2 already there" in err

    config = tmp_path / "with-db.yaml"
    config.write_text(SCHOOL + f"storage:\n  path: {db}\n", "utf-8")
    code, out, _ = run(["export", "--config", str(config), "--user", "whatsapp:Dan Webb"], capsys)
    assert code == 0
    assert len(json.loads(out)["incidents"]) == 2


def test_html_report_is_written_for_its_owner_only(
    config_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out_file = tmp_path / "report.html"
    code, out, err = scan(
        ["--format", "html", "--out", str(out_file), str(FIXTURES / "iphone_24h.txt")],
        config_file,
        capsys,
    )
    assert code == 0
    assert out == ""
    assert f"report written to {out_file}" in err
    assert stat.S_IMODE(out_file.stat().st_mode) == 0o600
    page = out_file.read_text("utf-8")
    assert "Year 4 Parents" in page
    assert "<svg" in page
    assert "Mr Carter is useless and should be sacked" in page
    assert "read day first" in page
    code, _, err = scan(["--format", "html", str(FIXTURES / "iphone_24h.txt")], config_file, capsys)
    assert one_error(code, err) == "schoolgate: --format html needs --out FILE for the report"


def test_a_large_export_shows_progress_on_a_terminal_and_shares_the_work(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(whatsapp_scan, "LARGE_EXPORT", 5)
    path = tmp_path / "school.yaml"
    path.write_text(SCHOOL, "utf-8")
    school = load_config(path).schools[0]
    chat = parse(fixture_text("android_24h.txt") * 3, "big.txt")
    engine = RulesEngine()
    screen = io.StringIO()
    shared = judge(
        chat, school, engine, processes=2, progress=Console(file=screen, force_terminal=True)
    )
    assert "Checking messages" in screen.getvalue()
    quiet = io.StringIO()
    alone = judge(chat, school, engine, processes=1, progress=Console(file=quiet))
    assert quiet.getvalue() == ""  # not a terminal: no bar
    assert [j.verdict for j in shared] == [j.verdict for j in alone]
    assert sum(j.flagged for j in shared) == 6


def test_report_libraries_are_loaded_only_for_a_report(config_file: Path) -> None:
    argv = ["scan", "--config", str(config_file), str(FIXTURES / "iphone_12h.txt")]
    script = (
        "import sys, contextlib, io\n"
        "from bot.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    code = main({argv!r})\n"
        "print(code, 'matplotlib' in sys.modules, 'jinja2' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert done.stdout.split() == ["0", "False", "False"]


def test_what_could_not_be_read_is_said_on_stderr_and_in_the_report(
    config_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "WhatsApp Chat with Year 1.txt"
    path.write_bytes(b"14/09/2026, 21:40 - Ana: caf\xe9 at 9?\n31/02/2026, 21:41 - Ben: (sic)\n")
    code, out, err = scan([str(path)], config_file, capsys)
    assert code == 0
    assert [json.loads(line)["text"] for line in out.splitlines()] == [
        "caf\ufffd at 9?\n31/02/2026, 21:41 - Ben: (sic)"
    ]
    assert err.splitlines() == [
        "schoolgate: note: some bytes are not UTF-8 text; they are shown as �",
        "schoolgate: note: line 2: no such date or time; read as part of the message before",
    ]
    report = tmp_path / "r.html"
    code, _, _ = scan(["--format", "html", "--out", str(report), str(path)], config_file, capsys)
    page = report.read_text("utf-8")
    assert "Year 1" in page
    assert "some bytes are not UTF-8 text" in page
    assert "line 2: no such date or time" in page


def test_recording_needs_a_chat_name_the_export_does_not_give(
    config_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "history.sqlite3"
    unnamed = str(FIXTURES / "android_12h.txt")  # no subject line, no WhatsApp file name
    code, _, err = scan(["--record", "--db", str(db), unnamed], config_file, capsys)
    assert one_error(code, err) == (
        f"schoolgate: {unnamed}: the export does not name its chat; give --chat NAME to record"
    )
    assert not db.exists()
    code, _, err = scan(
        ["--record", "--db", str(db), str(FIXTURES / "iphone_24h.txt")], config_file, capsys
    )
    assert "1 incident(s) of whatsapp chat 'Year 4 Parents' stored" in err
