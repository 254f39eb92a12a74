"""Fixtures of the tap-vbrick-webcast tests: a fresh emulator per test (quick retries are
settings: helpers.config_for)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from testkit import start_emulator

from emulators import EmulatorServer


@pytest.fixture
def small_rev() -> Iterator[EmulatorServer]:
    """Six webcasts, all over, no large ones: a quick full sync."""
    server = start_emulator("vbrick", size=6, in_progress=0, upcoming=0, large_webcasts=0)
    try:
        yield server
    finally:
        server.stop()
