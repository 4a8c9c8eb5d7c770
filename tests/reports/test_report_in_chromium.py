"""The SLT report opened in headless Chromium: it renders, its chart is drawn, and it asks the
network for nothing (every request Chromium makes goes to a recording proxy on loopback)."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import numpy as np
from matplotlib.image import imread

from bot.config import load_config
from bot.reports.render import write_private
from bot.reports.whatsapp import report_html
from bot.whatsapp.parser import parse
from bot.whatsapp_scan import judge
from rules import RulesEngine
from tests.cli.test_cli import SCHOOL
from tests.reports.browser import RecordingProxy, open_in_chromium
from tests.whatsapp.conftest import fixture_text

STAFF_BLUE = np.array([0x1A, 0x73, 0xE8]) / 255  # the staff category's bars in the chart


def write_report(path: Path, tmp_path: Path) -> None:
    config = tmp_path / "school.yaml"
    config.write_text(SCHOOL, "utf-8")
    school = load_config(config).schools[0]
    chat = parse(fixture_text("oakfield_year3.txt"), "oakfield_year3.txt")
    page = report_html(
        chat,
        judge(chat, school, RulesEngine()),
        school,
        chat_name=chat.name or "",
        source="oakfield_year3.txt",
        generated_at=datetime(2026, 10, 1, 9, 30),
    )
    write_private(path, page)


def test_the_report_renders_with_its_chart_and_no_network(
    chromium: str, proxy: RecordingProxy, tmp_path: Path
) -> None:
    report = tmp_path / "report.html"
    write_report(report, tmp_path)
    shot = tmp_path / "report.png"
    open_in_chromium(chromium, report, proxy, f"--screenshot={shot}", "--window-size=900,2600")
    pixels = imread(shot)[:, :, :3]
    assert pixels.shape[:2] == (2600, 900)
    assert pixels.std() > 0.05  # not a blank page
    assert (pixels < 0.5).mean() > 0.005  # dark text on the page
    bars = np.all(np.abs(pixels - STAFF_BLUE) < 0.02, axis=2)
    assert bars.sum() > 500  # the chart's staff bars were drawn

    dom = open_in_chromium(chromium, report, proxy, "--dump-dom").stdout
    assert "<svg" in dom
    assert "Oakfield Year 3 Parents" in dom
    assert dom.count('class="incident ') == 3

    pdf = tmp_path / "report.pdf"
    open_in_chromium(chromium, report, proxy, f"--print-to-pdf={pdf}", "--no-pdf-header-footer")
    pages = re.findall(rb"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]", pdf.read_bytes())
    assert pages
    assert {(round(float(w)), round(float(h))) for w, h in pages} == {(595, 842)}  # A4
    assert proxy.page_requests() == []


def test_the_proxy_would_see_a_page_that_reaches_out(
    chromium: str, proxy: RecordingProxy, tmp_path: Path
) -> None:
    page = tmp_path / "reaches-out.html"
    page.write_text('<img src="http://school-photos.invalid/x.png"><p>hello</p>', "utf-8")
    open_in_chromium(chromium, page, proxy, "--dump-dom")
    assert any("school-photos.invalid" in r for r in proxy.page_requests())
