"""The `schoolgate` command line end to end: scan, check-config, export, erase, demo, run."""

from __future__ import annotations

import asyncio
import io
import json
import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from adapters.local import LocalPlatform
from bot.app import App
from bot.cli import main
from bot.clock import ManualClock
from bot.config import load_config

SCHOOL = """\
schools:
  - id: riverside
    name: Riverside Primary School
    staff:
      - {id: carter, title: Mr, first: James, last: Carter, roles: [headteacher, head]}
      - {id: shah, title: Mrs, first: Linda, last: Shah, roles: [deputy head]}
    pupils: [Noah, Isla]
"""
SECOND_SCHOOL = """\
  - id: hillside
    name: Hillside Academy
"""
STAFF = "Mr Carter is useless and should be sacked"
THREAT = "She'd better watch her back at pickup tomorrow"
VEILED = "be a shame if her car got a few scratches"
MESSAGES: list[dict[str, object]] = [
    {"id": "m1", "text": "Is it swimming on Tuesday this week?", "lang": "en"},
    {"id": 2, "text": STAFF},
    {"id": "m3", "text": THREAT},
]
KEYS = ["id", "flagged", "categories", "severity", "staff", "pupils", "reasons", "clauses"]


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "school.yaml"
    path.write_text(SCHOOL + f"storage:\n  path: {tmp_path / 'school.sqlite3'}\n", "utf-8")
    return path


@pytest.fixture
def messages(tmp_path: Path) -> Path:
    path = tmp_path / "messages.jsonl"
    path.write_text("\n".join(json.dumps(m) for m in MESSAGES) + "\n\n", "utf-8")
    return path


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def one_error(code: int, err: str) -> str:
    assert code != 0
    assert "Traceback" not in err
    assert err.count("\n") == 1
    return err.strip()


def test_scan_jsonl(config_file: Path, messages: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["scan", "--config", str(config_file), str(messages)], capsys)
    assert code == 0
    rows = [json.loads(line) for line in out.splitlines()]
    assert [list(r) for r in rows] == [KEYS] * 3
    assert [r["id"] for r in rows] == ["m1", 2, "m3"]
    assert [r["flagged"] for r in rows] == [False, True, True]
    assert rows[0]["severity"] is None
    assert rows[0]["categories"] == rows[0]["reasons"] == []
    assert "staff" in rows[1]["categories"]
    assert rows[1]["staff"] == ["carter"]
    assert rows[1]["clauses"]
    assert rows[2]["categories"] == ["threat"]
    assert rows[2]["severity"] == "high"


