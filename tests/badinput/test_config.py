"""`schoolgate check-config` on broken configs: each fault gives one line naming the file, the
line and the key path, a non-zero exit and never a traceback.

The faults are generated from the config model itself: a config setting every key the model
has (checked below), then every required key removed in turn, every value replaced by one of
the wrong kind, every key misspelt.
"""

from __future__ import annotations

import copy
import subprocess
import sys
import types
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Union, get_args, get_origin

import pytest
import yaml
from pydantic import BaseModel

from bot.cli import main
from bot.config import CodeOfConduct, Config

FILE = "school.yaml"
ENV = {
    "SG_TELEGRAM_TOKEN": "123:telegram",
    "SG_WEBHOOK_SECRET": "webhook-secret",
    "SG_DISCORD_TOKEN": "discord-token",
    "SG_SLACK_BOT_TOKEN": "xoxb-1",
    "SG_SLACK_APP_TOKEN": "xapp-1",
    "SG_SLACK_SIGNING_SECRET": "signing",
    "SG_SLACK_USER_TOKEN": "xoxp-1",
}

# Every key of every section, so that every required key, type and name can be got wrong.
FULL = """\
schools:
  - id: riverside
    name: Riverside Primary School
    policy:
      title: Riverside parents' code of conduct
      version: "2026-1"
      url: https://riverside.example/code
      complaints_url: https://riverside.example/complaints
      summary: Be kind.
      privacy: Only flagged messages are kept, for {retention_days} days.
      clauses:
        staff: Please raise concerns about staff with the office.
    moderation:
      remind: [abuse, threat]
      alert: [abuse, threat, staff]
      urgent: [threat]
      delete: [threat]
      escalation:
        window_days: 30
        alert_after: 2
        urgent_after: 4
      retention_days: 60
      quiet_hours:
        start: "21:00"
        end: "07:00"
      timezone: Europe/London
      welcome: false
      learned: act
    staff:
      - id: carter
        title: Mr
        first: James
        last: Carter
        roles: [head]
        aliases: [Mr C]
    pupils: [Noah, Isla]
    slt:
      - name: Mrs Shah
        staff: carter
        telegram: 111
        discord: "222"
        slack: U0333
        local: slt-shah
    dsl:
      - name: Mrs Cox
        telegram: 112
    dsl_deputies:
      - name: Mr Ball
        telegram: 113
    fallback:
      - name: Mr Patel
        telegram: 555
    admins:
      - name: Pat
        telegram: 444
    chats:
      - platform: telegram
        id: -1001234567890
        name: Year 3 Parents
    custom_rules:
      - id: no-fundraising-links
        category: private
        reason: a fundraising link
        severity: low
        clause: privacy
        pattern: "gofundme\\\\.com/\\\\S+"
        words: [go fund me]
  - id: hillside
    name: Hillside Academy
    chats:
      - platform: slack
        id: C0666666
        name: year-3
storage:
  path: schoolgate.sqlite3
  synchronous: full
policy:
  remind: [abuse, threat, discrimination, staff, pupil, private, complaint]
  alert: [abuse, threat, discrimination, staff, pupil, private, complaint]
  urgent: [threat, discrimination]
  delete: []
  escalation:
    window_days: 30
    alert_after: 2
    urgent_after: 4
  retention_days: 90
  quiet_hours:
    start: "21:00"
    end: "07:00"
  timezone: Europe/London
  welcome: true
  learned: review
outbox:
  delivery_timeout: 60
  retry_delay: 1
connect:
  retry_delay: 1
  max_retry_delay: 60
health:
  listen: 127.0.0.1
  port: 8080
telegram:
  token: ${SG_TELEGRAM_TOKEN}
  base_url: http://127.0.0.1:8081/bot
  mode: webhook
  webhook:
    listen: 0.0.0.0
    port: 8443
    path: /telegram
    url: https://chatbot.example/telegram
    secret_token: ${SG_WEBHOOK_SECRET}
  join_gate: true
discord:
  token: ${SG_DISCORD_TOKEN}
  api_url: http://127.0.0.1:8080/api/v10
  gateway_url: ws://127.0.0.1:8080/
  admin_roles: ["112233"]
  welcome_channel: "223344"
slack:
  bot_token: ${SG_SLACK_BOT_TOKEN}
  mode: http
  app_token: ${SG_SLACK_APP_TOKEN}
  signing_secret: ${SG_SLACK_SIGNING_SECRET}
  listen: 0.0.0.0
  port: 3000
  path: /slack/events
  user_token: ${SG_SLACK_USER_TOKEN}
  api_url: http://127.0.0.1:8082/api/
local:
  capabilities: [delete_others, direct_message]
"""

