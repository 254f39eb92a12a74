"""What the tap-vbrick-webcast tests share: the emulator's credentials, a config builder, the
streams' keys, what a full sync must emit, and taps whose real-time pace tests can bear."""

from __future__ import annotations

import time
from typing import Any

from emulators import EmulatorServer
from emulators.vbrick.data import Catalog
from tap_vbrick_webcast.client import REALTIME_CALLS_PER_SECOND, RequestPacer, RunResources
from tap_vbrick_webcast.tap import TapVbrickWebcast

API_KEY = "emulator-api-key"
SECRET = "emulator-secret"
START_DATE = "2020-01-01T00:00:00Z"
REPORT_STREAMS = (
    "webcast_attendee_sessions",
    "webcast_attendance_summary",
    "webcast_realtime_attendees",
    "webcast_comments",
    "webcast_poll_results",
    "webcast_questions",
)
KEYS = {
    "webcasts": ("id",),
    "webcast_attendee_sessions": ("eventId", "runNumber", "sessionKey"),
    "webcast_attendance_summary": ("eventId", "runNumber"),
    "webcast_realtime_attendees": ("eventId", "runNumber", "SessionId"),
    "webcast_comments": ("eventId", "runNumber", "commentId"),
    "webcast_poll_results": ("eventId", "runNumber", "id"),
    "webcast_questions": ("eventId", "runNumber", "questionId"),
}


#: Retry waits in hundredths of seconds, and a budget no test reaches unless it means to: the
#: behaviour, not the minutes.
QUICK_RETRIES = {"retry_initial_wait_seconds": 0.05, "retry_budget_seconds": 30}


def config_for(server: EmulatorServer, **overrides: Any) -> dict[str, Any]:
    """The emulator's settings, with quick retries; an override of None leaves that setting
    out."""
    config: dict[str, Any] = {
        "api_url": server.url,
        "api_key": API_KEY,
        "secret": SECRET,
        "start_date": START_DATE,
        **QUICK_RETRIES,
    }
    config.update(overrides)
    return {k: v for k, v in config.items() if v is not None}


def duplicates(records: list[dict[str, Any]], key: tuple[str, ...]) -> list[tuple]:
    """Keys written more than once in a list of records (read back from a target, say)."""
    seen: set[tuple] = set()
    dups = []
    for record in records:
        value = tuple(record.get(k) for k in key)
        if value in seen:
            dups.append(value)
        seen.add(value)
    return dups


def catalog(server: EmulatorServer) -> Catalog:
    return Catalog(server.state)


def listed_webcasts(server: EmulatorServer, now: float | None = None) -> list[Any]:
    """The webcasts a search up to ``now`` (default: the emulator's clock) finds."""
    cat = catalog(server)
    now = server.state.now() if now is None else now
    return [cat.webcast(i) for i in range(cat.size) if cat.start_of(i) <= now]


def expected_counts(server: EmulatorServer, runs: tuple[int, ...] = (0,)) -> dict[str, int]:
    """What a full sync of the emulator's listed webcasts must emit, stream by stream."""
    cat = catalog(server)
    webcasts = listed_webcasts(server)
    counts = {"webcasts": len(webcasts)}
    counts["webcast_attendee_sessions"] = sum(
        cat.session_count(w, r) for w in webcasts for r in runs
    )
    counts["webcast_attendance_summary"] = len(webcasts) * len(runs)
    counts["webcast_comments"] = sum(len(cat.comments(w, r)) for w in webcasts for r in runs)
    counts["webcast_poll_results"] = sum(len(cat.polls(w, r) or []) for w in webcasts for r in runs)
    counts["webcast_questions"] = sum(len(cat.questions(w, r)) for w in webcasts for r in runs)
    return counts


# -- taps whose real-time pace a test can wait for -----------------------------------------------


class UnpacedTap(TapVbrickWebcast):
    """The tap without Vbrick's real-time pace: Rev's own 429 answers pace it."""

    def run_resources(self) -> RunResources:
        resources = super().run_resources()
        resources.realtime_pacer = RequestPacer(None)
        return resources


#: How much faster than the wall clock the real-time pacer's clock runs in FastPaceTap.
PACE_SPEEDUP = 120.0


class FastPaceTap(TapVbrickWebcast):
    """The tap with Vbrick's real-time pace (2 calls a minute) kept on a clock 120 times the
    wall clock's speed: 30 s of the pacer's time is 0.25 s of the test's."""

    def run_resources(self) -> RunResources:
        resources = super().run_resources()
        resources.realtime_pacer = RequestPacer(
            REALTIME_CALLS_PER_SECOND,
            clock=lambda: time.monotonic() * PACE_SPEEDUP,
            sleep=lambda seconds: time.sleep(seconds / PACE_SPEEDUP),
        )
        return resources
