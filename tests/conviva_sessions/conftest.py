"""Fixtures for tap-conviva-sessions: a demo-sized emulator per module, reset between tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from conviva_sessions.helpers import conviva_emulator

from emulators import EmulatorServer


@pytest.fixture(scope="module")
def conviva() -> Iterator[EmulatorServer]:
    """A demo-sized account shared by a module's tests (reset between them)."""
    with conviva_emulator(size=20_000) as server:
        yield server


@pytest.fixture(autouse=True)
def _reset_conviva(request: pytest.FixtureRequest) -> None:
    if "conviva" in request.fixturenames:
        request.getfixturevalue("conviva").reset()
