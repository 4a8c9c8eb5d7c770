"""Rendering a report from its template, and writing it where only its owner can read it."""

from __future__ import annotations

import os
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup


@cache
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("bot.reports", "templates"),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    css = resources.files("bot.reports").joinpath("templates", "report.css").read_text("utf-8")
    env.globals["stylesheet"] = Markup(css)
    return env


def render(template: str, **context: Any) -> str:
    return environment().get_template(template).render(**context)


def write_private(path: Path, text: str) -> None:
    """Write a report holding parents' messages readable by its owner only (mode 0600)."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(descriptor, 0o600)  # a file that was already there keeps no wider mode
    with os.fdopen(descriptor, "w", encoding="utf-8") as out:
        out.write(text)
