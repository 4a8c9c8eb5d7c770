"""The term report of the demo's database and of a generated term (3 schools, 40 chats, 2,000
incidents) opened in headless Chromium: every chart is drawn with a size, the page fits a
phone's width, prints on A4, and asks the network for nothing."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from matplotlib.image import imread

from bench.term_generator import FIRST_DAY, WEEKS, generate
from bot.demo import run_demo
from bot.reports.charts import COLOURS
from bot.reports.render import write_private
from bot.reports.term import gather, report_html
from bot.store import Store
from tests.reports.browser import RecordingProxy, measure, open_in_chromium

CHARTS = 5  # by week, category, chat, platform, dismissals by rule
SECTIONS = [
    "summary",
    "by-week",
    "where",
    "handling",
    "senders",
    "chat-changes",
    "dismissals",
    "exports",
]
PHONE = 390  # CSS pixels: an ordinary phone held upright


@pytest.fixture(scope="module")
def demo_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("demo")
    report = folder / "demo-report.html"
    assert run_demo(db=str(folder / "demo.sqlite3"), pace=0, report=str(report)) == 0
    return report


async def _term_report(folder: Path) -> Path:
    db = folder / "term.sqlite3"
    config = await generate(db)
    async with Store(db) as store:
        report = await gather(
            store,
            config,
            config.schools,
            FIRST_DAY,
            FIRST_DAY + timedelta(weeks=WEEKS, days=-1),
            generated_at=datetime(2025, 12, 1, 9, 0, tzinfo=UTC),
        )
    assert report.summary["incidents"] == 2000
    page = folder / "term-report.html"
    write_private(page, report_html(report))
    return page


@pytest.fixture(scope="module")
def term_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return asyncio.run(_term_report(tmp_path_factory.mktemp("term")))


@pytest.fixture(params=["demo", "term"])
def report(request: pytest.FixtureRequest) -> Path:
    page: Path = request.getfixturevalue(f"{request.param}_report")
    return page


def _colour(hex_colour: str) -> np.ndarray:
    return np.array([int(hex_colour[i : i + 2], 16) for i in (1, 3, 5)]) / 255


def test_the_report_draws_every_chart_fits_a_phone_and_fetches_nothing(
    chromium: str, proxy: RecordingProxy, report: Path, tmp_path: Path
) -> None:
    assert report.stat().st_mode & 0o777 == 0o600

    shot = tmp_path / "report.png"
    open_in_chromium(chromium, report, proxy, f"--screenshot={shot}", "--window-size=900,2400")
    pixels = imread(shot)[:, :, :3]
    assert pixels.std() > 0.05  # not a blank page
    # The weekly chart's bars, in the colour of a category the report counts.
    counted = [c for c in COLOURS if f">{c}</th>" in report.read_text("utf-8")]
    assert counted
    drawn = [
        c for c in counted if np.all(np.abs(pixels - _colour(COLOURS[c])) < 0.02, axis=2).sum()
    ]
    assert drawn, "no category's bars were drawn"

    for width in (900, PHONE):
        layout = measure(chromium, report, proxy, width)
        assert len(layout["svgs"]) == CHARTS
        assert all(w > 50 and h > 50 for w, h in layout["svgs"]), layout["svgs"]
        assert [s[0] for s in layout["sections"]] == SECTIONS
        assert layout["scroll_width"] <= layout["client_width"]  # nothing wider than the screen

    pdf = tmp_path / "report.pdf"
    open_in_chromium(chromium, report, proxy, f"--print-to-pdf={pdf}", "--no-pdf-header-footer")
    pages = re.findall(rb"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]", pdf.read_bytes())
    assert {(round(float(w)), round(float(h))) for w, h in pages} == {(595, 842)}  # A4
    assert proxy.page_requests() == []


def test_docs_show_each_section_of_the_report() -> None:
    """One screenshot per section (`python -m tests.reports.section_shots` makes them)."""
    docs = Path(__file__).resolve().parents[2] / "docs" / "report"
    assert sorted(p.stem for p in docs.glob("*.png")) == sorted(SECTIONS)
