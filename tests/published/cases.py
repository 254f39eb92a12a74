"""Each tap with a small emulator and the settings that point it there: what the tests of the
published taps sync (the built wheel alone, and a fresh Meltano project). The data sets are the
small ones tests/project/test_tap_contract.py uses, so a whole sync takes seconds."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from brightcove_audience.helpers import tap_config as brightcove_config
from conviva_sessions.helpers import base_config as conviva_config
from conviva_sessions.helpers import conviva_emulator
from testkit import start_emulator
from vbrick_webcast.helpers import config_for as vbrick_config
from webcast_reporting.helpers import config as webcasts_config

from emulators import EmulatorServer


@dataclass(frozen=True)
class Case:
    tap: str
    start: Callable[[], EmulatorServer]
    config: Callable[[EmulatorServer], dict[str, Any]]
    #: Streams a whole sync of this data set must write records to.
    streams: tuple[str, ...]


CASES = [
    Case(
        "tap-brightcove-audience",
        lambda: start_emulator("brightcove", size=300),
        lambda s: brightcove_config(s.url),
        ("view_events", "leads"),
    ),
    Case(
        "tap-conviva-sessions",
        lambda: conviva_emulator(size=3_000).start(),
        conviva_config,
        ("content_sessions", "dimensions"),
    ),
    Case(
        "tap-vbrick-webcast",
        lambda: start_emulator("vbrick", size=6, in_progress=0, upcoming=0, large_webcasts=0),
        vbrick_config,
        ("webcasts", "webcast_attendee_sessions", "webcast_comments"),
    ),
    Case(
        "tap-webcast-reporting",
        lambda: start_emulator("webcasts", size=12, events=2, expired_events=0),
        lambda s: webcasts_config(s.url),
        ("events", "event_reports", "registrants", "viewing_sessions"),
    ),
]
TAPS = [case.tap for case in CASES]
