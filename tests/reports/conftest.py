"""Chromium and the recording proxy, for the tests that open a report."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.reports.browser import RecordingProxy, chromium_or_skip, recording_proxy


@pytest.fixture(scope="module")
def chromium() -> str:
    return chromium_or_skip()


@pytest.fixture
def proxy() -> Iterator[RecordingProxy]:
    with recording_proxy() as recording:
        yield recording
