"""Fixtures for tap-brightcove-audience: an emulator per test module (the constants, config
builders and the tap's runner are in helpers.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from testkit import start_emulator

from emulators import EmulatorServer
from tap_brightcove_audience.client import BrightcoveStream


@pytest.fixture
def fast_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """Exponential backoff from 10 ms up to 50 ms instead of 1 s up to 60 s (Retry-After is
    still honoured)."""
    monkeypatch.setattr(BrightcoveStream, "BACKOFF_BASE_SECONDS", 0.01)
    monkeypatch.setattr(BrightcoveStream, "BACKOFF_CAP_SECONDS", 0.05)


@pytest.fixture(scope="module")
def emulator() -> Iterator[EmulatorServer]:
    """A small emulator (300 view events and 60 leads per account) shared by a module."""
    server = start_emulator("brightcove", size=300)
    yield server
    server.stop()


@pytest.fixture
def server(emulator: EmulatorServer) -> EmulatorServer:
    """The module's emulator with no faults armed and an empty request log."""
    emulator.reset()
    emulator.state.tokens.clear()
    return emulator
