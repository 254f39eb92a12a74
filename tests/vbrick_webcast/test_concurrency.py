"""Several requests in flight (issue 10): the same records, order and state as one request at a
time, the reports of several webcasts in flight together and none asked twice; a 429 holds the
whole run; an expired session is renewed once (one check, one login) for every request in flight;
the default pace meets no 429; real-time attendees keep Vbrick's pace, never asked ahead."""

from __future__ import annotations

import itertools
import math
import time
import typing as t
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from testkit import TapOutput, run_tap, start_emulator
from vbrick_webcast.helpers import (
    KEYS,
    ONE_AT_A_TIME,
    FastPaceTap,
    catalog,
    config_for,
    duplicates,
    expected_counts,
    listed_webcasts,
)

from emulators import EmulatorServer, Fault
from emulators.datagen import iso_ms
from emulators.recorder import RecordedRequest
from tap_vbrick_webcast.tap import TapVbrickWebcast

#: Every answer comes 50 ms after its request, so that requests sent ahead are in flight
#: together; Rev's rate limits are the documented ones.
LATENCY = 0.05
REPORT_PATH = "/api/v2/scheduled-events/"
REPORTS_BUT_REALTIME = (
    "webcast_attendee_sessions",
    "webcast_attendance_summary",
    "webcast_comments",
    "webcast_poll_results",
    "webcast_questions",
)


@pytest.fixture
def rev() -> Iterator[EmulatorServer]:
    """Eight webcasts, all over, each report of attendee sessions three pages long."""
    server = start_emulator(
        "vbrick",
        size=8,
        in_progress=0,
        upcoming=0,
        sessions_per_webcast=1200,
        latency=LATENCY,
    )
    try:
        yield server
    finally:
        server.stop()


def report_requests(server: EmulatorServer) -> list[RecordedRequest]:
    return [r for r in server.requests if r.path.startswith(REPORT_PATH)]


def webcasts_in_flight_together(server: EmulatorServer) -> int:
    """The most webcasts whose report requests arrived within one answer's hold of each other
    (a request arriving before the one ahead of it could have been answered)."""
    arrivals = sorted((r.at, r.path.split("/")[4]) for r in report_requests(server))
    return max(len({w for b, w in arrivals if a <= b < a + LATENCY}) for a, _ in arrivals)


def asked(server: EmulatorServer) -> Counter[tuple[str, str, str | None]]:
    """Every request of the sync, by method, path and scroll id given or not."""
    return Counter((r.method, r.path, str(r.arg("scrollId") is not None)) for r in server.requests)


def without_since(state: Any) -> Any:
    """A state with the owed items' ``since`` (the wall-clock second they were first owed)
    left out: the one part of two syncs' states that differs by when they ran."""
    if isinstance(state, dict):
        return {k: without_since(v) for k, v in state.items() if k != "since"}
    if isinstance(state, list):
        return [without_since(v) for v in state]
    return state


def records_in_order(output: TapOutput) -> list[tuple[str, dict[str, Any]]]:
    """Every RECORD message of the sync, in the order written, across streams."""
    return [(m["stream"], m["record"]) for m in output.messages if m["type"] == "RECORD"]


def test_concurrency_gives_the_records_order_and_state_of_one_request_at_a_time(
    rev: EmulatorServer,
) -> None:
    ids = [w.id for w in listed_webcasts(rev)]
    rev.state.forbidden.add(ids[1])  # 403: skipped for good
    rev.state.missing.add(ids[2])  # 404: skipped for good
    rev.state.lost_scrolls.add(ids[3])  # the sessions report restarts once, then is owed
    rev.faults.add(Fault("status", path=f"{ids[4]}/comments", status=400, times=None))  # owed
    # A fixed window, so that both syncs search the same webcasts.
    config = config_for(rev, end_date=iso_ms(rev.state.now()))

    one = run_tap(TapVbrickWebcast, {**config, **ONE_AT_A_TIME})
    sequential = asked(rev)
    assert webcasts_in_flight_together(rev) == 1
    rev.requests.clear()

    many = run_tap(TapVbrickWebcast, config)  # the default: 12 in flight

    assert webcasts_in_flight_together(rev) >= 3  # the next webcasts' reports were asked ahead
    assert asked(rev) == sequential  # the same requests: none asked twice, none left out
    assert rev.stats()["throttled"] == 0
    assert records_in_order(many) == records_in_order(one)
    sessions = many.records["webcast_attendee_sessions"]
    assert len(sessions) == 5 * 1200 + 500  # but the 403, the 404, and the lost scroll's rest
    assert duplicates(sessions, KEYS["webcast_attendee_sessions"]) == []
    owed = {
        stream: {o["item"]["eventId"] for o in entry.get("owed", [])}
        for stream, entry in many.state["bookmarks"].items()
    }
    assert owed["webcast_attendee_sessions"] == {ids[3]}  # its scroll lost twice
    assert owed["webcast_comments"] == {ids[4]}  # the 400
    # Every STATE on the way too: the same resumable points.
    assert [without_since(s) for s in many.states] == [without_since(s) for s in one.states]