Loc = tuple[str | int, ...]

# Models whose keys left out are taken from a built-in default (documented in the example).
FILLED_FROM_DEFAULT = (CodeOfConduct,)


@pytest.fixture(autouse=True)
def environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)


# ---- walking the model and the data together ----------------------------------------------


def _unwrap(annotation: Any) -> Any:
    """`X | None` and `Annotated[X, ...]` to X."""
    while True:
        if get_origin(annotation) is Annotated:
            annotation = get_args(annotation)[0]
        elif get_origin(annotation) in (Union, types.UnionType):
            [annotation] = [a for a in get_args(annotation) if a is not type(None)]
        else:
            return annotation


@dataclass(frozen=True)
class Key:
    """A key the data sets, where, and what the model says of it."""

    loc: Loc
    model: type[BaseModel]  # the model holding the key
    required: bool
    value: Any


def keys(data: Any, model: type[BaseModel], loc: Loc = ()) -> Iterator[Key]:
    """Every key of `model` that `data` sets, and those of the models within, recursively."""
    for name, field in model.model_fields.items():
        if name not in data:
            continue
        value = data[name]
        yield Key((*loc, name), model, field.is_required(), value)
        yield from _within(value, _unwrap(field.annotation), (*loc, name))


def _within(value: Any, annotation: Any, loc: Loc) -> Iterator[Key]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield from keys(value, annotation, loc)
    elif get_origin(annotation) in (list, tuple) and isinstance(value, list):
        item = _unwrap(get_args(annotation)[0])
        for index, element in enumerate(value):
            yield from _within(element, item, (*loc, index))


def models(annotation: Any) -> Iterator[type[BaseModel]]:
    """Every model reachable from a type."""
    annotation = _unwrap(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
        for field in annotation.model_fields.values():
            yield from models(field.annotation)
    for arg in get_args(annotation):
        if arg is not Ellipsis:
            yield from models(arg)


# ---- editing the YAML and finding lines ---------------------------------------------------


def full() -> dict[str, Any]:
    data = yaml.safe_load(FULL)
    assert isinstance(data, dict)
    return data


def edited(loc: Loc, change: Any) -> dict[str, Any]:
    """The full config with `change(parent, last)` applied at `loc`."""
    data = full()
    parent: Any = data
    for part in loc[:-1]:
        parent = parent[part]
    change(parent, loc[-1])
    return data


def write(tmp_path: Path, data: Any) -> Path:
    path = tmp_path / FILE
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), "utf-8")
    return path


def line_of(path: Path, loc: Loc) -> int:
    """The line of the key at `loc`, or of the closest enclosing entry that exists."""
    node = yaml.compose(path.read_text("utf-8"))
    assert node is not None
    line = node.start_mark.line + 1
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            found = [(k, v) for k, v in node.value if k.value == str(part)]
            if not found:
                break
            key, node = found[0]
            line = key.start_mark.line + 1
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            break
    return line


def dotted(loc: Loc) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def check(path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str]]:
    code = main(["check-config", str(path)])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return code, captured.err.splitlines()


