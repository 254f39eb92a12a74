"""Real-time attendees: only on request, only for webcasts in progress, within Vbrick's pace."""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator

import pytest
from testkit import run_tap, start_emulator
from vbrick_webcast.helpers import (
    KEYS,
    FastPaceTap,
    UnpacedTap,
    catalog,
    config_for,
    duplicates,
    listed_webcasts,
)

from emulators import EmulatorServer
from tap_vbrick_webcast.tap import TapVbrickWebcast

REPORTS_BUT_REALTIME = (
    "webcast_attendee_sessions",
    "webcast_attendance_summary",
    "webcast_comments",
    "webcast_poll_results",
    "webcast_questions",
)


@pytest.fixture
def live_rev() -> Iterator[EmulatorServer]:
    """Three webcasts: two over, one running. Vbrick's pace shrunk to 2 calls per 0.5 s (the
    emulator's limit) and to 2 calls per 0.5 s of the wall clock (FastPaceTap)."""
    server = start_emulator(
        "vbrick",
        size=3,
        in_progress=1,
        upcoming=0,
        large_webcasts=0,
        rate_limits={"GET": 24000, "POST": 3600, "realtime": 2},
        rate_window_seconds=0.5,
    )
    try:
        yield server
    finally:
        server.stop()


def test_realtime_is_off_by_default(live_rev: EmulatorServer) -> None:
    result = run_tap(TapVbrickWebcast, config_for(live_rev))
    assert result.records["webcast_realtime_attendees"] == []
    assert live_rev.requests.matching("/real-time/attendees") == []


def test_realtime_pages_are_paced_and_every_attendee_comes_once(live_rev: EmulatorServer) -> None:
    # Vbrick's pace (2 calls a minute: 30 s apart) on a clock 120 times faster: 0.25 s apart.
    running = listed_webcasts(live_rev)[-1]
    total = catalog(live_rev).realtime_count(running)
    result = run_tap(
        FastPaceTap,
        config_for(live_rev, include_realtime=True, page_size=100),
        deselect=REPORTS_BUT_REALTIME,
    )
    attendees = result.records["webcast_realtime_attendees"]
    assert len(attendees) == total
    assert duplicates(attendees, KEYS["webcast_realtime_attendees"]) == []
    assert {a["eventId"] for a in attendees} == {running.id}
    assert all(a["Browser"] for a in attendees)  # attendeeDetails All
    calls = live_rev.requests.matching("/real-time/attendees")
    assert len(calls) == math.ceil(total / 100)  # no 429: the pace was kept
    gaps = [b.at - a.at for a, b in itertools.pairwise(calls)]
    assert min(gaps) >= 0.24


@pytest.mark.parametrize("retry_after", [True, False])
def test_realtime_throttled_by_rev_is_retried(live_rev: EmulatorServer, retry_after: bool) -> None:
    # No pacing on our side: Rev's own limit answers 429 and the tap waits and asks again.
    live_rev.state.send_retry_after = retry_after
    running = listed_webcasts(live_rev)[-1]
    total = catalog(live_rev).realtime_count(running)
    result = run_tap(
        UnpacedTap,
        config_for(live_rev, include_realtime=True, page_size=50),
        deselect=REPORTS_BUT_REALTIME,
    )
    attendees = result.records["webcast_realtime_attendees"]
    assert len(attendees) == total
    assert duplicates(attendees, KEYS["webcast_realtime_attendees"]) == []
    assert len(live_rev.requests.matching("/real-time/attendees")) > math.ceil(total / 50)