class SlowReaderTap(TapVbrickWebcast):
    """The tap reading each webcast's attendee sessions 20 ms slower (a wait that leaves the
    emulator, in this process, all its time): it keeps asking for the next webcasts' reports
    ahead while it reads, as a tap reading big reports does."""

    def discover_streams(self) -> list[t.Any]:
        streams = super().discover_streams()
        for stream in streams:
            if stream.name == "webcast_attendee_sessions":
                read = stream.report_records  # type: ignore[attr-defined]

                def slower(context: t.Any, read: t.Any = read) -> t.Iterable[dict]:
                    time.sleep(0.02)
                    yield from read(context)

                stream.report_records = slower  # type: ignore[attr-defined]
        return streams


def test_a_429_under_concurrency_holds_every_request_for_its_retry_after() -> None:
    # 150 webcasts of one page each, 32 requests in flight (64 pages asked for ahead): the 41st
    # is refused while the tap still reads the first webcasts, and asks for the next ones ahead
    # as it goes: while Rev asks to wait, none may go out.
    server = start_emulator(
        "vbrick", size=150, in_progress=0, upcoming=0, sessions_per_webcast=120, latency=LATENCY
    )
    try:
        server.faults.add(
            Fault(
                "status",
                path="/post-event-report",
                status=429,
                headers={"Retry-After": "3"},
                skip=40,
            )
        )
        config = config_for(server, max_concurrent_requests=32)
        result = run_tap(SlowReaderTap, config, streams=["webcast_attendee_sessions"])

        sessions = result.records["webcast_attendee_sessions"]
        assert len(sessions) == 150 * 120
        assert duplicates(sessions, KEYS["webcast_attendee_sessions"]) == []
        pages = [r for r in server.requests if r.path.endswith("/post-event-report")]
        assert len(pages) == 150 + 1  # the throttled page asked again, no other
        throttled = pages[40]
        (again,) = [r for r in pages[41:] if r.path == throttled.path]
        assert again.at - throttled.at >= 3.0
        # No request of the run started while Rev's wait ran (those already in flight at the
        # 429 had arrived before it), instead of each request going on on its own.
        held = [r for r in server.requests if throttled.at + 0.5 < r.at < throttled.at + 2.9]
        assert held == []
        assert len(result.log_lines("Rev answered 429 Too Many Requests")) == 1
        assert server.stats()["throttled"] == 1  # Rev's own limit was never reached
    finally:
        server.stop()


def expire_sessions_at(server: EmulatorServer, nth: int) -> None:
    """Rev forgets every session when the ``nth`` report request arrives (before answering it):
    that request and those sent after it with the same token are answered 401."""
    record: Callable[[dict, bytes], None] = server.requests.record
    reports = itertools.count(1)

    def recording(environ: dict, body: bytes) -> None:
        record(environ, body)
        if environ.get("PATH_INFO", "").startswith(REPORT_PATH) and next(reports) == nth:
            server.state.expire_tokens()

    server.requests.record = recording  # type: ignore[method-assign]