def one_problem(path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    code, lines = check(path, capsys)
    assert code == 2
    assert len(lines) == 1, lines
    return lines[0]


# ---- the cases ----------------------------------------------------------------------------

FULL_KEYS = list(keys(full(), Config))


def test_the_full_config_sets_every_key_of_the_model(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _ = check(write(tmp_path, full()), capsys)
    assert code == 0
    for model in set(models(Config)):
        set_here = {k.loc[-1] for k in FULL_KEYS if k.model is model}
        assert set_here == set(model.model_fields), f"{model.__name__} keys left out of FULL"


@pytest.mark.parametrize("key", [k for k in FULL_KEYS if k.required], ids=lambda k: dotted(k.loc))
def test_every_required_key_missing_in_turn(
    key: Key, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, edited(key.loc, lambda parent, last: parent.pop(last)))
    if issubclass(key.model, FILLED_FROM_DEFAULT):
        assert check(path, capsys)[0] == 0
        return
    where = f"{path}:{line_of(path, key.loc)}: {dotted(key.loc)}"
    assert one_problem(path, capsys) == f"{where}: required key is missing"


def _wrong_kind(value: Any) -> Any:
    """A value of another kind: text for a list or mapping, a list for anything else."""
    return "oops" if isinstance(value, list | dict) else ["oops"]


@pytest.mark.parametrize("key", FULL_KEYS, ids=lambda k: dotted(k.loc))
def test_every_value_of_the_wrong_kind(
    key: Key, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def replace(parent: Any, last: Any) -> None:
        parent[last] = _wrong_kind(key.value)

    path = write(tmp_path, edited(key.loc, replace))
    problem = one_problem(path, capsys)
    assert problem.startswith(f"{path}:{line_of(path, key.loc)}: {dotted(key.loc)}: "), problem


def _misspelt(name: str) -> str:
    """Two letters swapped, as fingers do ("tiemzone"); a short key gets a letter twice."""
    if len(name) < 4:
        return name + name[-1]
    at = next(i for i in range(1, len(name) - 1) if name[i] != name[i + 1])
    return name[:at] + name[at + 1] + name[at] + name[at + 2 :]


@pytest.mark.parametrize("key", FULL_KEYS, ids=lambda k: dotted(k.loc))
def test_every_key_misspelt_is_named_with_a_suggestion(
    key: Key, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The misspelt key is reported first, with the key that was meant; a required key that
    is then missing follows on its own line."""
    name = str(key.loc[-1])
    typo = _misspelt(name)
    assert typo != name

    def rename(parent: Any, last: Any) -> None:
        parent[typo] = parent.pop(last)

    path = write(tmp_path, edited(key.loc, rename))
    code, lines = check(path, capsys)
    assert code == 2
    loc = (*key.loc[:-1], typo)
    assert lines[0] == (
        f"{path}:{line_of(path, loc)}: {dotted(loc)}: unknown key; did you mean {name!r}?"
    )
    now_missing = key.required and not issubclass(key.model, FILLED_FROM_DEFAULT)
    assert len(lines) == (2 if now_missing else 1)


def test_an_unknown_key_with_nothing_like_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = full()
    data["policy"]["colour"] = "blue"
    path = write(tmp_path, data)
    assert one_problem(path, capsys) == (
        f"{path}:{line_of(path, ('policy', 'colour'))}: policy.colour: unknown key"
    )


def test_an_unknown_clause_is_named_with_a_suggestion(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = full()
    data["schools"][0]["policy"]["clauses"] = {"staf": "Be kind about staff."}
    path = write(tmp_path, data)
    loc = ("schools", 0, "policy", "clauses", "staf")
    problem = one_problem(path, capsys)
    assert problem.startswith(f"{path}:{line_of(path, loc)}: {dotted(loc)}: 'staf' is not one of")
    assert problem.endswith("did you mean 'staff'?")


@pytest.mark.parametrize(
    ("loc", "category", "suggestion"),
    [
        (("policy", "remind", 1), "threats", "; did you mean 'threat'?"),
        (("schools", 0, "moderation", "delete", 0), "violence", ""),
    ],
)
def test_an_unknown_category_in_a_policy(
    loc: Loc, category: str, suggestion: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def replace(parent: Any, last: Any) -> None:
        parent[last] = category

    path = write(tmp_path, edited(loc, replace))
    assert one_problem(path, capsys) == (
        f"{path}:{line_of(path, loc)}: {dotted(loc)}: {category!r} is not one of abuse, threat, "
        f"discrimination, staff, pupil, private, complaint{suggestion}"
    )


def test_the_same_chat_under_two_schools(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = full()
    data["schools"][1]["chats"].append(copy.deepcopy(data["schools"][0]["chats"][0]))
    path = write(tmp_path, data)
    loc = ("schools", 1, "chats", 1, "id")
    assert one_problem(path, capsys) == (
        f"{path}:{line_of(path, loc)}: {dotted(loc)}: "
        "telegram chat -1001234567890 is already listed under school 'riverside'"
    )


@pytest.mark.parametrize(
    ("text", "line", "problem"),
    [
        ("schools:\n  - id: a\x00\n", 2, "not valid YAML: character 0x0000 is not allowed"),
        ("schools:\n\t- id: a\n", 2, "not valid YAML: a tab character: YAML indents with spaces"),
        ("schools: [{id: a\n", 2, "not valid YAML:"),
        ("[" * 5000 + "]" * 5000, None, "not valid YAML: nested too deeply"),
        ("", 1, "the config is empty"),
        ("- a list\n", 1, "the config must be a mapping of sections"),
        ("schools: []\nschools: []\n", 2, "schools: key given twice"),
        ("schools: [{id: a, name: '${SG_NOT_SET}'}]\n", 1, "schools[0].name: environment"),
    ],
    ids=["nul", "tab", "unclosed", "deep", "empty", "list", "twice", "unset variable"],
)
def test_a_file_that_is_not_a_config(
    text: str, line: int | None, problem: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / FILE
    path.write_text(text, "utf-8")
    where = f"{path}:{line}: " if line else f"{path}: "
    assert one_problem(path, capsys).startswith(where + problem)


def test_a_file_that_cannot_be_read(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    binary = tmp_path / "binary.yaml"
    binary.write_bytes(b"\xff\xfe schools")
    assert one_problem(binary, capsys).startswith(f"{binary}:1: the file is not saved as UTF-8")
    assert one_problem(tmp_path, capsys).startswith(f"{tmp_path}: cannot read: ")
    absent = tmp_path / "absent.yaml"
    assert one_problem(absent, capsys) == f"{absent}: no such file"


def test_the_command_itself_prints_one_line_and_no_traceback(tmp_path: Path) -> None:
    """The real console script in its own process, as the admin runs it."""
    path = write(tmp_path, edited(("schools", 0, "staff", 0, "last"), lambda p, k: p.pop(k)))
    result = subprocess.run(
        [str(Path(sys.executable).with_name("schoolgate")), "check-config", str(path)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.splitlines() == [
        f"{path}:{line_of(path, ('schools', 0, 'staff', 0))}: schools[0].staff[0].last: "
        "required key is missing"
    ]


# ---- well-formed values that cannot be right ----------------------------------------------


def _set(value: Any) -> Any:
    def change(parent: Any, last: Any) -> None:
        parent[last] = value

    return change


@pytest.mark.parametrize(
    ("loc", "value", "problem"),
    [
        (("schools", 0, "slt", 0, "telegram"), "@shah", "a Telegram user id is a number"),
        (("schools", 0, "admins", 0, "telegram"), "@pat_admin", "not a @username"),
        (("schools", 0, "chats", 0, "id"), "@year3parents", "a Telegram group id is a number"),
        (("schools", 1, "chats", 0, "id"), "year-3-parents", "a Slack channel id looks like C"),
        (("schools", 0, "slt", 0, "slack"), "Mrs Shah", "a Slack member id looks like U"),
        (("schools", 0, "slt", 0, "discord"), "shah#1234", "a Discord user id is a long number"),
        (("schools", 0, "staff", 0, "last"), "", "the surname is empty"),
        (("schools", 0, "staff", 0, "last"), "   ", "e.g. last: Patel"),
        (("schools", 0, "custom_rules", 0, "pattern"), ".*", "would flag everyday messages"),
        (("schools", 0, "custom_rules", 0, "words"), ["PE", "raffle"], "'Morning all, is it PE"),
    ],
    ids=[
        "telegram @username",
        "admin @username",
        "telegram chat @name",
        "slack channel name",
        "slack member name",
        "discord tag",
        "empty surname",
        "blank surname",
        "pattern matching everything",
        "everyday words",
    ],
)
def test_a_value_that_cannot_be_right_is_an_error_naming_line_and_key(
    loc: Loc, value: Any, problem: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, edited(loc, _set(value)))
    found = one_problem(path, capsys)
    assert found.startswith(f"{path}:{line_of(path, loc)}: {dotted(loc)}: "), found
    assert problem in found


def test_a_pattern_for_everyday_words_quotes_a_message_it_would_flag(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    loc = ("schools", 0, "custom_rules", 0, "pattern")
    path = write(tmp_path, edited(loc, _set("tuesday|friday")))
    assert "such as 'Morning all, is it PE on Tuesday?'" in one_problem(path, capsys)


def test_an_slt_entry_with_no_platform_id_is_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    loc = ("schools", 0, "slt", 0)
    path = write(tmp_path, edited(loc, _set({"name": "Mrs Shah"})))
    assert one_problem(path, capsys) == (
        f"{path}:{line_of(path, loc)}: {dotted(loc)}: Mrs Shah has no id on any platform, so no "
        'alert can reach them: add their user id, e.g. telegram: 123456789, discord: "222222222222'
        '222222" or slack: U0123ABCD'
    )


def test_a_database_folder_that_does_not_exist_is_named_and_stops_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    database = tmp_path / "not-made-yet" / "schoolgate.sqlite3"
    path = write(tmp_path, edited(("storage", "path"), _set(str(database))))
    where = f"{path}:{line_of(path, ('storage', 'path'))}: storage.path: "
    code = main(["check-config", str(path)])
    out = capsys.readouterr().out
    assert code == 0
    assert f"warning: {where}the folder '{database.parent}' does not exist" in out

    assert main(["run", "--config", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"schoolgate: {where}the folder '{database.parent}' does not exist")
    assert not database.parent.exists()  # nothing made in its place


def test_a_database_others_can_read_is_warned_about(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    database = tmp_path / "schoolgate.sqlite3"
    database.write_bytes(b"")
    database.chmod(0o644)
    path = write(tmp_path, edited(("storage", "path"), _set(str(database))))
    assert main(["check-config", str(path)]) == 0
    out = capsys.readouterr().out
    where = f"{path}:{line_of(path, ('storage', 'path'))}: storage.path: "
    assert f"warning: {where}{database} can be read by other users" in out
    assert f"chmod 600 {database}" in out

    database.chmod(0o600)
    assert main(["check-config", str(path)]) == 0
    assert "can be read by other users" not in capsys.readouterr().out


# ---- files that are not plain YAML --------------------------------------------------------

BOMB = "".join(
    f"{name}: &{name} [{', '.join([f'*{prev}' if prev else 'lol'] * 9)}]\n"
    for prev, name in zip(["", "a", "b", "c", "d", "e", "f"], "abcdefg", strict=True)
)


def test_an_alias_bomb_is_refused_without_expanding_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / FILE
    path.write_text(BOMB + "schools: *g\n", "utf-8")
    assert one_problem(path, capsys) == (
        f"{path}: its YAML aliases (*name) expand to more than 100,000 entries, far more than "
        "any school has: write the entries out instead"
    )


def test_a_few_aliases_are_still_fine(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = full()
    text = yaml.safe_dump(data, sort_keys=False).replace(
        "  - name: Mrs Shah\n", "  - &shah\n    name: Mrs Shah\n", 1
    )
    path = tmp_path / FILE
    path.write_text(
        text.replace("admins:\n    - name: Pat", "admins:\n    - *shah\n    - name: Pat")
    )
    code, _ = check(path, capsys)
    assert code == 0


def test_a_file_not_saved_as_utf8_names_the_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / FILE
    path.write_bytes("schools:\n  - id: a\n    name: École Sainte-Anne\n".encode("latin-1"))
    assert one_problem(path, capsys) == (
        f"{path}:3: the file is not saved as UTF-8 (byte 0xc9 here is not UTF-8 text): open it "
        "in a text editor and save it again choosing the UTF-8 encoding"
    )


@pytest.mark.parametrize(
    ("text", "line", "plain"),
    [
        ("schools:\n  - id: a\n    name: A\n   ? x\n", 4, "indented differently"),
        ("schools:\n  - id: a\n    name: A\n  staff: []\n", 4, "indented differently"),
        ("schools:\n  - id: a\n    name: Note: shut\n", 3, "put text that contains ': ' in quotes"),
        ("schools:\n  - id: a\n    name: @bob\n", 3, "must be in quotes"),
        ("schools: [{id: a, name: 'A}]\n", 2, "a quote is not closed"),
        ("schools: [a, b\n", 2, "a list in [ ] is not closed"),
    ],
    ids=["question mark", "outdented key", "colon", "at sign", "open quote", "open list"],
)
def test_yaml_slips_are_described_in_plain_words(
    text: str, line: int, plain: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / FILE
    path.write_text(text, "utf-8")
    problem = one_problem(path, capsys)
    assert problem.startswith(f"{path}:{line}: not valid YAML: "), problem
    assert plain in problem
    for jargon in ("expected", "found", "<block", "scanning", "token"):
        assert jargon not in problem
