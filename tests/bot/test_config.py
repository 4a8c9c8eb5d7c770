"""Config: what a school's IT admin writes, and the one-line errors they get when it is wrong."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.config import ConfigError, Contact, load_config, parse_config
from rules.model import Category, Clause

MINIMAL = """\
schools:
  - id: riverside
    name: Riverside Primary School
    staff:
      - {id: carter, title: Mr, first: James, last: Carter, roles: [headteacher]}
    pupils: [Noah]
"""


def error(text: str) -> str:
    with pytest.raises(ConfigError) as caught:
        parse_config(text, "school.yaml")
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_a_config_with_only_schools_is_valid() -> None:
    config = parse_config(MINIMAL, "school.yaml")
    [school] = config.schools
    assert school.staff[0].roles == ("headteacher",)
    assert school.pupils == ("Noah",)
    assert config.enabled_platforms == []
    assert config.storage.path == "schoolgate.sqlite3"
    # The built-in code of conduct, with a text for every clause the rules core cites.
    assert set(school.policy.clauses) == set(Clause)
    assert school.policy.version


def test_a_school_can_override_parts_of_the_code() -> None:
    config = parse_config(
        MINIMAL
        + "    policy:\n"
        + "      url: https://riverside.example/code\n"
        + "      clauses: {staff: Speak to the office about staff.}\n",
        "school.yaml",
    )
    code = config.schools[0].policy
    assert code.url == "https://riverside.example/code"
    assert code.clause(Clause.STAFF) == "Speak to the office about staff."
    assert code.clause(Clause.RESPECT)  # the rest from the default


def test_ids_are_strings_and_chats_are_found() -> None:
    config = parse_config(
        MINIMAL
        + "    slt: [{name: Mrs Shah, telegram: 111, discord: '2222', slack: U333}]\n"
        + "    chats: [{platform: telegram, id: -1001234, name: Year 3}]\n",
        "school.yaml",
    )
    [contact] = config.schools[0].slt
    assert contact == Contact(name="Mrs Shah", telegram="111", discord="2222", slack="U333")
    assert contact.id_on("slack") == "U333"
    assert contact.id_on("local") is None
    school = config.school_for_chat("telegram", "-1001234")
    assert school is not None
    assert school.id == "riverside"
    assert config.school_for_chat("telegram", "1234") is None
    assert [c.name for _, c in config.chats_on("telegram")] == ["Year 3"]


def test_environment_variables_are_expanded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SG_TEST_TOKEN", "123:abc")
    config = parse_config(MINIMAL + "telegram:\n  token: ${SG_TEST_TOKEN}\n", "school.yaml")
    assert config.telegram is not None
    assert config.telegram.token.get_secret_value() == "123:abc"
    assert "123:abc" not in repr(config)


def test_a_missing_environment_variable_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SG_NOT_SET", raising=False)
    assert error(MINIMAL + "telegram:\n  token: ${SG_NOT_SET}\n") == (
        "school.yaml:8: telegram.token: environment variable SG_NOT_SET is not set"
    )


def test_missing_key() -> None:
    assert error("schools:\n  - id: riverside\n    staff: []\n") == (
        "school.yaml:2: schools[0].name: required key is missing"
    )


def test_wrong_type() -> None:
    assert error(MINIMAL + "policy:\n  retention_days: ninety\n") == (
        "school.yaml:8: policy.retention_days: expected a whole number, got text"
    )


def test_unknown_key_with_a_suggestion() -> None:
    assert error(MINIMAL.replace("    pupils:", "    pupills:")) == (
        "school.yaml:6: schools[0].pupills: unknown key; did you mean 'pupils'?"
    )
    assert (
        error(MINIMAL + "polcy: {}\n")
        == "school.yaml:7: polcy: unknown key; did you mean 'policy'?"
    )


def test_unknown_category_with_a_suggestion() -> None:
    assert error(MINIMAL + "policy:\n  delete: [abuse, threats]\n") == (
        "school.yaml:8: policy.delete[1]: 'threats' is not one of "
        + ", ".join(c.value for c in Category)
        + "; did you mean 'threat'?"
    )


def test_duplicate_chat_ids_across_schools() -> None:
    text = (
        MINIMAL
        + "    chats: [{platform: slack, id: C1}]\n"
        + "  - id: hillside\n"
        + "    name: Hillside Academy\n"
        + "    chats:\n"
        + "      - {platform: slack, id: C1}\n"
    )
    assert error(text) == (
        "school.yaml:11: schools[1].chats[0].id: slack chat C1 is already listed under "
        "school 'riverside'"
    )


def test_several_problems_are_counted_on_the_one_line() -> None:
    message = error("schools:\n  - id: a\n  - name: b\n")
    assert message.startswith("school.yaml:2: schools[0].name: required key is missing")
    assert message.endswith("(and 1 more problem)")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "school.yaml:1: the config is empty; it needs at least 'schools:'"),
        ("schools: [\n", "school.yaml:2: not valid YAML: "),
        ("- a\n- b\n", "school.yaml:1: the config must be a mapping of sections"),
        (MINIMAL + "schools: []\n", "school.yaml:7: schools: key given twice"),
        ("schools: []\n", "school.yaml:1: schools: list at least one school"),
        (MINIMAL + "    chats: [{platform: telegrm, id: 1}]\n", "did you mean 'telegram'?"),
        (MINIMAL + "policy:\n  timezone: Mars/Olympus\n", "unknown time zone 'Mars/Olympus'"),
        (MINIMAL + "telegram:\n  token: x\n  mode: webhook\n", "school.yaml:7: telegram: mode"),
    ],
)
def test_other_errors(text: str, expected: str) -> None:
    message = error(text)
    assert message.startswith(expected) or expected in message


def test_times_and_ids_keep_their_yaml_spelling() -> None:
    config = parse_config(
        MINIMAL
        + "    slt: [{name: Office, local: 0123}]\n"
        + "policy:\n  quiet_hours: {start: 21:30, end: 7:00}\n",
        "school.yaml",
    )
    assert config.schools[0].slt[0].local == "0123"
    quiet = config.policy.quiet_hours
    assert quiet is not None
    assert (str(quiet.start), str(quiet.end)) == ("21:30:00", "07:00:00")


def test_load_config_names_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"nope\.yaml: no such file"):
        load_config(tmp_path / "nope.yaml")
    path = tmp_path / "school.yaml"
    path.write_text("schools:\n  - id: a\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=rf"^{path}:2: schools\[0\]\.name: required key"):
        load_config(path)


def test_the_example_config_is_valid(monkeypatch: pytest.MonkeyPatch) -> None:
    example = Path(__file__).resolve().parents[2] / "config.example.yaml"
    text = example.read_text(encoding="utf-8")
    for name in re.findall(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}", text):
        monkeypatch.setenv(name, "placeholder-for-test")
    config = parse_config(text, str(example))
    assert config.schools[0].policy.complaints_url.startswith("https://")
    assert {c.platform for c in config.schools[0].chats} == {"telegram", "discord", "slack"}
