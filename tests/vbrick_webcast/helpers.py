"""What the tap-vbrick-webcast tests share: the emulator's credentials, a config builder, the
streams' keys, what a full sync must emit, and taps whose real-time pace tests can bear."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from testkit import PgTarget, TapOutput, run_cli, tap_executable

from emulators import EmulatorServer
from emulators.recorder import RecordedRequest
from emulators.vbrick.data import Catalog
from tap_vbrick_webcast.client import RunResources
from tap_vbrick_webcast.concurrency import RequestPacer
from tap_vbrick_webcast.settings import REALTIME_CALLS_PER_SECOND
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


#: One request at a time, for tests whose faults hit the n-th request the API receives (or whose
#: sync must last as long as its requests one after another): then the n-th request is the n-th
#: page, and its retries the requests that follow it.
ONE_AT_A_TIME: dict[str, Any] = {"max_concurrent_requests": 1}

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


# -- syncs of the command line, one after the other, into PostgreSQL ------------------------------

LOGIN_PATHS = ("/api/v2/authenticate", "/api/v2/user/login")


class Syncs:
    """The tap's command line run sync after sync against one emulator, each sync fed the state
    of the one before and loaded into PostgreSQL (target-postgres, upsert), as a scheduler and a
    warehouse would."""

    def __init__(self, server: EmulatorServer, pg: PgTarget, tmp_path: Path, **config: Any) -> None:
        self.server, self.pg, self.tmp_path = server, pg, tmp_path
        self.config = config_for(server, **config)
        self.state: dict[str, Any] | None = None
        #: The requests of the last sync, in order.
        self.requests: list[RecordedRequest] = []

    def run(self, *, returncode: int = 0, **overrides: Any) -> TapOutput:
        self.server.requests.clear()
        logins_before = self.server.state.logins
        output = run_cli(
            tap_executable("tap-vbrick-webcast"),
            {**self.config, **overrides},
            self.tmp_path,
            state=self.state,
            timeout=240,
        )
        assert output.returncode == returncode, output.logs[-4000:]
        for stream, key in KEYS.items():
            assert output.duplicates(stream, *key) == [], stream  # never twice in one sync
        self.pg.load(output, self.tmp_path)
        self.state = output.state
        self.requests = list(self.server.requests)
        self.logins = self.server.state.logins - logins_before
        return output

    def paths(self) -> list[str]:
        """The paths the last sync asked for, in order, logins left out."""
        return [r.path for r in self.requests if r.path not in LOGIN_PATHS]

    def reported(self) -> list[str]:
        """The webcast ids of the last sync's report requests, in order (repeats kept)."""
        return [p.split("/")[4] for p in self.paths() if p.startswith("/api/v2/scheduled-events/")]

    def owed(self, stream: str) -> list[dict[str, Any]]:
        """What the last state says ``stream`` owes."""
        return list(((self.state or {}).get("bookmarks", {}).get(stream) or {}).get("owed", []))

    def owed_webcasts(self) -> dict[str, set[str]]:
        """Stream -> the webcast ids it owes, from the last state."""
        found: dict[str, set[str]] = {}
        for stream, entry in ((self.state or {}).get("bookmarks") or {}).items():
            ids = {o["item"]["eventId"] for o in (entry or {}).get("owed", [])}
            if ids:
                found[stream] = ids
        return found

    def asked_first(self, event_id: str) -> bool:
        """Whether the last sync asked for ``event_id``'s reports before the webcast search."""
        paths = self.paths()
        search = next(i for i, p in enumerate(paths) if p.endswith("/search/scheduled-events"))
        return bool(paths) and f"/{event_id}/" in paths[0] and search > 0

    def assert_each_key_once(
        self, *, streams: tuple[str, ...] | None = None, **counts: int
    ) -> None:
        """PostgreSQL holds every key once, as many as the emulator serves now (expected_counts,
        overridden by ``counts``)."""
        expected = {**expected_counts(self.server), **counts}
        for stream in streams or tuple(expected):
            loaded = self.pg.key_counts(stream, *KEYS[stream])
            assert set(loaded.values()) <= {1}, stream
            assert len(loaded) == expected[stream], stream
