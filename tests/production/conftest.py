"""Fixtures of the production recipes: one small Brightcove emulator for the session (two
accounts, the partitions' slices) and PostgreSQL databases and schemas of the tests' own."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from testkit import start_emulator

from emulators import EmulatorServer

#: Records per account and stream: enough for several pages (page_size 100) per account.
SIZE = 250


@pytest.fixture(scope="session")
def brightcove() -> Iterator[EmulatorServer]:
    server = start_emulator("brightcove", size=SIZE)
    yield server
    server.stop()
