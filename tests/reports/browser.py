"""Opening a report in headless Chromium (Debian's `chromium`) for tests and the screenshots in
docs/: every request it makes goes to a recording proxy on loopback, which answers nothing."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Chromium's own background services, which are not the page's doing.
CHROMIUMS_OWN = re.compile(r"\b(?:[\w-]+\.)*(?:google|googleapis|gstatic|gvt1|gvt2)\.com\b")


def chromium_or_skip() -> str:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI") == "true":
            pytest.fail("chromium is not installed (CI installs Debian's chromium package)")
        pytest.skip("chromium is not installed: apt-get install chromium to run this test")
    return CHROMIUM


class RecordingProxy:
    """A proxy on 127.0.0.1 that answers nothing and notes the first line of each request.
    A connection that closes without a request (Chromium opens some ahead of need) is none."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.requests: list[str] = []
        self._handlers: list[threading.Thread] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            handler = threading.Thread(target=self._read, args=(client,), daemon=True)
            self._handlers.append(handler)
            handler.start()

    def _read(self, client: socket.socket) -> None:
        with client:
            client.settimeout(60)
            try:
                first = client.recv(4096).split(b"\r\n", 1)[0]
            except OSError:
                first = b"(a connection that sent nothing for a minute)"
            if first:
                self.requests.append(first.decode("latin-1"))

    def page_requests(self) -> list[str]:
        for handler in list(self._handlers):
            handler.join(timeout=90)
        return [r for r in self.requests if not CHROMIUMS_OWN.search(r)]


@contextmanager
def recording_proxy() -> Iterator[RecordingProxy]:
    recording = RecordingProxy()
    try:
        yield recording
    finally:
        recording.server.close()


def open_in_chromium(
    browser: str, page: Path, proxy: RecordingProxy, *options: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-extensions",
            f"--proxy-server=http://127.0.0.1:{proxy.port}",
            "--proxy-bypass-list=<-loopback>",
            "--hide-scrollbars",
            *options,
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )


# Measures the report from a page that holds it in a frame: the report's own policy allows no
# script, and its frame may be read only by a page given file access (--allow-file-access...).
_MEASURE = """<!DOCTYPE html><html><body style="margin:0">
<iframe id="r" src="{src}" style="width:{width}px;height:{height}px;border:0"></iframe>
<pre id="out"></pre>
<script>
document.getElementById("r").addEventListener("load", () => {{
  const doc = document.getElementById("r").contentDocument;
  const box = (e) => {{ const b = e.getBoundingClientRect(); return [b.width, b.height]; }};
  document.getElementById("out").textContent = JSON.stringify({{
    svgs: [...doc.querySelectorAll("svg")].map(box),
    sections: [...doc.querySelectorAll("main > section")].map(
      (s) => [s.id, s.getBoundingClientRect().top + doc.defaultView.scrollY, box(s)[1]]),
    scroll_width: doc.documentElement.scrollWidth,
    client_width: doc.documentElement.clientWidth,
    height: doc.documentElement.scrollHeight,
  }});
}});
</script></body></html>"""

_SHOT = """<!DOCTYPE html><html><body style="margin:0;overflow:hidden">
<iframe src="{src}" style="position:absolute;top:-{top}px;left:0;width:{width}px;
height:{frame}px;border:0"></iframe></body></html>"""


def measure(browser: str, page: Path, proxy: RecordingProxy, width: int) -> dict[str, Any]:
    """Where the report's charts and sections are, laid out `width` pixels wide: "svgs" as
    [width, height], "sections" as [id, top, height], and the page's scroll and client width."""
    frame = page.with_name(f"measure-{page.stem}.html")
    frame.write_text(_MEASURE.format(src=page.name, width=width, height=800), "utf-8")
    dom = open_in_chromium(
        browser,
        frame,
        proxy,
        "--allow-file-access-from-files",
        "--virtual-time-budget=20000",
        "--dump-dom",
    ).stdout
    found = re.search(r'<pre id="out">(.*?)</pre>', dom, re.DOTALL)
    assert found is not None, "the measuring page saw nothing of the report"
    measured: dict[str, Any] = json.loads(found.group(1).replace("&quot;", '"'))
    return measured


def section_shot(
    browser: str, page: Path, proxy: RecordingProxy, out: Path, *, top: int, height: int, width: int
) -> None:
    """A screenshot of `height` pixels of the report from `top` down."""
    frame = page.with_name(f"shot-{page.stem}.html")
    frame.write_text(_SHOT.format(src=page.name, top=top, width=width, frame=top + height), "utf-8")
    open_in_chromium(
        browser, frame, proxy, f"--screenshot={out}", f"--window-size={width},{height}"
    )
