"""What the README and guides point an IT admin to is in the repository, and works."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.cli import main

REPO = Path(__file__).resolve().parents[1]
DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
# A path inside the repository, as the docs write one: `examples/riverside.yaml`, (docs/x.md).
PATH = re.compile(r"[`(]((?:[a-z_]+/)+[A-Za-z0-9_.-]*)[`)]")


def named_paths(doc: Path) -> list[str]:
    return [p for p in PATH.findall(doc.read_text("utf-8")) if not p.startswith("/")]


@pytest.mark.parametrize("doc", DOCS, ids=lambda d: d.name)
def test_every_repository_path_a_guide_names_exists(doc: Path) -> None:
    named = named_paths(doc)
    missing = [p for p in named if not (REPO / p).exists()]
    assert missing == []


def test_the_readme_points_to_the_sample_school() -> None:
    assert "examples/riverside.yaml" in named_paths(REPO / "README.md")


def test_the_sample_school_is_a_valid_config(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123456:placeholder")
    assert main(["check-config", str(REPO / "examples" / "riverside.yaml")]) == 0
    out = capsys.readouterr().out
    assert "school riverside (Riverside Primary School): 8 staff, 4 pupils, 2 SLT" in out
    assert "warning" not in out


def test_the_image_copies_every_package_the_project_installs() -> None:
    pyproject = (REPO / "pyproject.toml").read_text("utf-8")
    include = re.search(r"include = \[([^\]]*)\]", pyproject)
    assert include is not None
    packages = re.findall(r'"([a-z_]+)\*"', include.group(1))
    assert "learned" in packages
    dockerfile = (REPO / "Dockerfile").read_text("utf-8")
    missing = [p for p in packages if f"COPY {p} ./{p}" not in dockerfile]
    assert missing == []