def test_scan_asks_the_learned_stage_unless_rules_only(
    config_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    veiled = tmp_path / "veiled.jsonl"  # no phrase of the rules core: the model's call alone
    veiled.write_text(json.dumps({"id": 1, "text": VEILED}) + "\n", "utf-8")
    code, out, _ = run(["scan", "--config", str(config_file), str(veiled)], capsys)
    assert code == 0
    both = json.loads(out)
    assert both["flagged"]
    assert "learned model" in " ".join(both["reasons"])
    code, out, _ = run(["scan", "--config", str(config_file), "--rules-only", str(veiled)], capsys)
    assert code == 0
    assert not json.loads(out)["flagged"]


def test_scan_reads_standard_input(
    config_file: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(json.dumps(MESSAGES[1]) + "\n"))
    code, out, _ = run(["scan", "--config", str(config_file), "-"], capsys)
    assert code == 0
    assert json.loads(out)["staff"] == ["carter"]


def test_scan_table(
    config_file: Path,
    messages: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("COLUMNS", "150")
    code, out, _ = run(
        ["scan", "--config", str(config_file), "--format", "table", str(messages)], capsys
    )
    assert code == 0
    assert "2 of 3 message(s) flagged" in out
    assert "carter" in out
    table = [line for line in out.splitlines() if line[:1] in "┏┃┡│└"]
    assert {len(line) for line in table} == {150}  # the terminal's width, all of it
    assert "Mr Carter is useless and should be sacked" in out  # the message itself
    assert "Is it swimming on Tuesday this week?" in out


def test_scan_table_cuts_a_long_message_and_keeps_its_lines_apart(
    config_file: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    path = tmp_path / "long.jsonl"
    text = "Mrs Shah\nis a disgrace. " + "And another thing about the trip. " * 30
    path.write_text(json.dumps({"id": "long", "text": text}) + "\n", "utf-8")
    code, out, _ = run(
        ["scan", "--config", str(config_file), "--format", "table", str(path)], capsys
    )
    assert code == 0
    cells = "".join(line.split("│")[6] for line in out.splitlines() if line.startswith("│"))
    shown = " ".join(cells.split())
    assert shown.startswith("Mrs Shah ⏎ is a disgrace. And another thing")
    assert shown.endswith("…")
    assert len(shown) <= 200


def test_scan_chooses_among_several_schools(
    tmp_path: Path, messages: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "two.yaml"
    path.write_text(SCHOOL + SECOND_SCHOOL, "utf-8")
    code, _, err = run(["scan", "--config", str(path), str(messages)], capsys)
    assert one_error(code, err) == (
        f"schoolgate: {path}: the config has several schools (riverside, hillside); "
        "choose with --school"
    )
    code, _, err = run(["scan", "--config", str(path), "--school", "oak", str(messages)], capsys)
    assert "no school with id 'oak'" in one_error(code, err)
    code, out, _ = run(
        ["scan", "--config", str(path), "--school", "riverside", str(messages)], capsys
    )
    assert code == 0
    assert len(out.splitlines()) == 3


@pytest.mark.parametrize(
    ("content", "expected", "read"),
    [
        (
            '{"id": 1, "text": "fine"}\n{"id": 2, "text": \n',
            "messages.jsonl:2: not valid JSON",
            [1],
        ),
        ('{"id": 1}\n', "messages.jsonl:1: missing key 'text'", []),
        ('{"text": "no id"}\n', "messages.jsonl:1: missing key 'id'", []),
        ('{"id": 1, "text": 5}\n', "messages.jsonl:1: 'text' must be a string", []),
        ("[1, 2]\n", "messages.jsonl:1: expected a JSON object", []),
    ],
)
def test_scan_input_errors(
    config_file: Path,
    tmp_path: Path,
    content: str,
    expected: str,
    read: list[object],
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = tmp_path / "messages.jsonl"
    path.write_text(content, "utf-8")
    code, out, err = run(["scan", "--config", str(config_file), str(path)], capsys)
    assert one_error(code, err).startswith(f"schoolgate: {tmp_path}/{expected}")
    assert [json.loads(line)["id"] for line in out.splitlines()] == read


def test_scan_reports_each_bad_line_and_checks_the_rest(
    config_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "messages.jsonl"
    lines = [json.dumps(MESSAGES[0]), "{broken", json.dumps(MESSAGES[1]), '{"id": 9}']
    path.write_text("\n".join([*lines, json.dumps(MESSAGES[2])]) + "\n", "utf-8")
    code, out, err = run(["scan", "--config", str(config_file), str(path)], capsys)
    assert code == 1
    assert "Traceback" not in err
    assert err.splitlines() == [
        f"schoolgate: {path}:2: not valid JSON: Expecting property name enclosed in double quotes",
        f"schoolgate: {path}:4: missing key 'text'",
    ]
    rows = [json.loads(line) for line in out.splitlines()]
    assert [r["id"] for r in rows] == ["m1", 2, "m3"]
    assert [r["flagged"] for r in rows] == [False, True, True]


def test_scan_config_and_file_errors(
    tmp_path: Path, messages: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text(SCHOOL.replace("    pupils:", "    pupls:"), "utf-8")
    code, _, err = run(["scan", "--config", str(broken), str(messages)], capsys)
    assert one_error(code, err) == (
        f"schoolgate: {broken}:7: schools[0].pupls: unknown key; did you mean 'pupils'?"
    )
    code, _, err = run(["scan", "--config", str(tmp_path / "none.yaml"), str(messages)], capsys)
    assert one_error(code, err) == f"schoolgate: {tmp_path / 'none.yaml'}: no such file"
    good = tmp_path / "good.yaml"
    good.write_text(SCHOOL, "utf-8")
    code, _, err = run(["scan", "--config", str(good), str(tmp_path / "absent.jsonl")], capsys)
    assert one_error(code, err) == f"schoolgate: {tmp_path / 'absent.jsonl'}: no such file"
    code, _, err = run(["scan", "--config", str(good), "--format", "csv", "x"], capsys)
    assert "invalid choice" in one_error(code, err)


def test_check_config(
    config_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(["check-config", str(config_file)], capsys)
    assert code == 0
    assert f"{config_file}: OK" in out
    assert "school riverside (Riverside Primary School): 2 staff, 2 pupils" in out
    assert "none (scan only)" in out

    broken = tmp_path / "broken.yaml"
    broken.write_text(SCHOOL + "policy:\n  alert: [abuse, thret]\n  retention_days: -1\n", "utf-8")
    code, out, err = run(["check-config", str(broken)], capsys)
    assert code == 2
    assert "Traceback" not in err
    assert err.splitlines() == [
        f"{broken}:9: policy.alert[1]: 'thret' is not one of abuse, threat, discrimination, "
        "staff, pupil, private, complaint; did you mean 'threat'?",
        f"{broken}:10: policy.retention_days: Input should be greater than or equal to 1",
    ]


def test_check_config_shows_the_mode_of_each_chat(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A chat's own mode, else its school's (`moderation:`), else the top-level `policy:`'s."""
    monkeypatch.setenv("SG_TELEGRAM_TOKEN", "123:telegram")
    path = tmp_path / "school.yaml"
    path.write_text(
        SCHOOL
        + "    chats:\n"
        + "      - {platform: telegram, id: -1001, name: Year 3 Parents, mode: observe}\n"
        + "      - {platform: telegram, id: -1002}\n"
        + SECOND_SCHOOL
        + "    moderation: {mode: observe}\n"
        + "    chats:\n"
        + "      - {platform: slack, id: C0666666, name: year-6}\n"
        + "      - {platform: slack, id: C0777777, name: year-5, mode: enforce}\n"
        + f"storage:\n  path: {tmp_path / 'school.sqlite3'}\n"
        + "telegram: {token: '${SG_TELEGRAM_TOKEN}', join_gate: true}\n",
        "utf-8",
    )
    code, out, _ = run(["check-config", str(path)], capsys)
    assert code == 0
    observe = "observe mode (SLT are alerted about every flag; nothing is sent to members)"
    chats = [line for line in out.splitlines() if line.startswith("    ")]
    assert chats == [
        f"    telegram chat -1001 (Year 3 Parents): {observe}",
        "    telegram chat -1002: enforce mode",
        f"    slack chat C0666666 (year-6): {observe}",
        "    slack chat C0777777 (year-5): enforce mode",
    ]
    assert "Riverside Primary School): 2 staff, 2 pupils" in out
    assert "0 admins; 2 chats; code of conduct version" in out
    # Telegram's join gate lets people in once they accept the welcome, which observe mode
    # does not send.
    [warning] = [line for line in out.splitlines() if "warning:" in line and "join" in line]
    assert warning.strip().startswith(f"warning: {path}:9: schools[0].chats[0]: ")
    assert "telegram chat -1001 is in observe mode, which sends no welcome" in warning


def test_check_config_warns_when_no_one_is_left_to_alert_about_the_head(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A small school's head, the only SLT contact: an alert about a message naming them
    has nowhere to go until a fallback contact (the chair of governors) is named."""
    head_only = SCHOOL + "    slt:\n      - {name: Mr Carter, staff: carter, telegram: 111}\n"
    path = tmp_path / "school.yaml"
    path.write_text(head_only, "utf-8")
    code, out, _ = run(["check-config", str(path)], capsys)
    assert code == 0
    [warning] = [line for line in out.splitlines() if "warning:" in line]
    assert warning.strip().startswith(f"warning: {path}:9: schools[0].slt[0]: ")
    assert "school riverside: no one is left to alert" in warning
    assert "naming Mr Carter" in warning
    assert "fallback" in warning

    path.write_text(
        head_only + "    fallback:\n      - {name: Mr Patel (chair of governors), telegram: 555}\n",
        "utf-8",
    )
    code, out, _ = run(["check-config", str(path)], capsys)
    assert code == 0
    assert "warning" not in out
    assert "1 SLT, 0 safeguarding, 1 fallback, 0 admins" in out

    path.write_text(
        SCHOOL + "    slt:\n      - {name: Mr Carter, staff: cartre, telegram: 111}\n", "utf-8"
    )
    code, _, err = run(["check-config", str(path)], capsys)
    assert code == 2
    assert err.splitlines() == [
        f"{path}:9: schools[0].slt[0].staff: 'cartre' is not the id of anyone in this "
        "school's staff"
    ]


def test_export_and_erase(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "school.yaml"
    path.write_text(
        SCHOOL
        + "    slt: [{name: Mrs Shah, local: slt}]\n"
        + "    chats: [{platform: local, id: year3, name: Year 3}]\n"
        + f"storage:\n  path: {tmp_path / 'db.sqlite3'}\nlocal: {{}}\n",
        "utf-8",
    )
    code, _, err = run(["export", "--config", str(path), "--user", "local:p-amy"], capsys)
    assert "no database here" in one_error(code, err)

    async def fill() -> None:
        clock = ManualClock()
        local = LocalPlatform(clock=clock)
        async with App(load_config(path), [local], clock=clock) as app:
            amy = LocalPlatform.user("p-amy", "Amy")
            await local.send("year3", amy, STAFF)
            await local.send("year3", LocalPlatform.user("p-ben"), THREAT)
            await app.drain()

    asyncio.run(fill())
    code, out, _ = run(["export", "--config", str(path), "--user", "local:p-amy"], capsys)
    assert code == 0
    exported = json.loads(out)
    assert exported["user"] == "local:p-amy"
    assert [i["text"] for i in exported["incidents"]] == [STAFF]

    code, _, err = run(["erase", "--config", str(path), "--user", "local:p-amy"], capsys)
    assert "run again with --yes" in one_error(code, err)
    code, out, _ = run(["erase", "--config", str(path), "--user", "local:p-amy", "--yes"], capsys)
    assert code == 0
    assert "erased local:p-amy: 1 incidents" in out
    code, out, _ = run(["export", "--config", str(path), "--user", "local:p-amy"], capsys)
    assert json.loads(out)["incidents"] == []
    code, out, _ = run(["export", "--config", str(path), "--user", "local:p-ben"], capsys)
    assert len(json.loads(out)["incidents"]) == 1

    code, _, err = run(["export", "--config", str(path), "--user", "p-amy"], capsys)
    assert "expected PLATFORM:ID" in one_error(code, err)


def test_demo_runs_unattended(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "demo.sqlite3"
    code, out, _ = run(["demo", "--pace", "0", "--db", str(db)], capsys)
    assert code == 0
    for seen in (
        "Only Carl sees this: private reminder",
        "Direct message to Mrs Okafor (SLT)",
        "[ Close chat ]",
        "This group has been closed by the school",
        "Ben (parent) types /reopen",
        "This group is open again",
        "Incidents (flagged messages only)",
    ):
        assert seen in out
    assert db.exists()


def local_school(tmp_path: Path) -> Path:
    path = tmp_path / "school.yaml"
    path.write_text(
        SCHOOL
        + "    chats: [{platform: local, id: year3}]\n"
        + f"storage:\n  path: {tmp_path / 'db.sqlite3'}\nlocal: {{}}\n",
        "utf-8",
    )
    return path


def start_run(config: Path, *options: str) -> subprocess.Popen[str]:
    """`schoolgate run` as its own process, returned once it says it is running."""
    script = Path(sys.executable).with_name("schoolgate")
    process = subprocess.Popen(
        [str(script), "run", "--config", str(config), *options],
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert process.stderr is not None
    for line in process.stderr:
        if "schoolgate is running" in line:
            break
    return process


def test_run_stops_gracefully_on_sigterm(tmp_path: Path) -> None:
    process = start_run(local_school(tmp_path), "--init")
    assert process.stderr is not None
    process.send_signal(signal.SIGTERM)
    rest = process.stderr.read()
    assert process.wait(timeout=30) == 0
    assert "stopping" in rest
    assert "Traceback" not in rest
    assert (tmp_path / "db.sqlite3").exists()


def test_a_second_bot_on_the_same_database_refuses_to_start(tmp_path: Path) -> None:
    """Two bots draining one SQLite outbox would both deliver the same rows."""
    config = local_school(tmp_path)
    first = start_run(config, "--init")
    try:
        second_try = subprocess.run(
            [str(Path(sys.executable).with_name("schoolgate")), "run", "--config", str(config)],
            capture_output=True,
            text=True,
            timeout=60,  # without the lock it would run until stopped
        )
        assert second_try.returncode != 0
        assert "Traceback" not in second_try.stderr
        message = second_try.stderr.strip().splitlines()[-1]  # after the config's warnings
        assert "another schoolgate is already running" in message
        assert f"process {first.pid}" in message
    finally:
        first.send_signal(signal.SIGTERM)
        assert first.wait(timeout=30) == 0
    # Once the first has stopped, the lock is free again.
    second = start_run(config)
    second.send_signal(signal.SIGTERM)
    assert second.wait(timeout=30) == 0


def test_run_without_a_platform_is_one_error(
    config_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(["run", "--config", str(config_file)], capsys)
    assert "no platform section" in one_error(code, err)


def test_demo_interactive(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    typed = [
        "carl: Miss Rahman is useless, she should be sacked",
        "ben: /close",
        "okafor: press Close chat",
        "amy: hello?",
        "nobody: hi",
        "quit",
    ]
    monkeypatch.setattr(sys, "stdin", io.StringIO("\n".join(typed) + "\n"))
    code, out, _ = run(["demo", "--interactive", "--db", str(tmp_path / "d.sqlite3")], capsys)
    assert code == 0
    assert "Only Carl sees this: private reminder" in out
    assert "Ben (parent) types /close" in out
    assert "Mrs Okafor (SLT) presses [ Close chat ]" in out
    assert "Amy tries to post" in out
    assert "Write NAME: message" in out


def test_demo_without_db_leaves_no_folder_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    code, out, _ = run(["demo", "--pace", "0"], capsys)
    assert code == 0
    assert "Incidents (flagged messages only)" in out
    assert list(tmp_path.iterdir()) == []


def test_run_warns_about_a_database_others_can_read(tmp_path: Path) -> None:
    database = tmp_path / "db.sqlite3"
    database.touch()
    database.chmod(0o644)
    path = tmp_path / "school.yaml"
    path.write_text(
        SCHOOL
        + "    chats: [{platform: local, id: year3}]\n"
        + f"storage:\n  path: {database}\nlocal: {{}}\n",
        "utf-8",
    )
    process = subprocess.Popen(
        [str(Path(sys.executable).with_name("schoolgate")), "run", "--config", str(path)],
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert process.stderr is not None
    before = []
    for line in process.stderr:
        if "schoolgate is running" in line:
            break
        before.append(line)
    process.send_signal(signal.SIGTERM)
    process.stderr.read()
    assert process.wait(timeout=30) == 0
    warned = [line for line in before if "can be read by other users" in line]
    assert len(warned) == 1
    assert f"{path}:10: storage.path: {database} can be read by other users" in warned[0]


def test_demo_interactive_answers_help_and_unknown_commands_and_staff_alerts_avoid_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    typed = [
        "amy: /help",
        "okafor: /dance",
        "carl: Mrs Okafor lied to my face",
        "quit",
    ]
    monkeypatch.setattr(sys, "stdin", io.StringIO("\n".join(typed) + "\n"))
    code, out, err = run(["demo", "--interactive", "--db", str(tmp_path / "d.sqlite3")], capsys)
    assert code == 0
    assert "unexpected error" not in out + err
    assert "/privacy: what is kept about messages" in out
    assert "Sorry, there is no /dance command." in out
    # The alert about Mrs Okafor, the only SLT contact, goes to the chair of governors.
    assert "Direct message to Mr Patel (chair of governors)" in out
    assert "Direct message to Mrs Okafor (SLT)" not in out