def test_an_expired_session_under_concurrency_is_renewed_once_for_every_request_in_flight(
    rev: EmulatorServer,
) -> None:
    expire_sessions_at(rev, 12)  # mid-sync, with reports of several webcasts in flight

    result = run_tap(TapVbrickWebcast, config_for(rev))

    counts = expected_counts(rev)
    for stream in REPORTS_BUT_REALTIME:
        assert len(result.records[stream]) == counts[stream], stream
        assert duplicates(result.records[stream], KEYS[stream]) == [], stream
    statuses = t.cast("dict[str, int]", rev.stats()["statuses"])
    assert statuses.get("401", 0) >= 2  # several requests in flight had the expired session...
    assert rev.state.logins == 2  # ...one login renewed it for all of them
    assert len(rev.requests.matching("/api/v2/user/session")) == 1  # one check of the token
    assert len(result.log_lines("renewing the session once")) == 1
    assert "owed" not in str(result.state)


def test_the_default_pace_meets_none_of_revs_429() -> None:
    # Rev's per-minute limits as per-second windows (GET 400, POST 60 a second): the tap's
    # default pace, 360 GETs a second and POSTs 10 % under theirs, stays under them with the
    # default requests in flight and no latency (its fastest).
    server = start_emulator(
        "vbrick",
        size=40,
        in_progress=0,
        upcoming=0,
        large_webcasts=0,
        rate_limits={"GET": 400, "POST": 60, "realtime": 2},
        rate_window_seconds=1.0,
    )
    try:
        result = run_tap(TapVbrickWebcast, config_for(server))
        counts = expected_counts(server)
        assert {s: len(result.records[s]) for s in counts} == counts
        assert server.stats()["throttled"] == 0
        assert not result.log_lines("Too Many Requests")
    finally:
        server.stop()


def realtime_calls(server: EmulatorServer) -> list[tuple[str, bool]]:
    """The real-time attendee calls, in order: which webcast, and whether they continue a
    scroll (scroll ids differ from sync to sync)."""
    return [
        (r.path, b'"scrollId"' in r.body) for r in server.requests.matching("/real-time/attendees")
    ]


def test_realtime_attendees_keep_their_pace_and_are_never_asked_ahead() -> None:
    # Three webcasts running: their real-time attendees, 120 each in pages of 50, at Vbrick's
    # pace of 2 calls a minute on a clock 120 times faster (FastPaceTap: 0.25 s apart), while
    # the other reports are asked ahead around them.
    server = start_emulator(
        "vbrick",
        size=6,
        in_progress=3,
        upcoming=0,
        large_webcasts=0,
        realtime_attendees=120,
        latency=LATENCY,
        rate_limits={"GET": 24000, "POST": 3600, "realtime": 1000},
    )
    try:
        running_webcasts = listed_webcasts(server)[-3:]
        running = [w.id for w in running_webcasts]
        config = config_for(server, include_realtime=True, page_size=50)

        one = run_tap(FastPaceTap, {**config, **ONE_AT_A_TIME})
        sequential = realtime_calls(server)
        server.requests.clear()
        many = run_tap(FastPaceTap, config)

        calls = server.requests.matching("/real-time/attendees")
        assert realtime_calls(server) == sequential  # the same calls, in the same order
        assert len(calls) == 3 * math.ceil(120 / 50)  # 120 attendees each, 50 a page
        assert {c.path.split("/")[4] for c in calls} == set(running)
        gaps = [b.at - a.at for a, b in itertools.pairwise(calls)]
        # The pacer spaces the sends 0.25 s apart; the emulator stamps arrivals, which a loaded
        # machine delays by a few tens of ms each way. Calls sent ahead would come in bursts.
        assert min(gaps) >= 0.25 * 0.6
        assert sum(gaps) / len(gaps) >= 0.25 * 0.95
        # A webcast's real-time calls come once its attendee sessions are read (the stream
        # before them), never ahead of the webcast being read.
        for webcast in running:
            first_call = min(c.at for c in calls if f"/{webcast}/" in c.path)
            pages = [r for r in report_requests(server) if f"/{webcast}/post-event" in r.path]
            assert pages
            assert max(r.at for r in pages) + LATENCY <= first_call
        attendees = many.records["webcast_realtime_attendees"]
        assert attendees == one.records["webcast_realtime_attendees"]
        assert len(attendees) == sum(catalog(server).realtime_count(w) for w in running_webcasts)
        assert server.stats()["throttled"] == 0
    finally:
        server.stop()
