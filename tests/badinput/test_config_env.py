"""Secrets from the environment: a `${VAR}` that is not set, or a secret that is set but empty,
is named with the key it was used for, alongside every other problem in the file, so that the
IT admin fixes the config in one go. No secret value is ever printed.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.cli import main
from bot.config import ConfigError, load_config
from tests.badinput.test_config import ENV, FILE, Loc, dotted, full, line_of, write

# Values that cannot turn up in an error by chance, so that printing one is caught.
SECRETS = {name: f"zq{index}-kept-secret" for index, name in enumerate(ENV)}


@pytest.fixture(autouse=True)
def environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)


def uses(data: Any, name: str, loc: Loc = ()) -> Iterator[Loc]:
    """Every key whose value refers to the variable `name`."""
    if isinstance(data, str) and "${" + name + "}" in data:
        yield loc
    elif isinstance(data, dict):
        for key, value in data.items():
            yield from uses(value, name, (*loc, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from uses(value, name, (*loc, index))


def check(path: Path, capsys: pytest.CaptureFixture[str]) -> list[str]:
    """What `schoolgate check-config` prints for a config it refuses."""
    code = main(["check-config", str(path)])
    captured = capsys.readouterr()
    assert code == 2
    assert captured.out == ""
    assert "Traceback" not in captured.err
    for value in SECRETS.values():
        assert value not in captured.err
    return captured.err.splitlines()


def at(path: Path, loc: Loc, message: str) -> str:
    return f"{path}:{line_of(path, loc)}: {dotted(loc)}: {message}"


def test_a_missing_variable_and_other_mistakes_are_all_reported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SG_DISCORD_TOKEN")
    monkeypatch.setenv("SG_WEBHOOK_SECRET", "has spaces, not allowed")
    data = full()
    del data["schools"][0]["staff"][0]["last"]
    data["policy"]["tiemzone"] = data["policy"].pop("timezone")
    data["policy"]["retention_days"] = "ninety"
    path = write(tmp_path, data)

    lines = check(path, capsys)

    assert lines == [
        # An unknown key first: its suggestion often explains the rest; then in file order.
        at(path, ("policy", "tiemzone"), "unknown key; did you mean 'timezone'?"),
        at(path, ("schools", 0, "staff", 0, "last"), "required key is missing"),
        at(path, ("policy", "retention_days"), "expected a whole number, got text"),
        at(
            path,
            ("telegram", "webhook", "secret_token"),
            "use 1-256 characters from A-Z, a-z, 0-9, _ and -",
        ),
        at(path, ("discord", "token"), "environment variable SG_DISCORD_TOKEN is not set"),
    ]
    assert "has spaces" not in "\n".join(lines)


@pytest.mark.parametrize("name", sorted(SECRETS))
def test_each_variable_unset_is_named_with_its_key_beside_a_typo(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(name)
    data = full()
    data["storage"]["pth"] = data["storage"].pop("path")
    path = write(tmp_path, data)
    [loc] = uses(data, name)

    assert check(path, capsys) == [
        at(path, ("storage", "pth"), "unknown key; did you mean 'path'?"),
        at(path, loc, f"environment variable {name} is not set"),
    ]


@pytest.mark.parametrize("value", ["", "  "], ids=["empty", "blank"])
@pytest.mark.parametrize("name", sorted(SECRETS))
def test_each_secret_set_but_empty_is_an_error_naming_the_variable(
    name: str,
    value: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(name, value)
    data = full()
    path = write(tmp_path, data)
    [loc] = uses(data, name)

    assert check(path, capsys) == [at(path, loc, f"environment variable {name} is set but empty")]


def test_an_empty_variable_for_a_key_that_is_not_secret_is_used_as_it_is(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SG_CODE_URL", "")
    data = full()
    data["schools"][0]["policy"]["url"] = "${SG_CODE_URL}"

    config = load_config(write(tmp_path, data))

    assert config.schools[0].policy.url == ""


def test_a_missing_variable_and_a_chat_listed_twice(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SG_SLACK_BOT_TOKEN")
    data = full()
    data["schools"][1]["chats"].append(dict(data["schools"][0]["chats"][0]))
    path = write(tmp_path, data)

    assert check(path, capsys) == [
        at(
            path,
            ("schools", 1, "chats", 1, "id"),
            "telegram chat -1001234567890 is already listed under school 'riverside'",
        ),
        at(path, ("slack", "bot_token"), "environment variable SG_SLACK_BOT_TOKEN is not set"),
    ]


def test_every_missing_variable_in_one_value_and_every_use_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SG_NOT_SET_A", raising=False)
    monkeypatch.delenv("SG_NOT_SET_B", raising=False)
    data = full()
    data["telegram"]["token"] = "${SG_NOT_SET_A}:${SG_NOT_SET_B}"
    data["discord"]["token"] = "${SG_NOT_SET_A}"
    path = write(tmp_path, data)

    assert check(path, capsys) == [
        at(path, ("telegram", "token"), "environment variable SG_NOT_SET_A is not set"),
        at(path, ("telegram", "token"), "environment variable SG_NOT_SET_B is not set"),
        at(path, ("discord", "token"), "environment variable SG_NOT_SET_A is not set"),
    ]


def test_the_error_raised_to_other_commands_is_one_line_with_a_count(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SG_TELEGRAM_TOKEN")
    text = (
        "schools:\n"
        "  - id: riverside\n"
        "    name: Riverside Primary School\n"
        "    pupills: [Noah]\n"
        "telegram:\n"
        "  token: ${SG_TELEGRAM_TOKEN}\n"
    )
    path = tmp_path / FILE
    path.write_text(text, "utf-8")

    with pytest.raises(ConfigError) as caught:
        load_config(path)

    assert caught.value.problems == [
        f"{path}:4: schools[0].pupills: unknown key; did you mean 'pupils'?",
        f"{path}:6: telegram.token: environment variable SG_TELEGRAM_TOKEN is not set",
    ]
    assert str(caught.value) == (
        f"{path}:4: schools[0].pupills: unknown key; did you mean 'pupils'? (and 1 more problem)"
    )
