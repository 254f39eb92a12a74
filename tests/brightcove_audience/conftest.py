"""Fixtures for tap-brightcove-audience: an emulator per test module (the constants, config
builders and the tap's runner are in helpers.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from testkit import start_emulator

from emulators import EmulatorServer


@pytest.fixture(scope="module")
def emulator() -> Iterator[EmulatorServer]:
    """A small emulator (300 view events and 60 leads per account) shared by a module."""
    server = start_emulator("brightcove", size=300)
    yield server
    server.stop()


@pytest.fixture
def server(emulator: EmulatorServer) -> EmulatorServer:
    """The module's emulator with no faults armed, an empty request log, and every switch
    back to the documented API (variants, permissions, leads held back, token expiry)."""
    emulator.reset()
    emulator.state.tokens.clear()
    emulator.state.reset_switches()
    return emulator
