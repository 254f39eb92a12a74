"""Fixtures of the tap-vbrick-webcast tests: a fresh emulator per test, quick retries."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from testkit import start_emulator

from emulators import EmulatorServer
from tap_vbrick_webcast.client import VbrickStream


@pytest.fixture(autouse=True)
def quick_waits(monkeypatch: pytest.MonkeyPatch) -> None:
    """Retry waits in tenths of seconds: the behaviour, not the minutes."""
    monkeypatch.setattr(VbrickStream, "retry_base_seconds", 0.05)
    monkeypatch.setattr(VbrickStream, "retry_max_seconds", 0.2)


@pytest.fixture
def small_rev() -> Iterator[EmulatorServer]:
    """Six webcasts, all over, no large ones: a quick full sync."""
    server = start_emulator("vbrick", size=6, in_progress=0, upcoming=0, large_webcasts=0)
    try:
        yield server
    finally:
        server.stop()
