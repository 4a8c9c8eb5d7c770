"""Writes docs/report/SECTION.png: the top of each section of the term report of the generated
term, as Chromium shows it 900 pixels wide.

    python -m tests.reports.section_shots
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

from tests.reports.browser import chromium_or_skip, measure, recording_proxy, section_shot
from tests.reports.test_term_report_in_chromium import SECTIONS, _term_report

DOCS = Path(__file__).resolve().parents[2] / "docs" / "report"
WIDTH = 900
MOST = 1400  # pixels of a long section shown


def main() -> int:
    browser = chromium_or_skip()
    DOCS.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as folder, recording_proxy() as proxy:
        page = asyncio.run(_term_report(Path(folder)))
        layout = measure(browser, page, proxy, WIDTH)
        for n, (name, top, height) in enumerate(layout["sections"]):
            assert name in SECTIONS
            if n == 0:  # the first with the report's title above it
                top, height = 0, top + height
            out = DOCS / f"{name}.png"
            section_shot(
                browser, page, proxy, out, top=int(top), height=min(MOST, int(height)), width=WIDTH
            )
            print(f"wrote {out}")
        if proxy.page_requests():
            print(f"the report asked the network for {proxy.page_requests()}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
