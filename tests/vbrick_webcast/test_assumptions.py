"""The tap's assumptions about Rev (README, "Assumptions"), each against the other plausible
answer an emulator switch plays: the tap notices (a warning, an owed webcast, an error), or what
it does stays safe (nothing lost, nothing twice)."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest
from testkit import run_tap, start_emulator
from vbrick_webcast.helpers import (
    KEYS,
    UnpacedTap,
    catalog,
    config_for,
    duplicates,
    expected_counts,
    listed_webcasts,
)

from emulators import EmulatorServer, Fault
from emulators.datagen import iso_ms
from tap_vbrick_webcast.tap import TapVbrickWebcast

REPORTS_BUT_REALTIME = (
    "webcast_attendee_sessions",
    "webcast_attendance_summary",
    "webcast_comments",
    "webcast_poll_results",
    "webcast_questions",
)


@pytest.fixture
def rev() -> Iterator[EmulatorServer]:
    """Four webcasts, all over, small reports."""
    server = start_emulator("vbrick", size=4, in_progress=0, upcoming=0, large_webcasts=0)
    try:
        yield server
    finally:
        server.stop()


def owed_ids(state: dict, stream: str) -> set[str]:
    entry = state.get("bookmarks", {}).get(stream) or {}
    return {o["item"]["eventId"] for o in entry.get("owed", [])}


def test_an_unsorted_search_still_holds_the_bookmark_before_the_earliest_open_webcast() -> None:
    # Rev ignores sortField: the webcasts come in title order. The bookmark stays before the
    # earliest webcast not final, whichever comes first.
    server = start_emulator(
        "vbrick", size=6, in_progress=3, upcoming=0, large_webcasts=0, search_sort_ignored=True
    )
    try:
        result = run_tap(TapVbrickWebcast, config_for(server))
        listed = listed_webcasts(server)
        running = listed[-3:]
        starts = [w["startDate"] for w in result.records["webcasts"]]
        assert starts != sorted(starts)  # the switch plays an unsorted answer
        assert len(starts) == 6
        assert result.bookmark("webcasts") == iso_ms(min(w.start for w in running) - 0.001)
    finally:
        server.stop()


def test_an_unknown_webcast_status_is_taken_as_not_final(
    rev: EmulatorServer, caplog: pytest.LogCaptureFixture
) -> None:
    last = listed_webcasts(rev)[-1]  # ended some 10 hours ago: the only one inside the grace
    rev.faults.add(Fault("status", path="/status", status=200, body='{"status": "Ended"}'))
    with caplog.at_level(logging.WARNING):
        result = run_tap(TapVbrickWebcast, config_for(rev, report_grace_hours=12))
    assert result.bookmark("webcasts") == iso_ms(last.start - 0.001)
    said = [r.getMessage() for r in caplog.records if "'Ended'" in r.getMessage()]
    assert any("taken as not ended" in line for line in said)


def test_a_status_rev_will_not_give_is_taken_as_not_final(rev: EmulatorServer) -> None:
    last = listed_webcasts(rev)[-1]
    rev.faults.add(Fault("status", path="/status", status=403, times=None))
    result = run_tap(TapVbrickWebcast, config_for(rev, report_grace_hours=12))
    assert result.bookmark("webcasts") == iso_ms(last.start - 0.001)
    assert result.log_lines(f"Rev did not say the status of webcast {last.id}")


def test_past_the_grace_a_webcast_is_final_without_asking_its_status(rev: EmulatorServer) -> None:
    result = run_tap(TapVbrickWebcast, config_for(rev, report_grace_hours=1))
    assert rev.requests.matching("/status") == []
    assert result.bookmark("webcasts") == iso_ms(listed_webcasts(rev)[-1].start)


def test_a_report_scroll_ending_short_of_its_total_is_owed() -> None:
    server = start_emulator("vbrick", size=1, in_progress=0, upcoming=0, sessions_per_webcast=700)
    try:
        (webcast,) = listed_webcasts(server)
        short = json.dumps({"sessions": [], "totalSessions": 700})
        server.faults.add(
            Fault("status", path="/post-event-report", status=200, body=short, skip=1, times=1)
        )
        result = run_tap(TapVbrickWebcast, config_for(server))
        assert len(result.records["webcast_attendee_sessions"]) == 500
        (owed,) = result.state["bookmarks"]["webcast_attendee_sessions"]["owed"]
        assert owed["item"]["eventId"] == webcast.id
        assert "ended after 500 of the 700 records Rev announced" in owed["reason"]
    finally:
        server.stop()


def test_totals_on_the_first_page_only_are_enough() -> None:
    server = start_emulator(
        "vbrick",
        size=1,
        in_progress=0,
        upcoming=0,
        sessions_per_webcast=1200,
        totals_on_first_page_only=True,
    )
    try:
        result = run_tap(TapVbrickWebcast, config_for(server))
        sessions = result.records["webcast_attendee_sessions"]
        assert len(sessions) == 1200
        assert duplicates(sessions, KEYS["webcast_attendee_sessions"]) == []
        (summary,) = result.records["webcast_attendance_summary"]
        assert summary["totalSessions"] == 1200
        assert "owed" not in result.state["bookmarks"]["webcast_attendee_sessions"]
    finally:
        server.stop()


@pytest.mark.parametrize(
    ("kind", "stream", "key"),
    [
        ("comments", "webcast_comments", "commentId"),
        ("questions", "webcast_questions", "questionId"),
        ("polls", "webcast_poll_results", "id"),
    ],
)
def test_a_report_record_without_its_key_is_owed_never_a_null_key(
    rev: EmulatorServer, kind: str, stream: str, key: str
) -> None:
    rev.state.drop_fields[kind] = {key}
    result = run_tap(TapVbrickWebcast, config_for(rev, retry_budget_seconds=0))
    assert result.records[stream] == []
    cat = catalog(rev)
    served = {"comments": cat.comments, "questions": cat.questions, "polls": cat.polls}[kind]
    having = {w.id for w in listed_webcasts(rev) if served(w, 0)}
    assert having  # the emulator serves some
    assert owed_ids(result.state, stream) == having
    reason = result.state["bookmarks"][stream]["owed"][0]["reason"]
    assert f"each carry {key!r}" in reason


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/poll-results", '{"results": []}'),  # an object, but not Rev's poll report
        ("/questions", ""),  # an empty body is no records only for poll-results
        ("/comments", '{"items": []}'),
    ],
)
def test_an_answer_of_another_shape_is_retried_then_owed(
    rev: EmulatorServer, path: str, body: str
) -> None:
    first = listed_webcasts(rev)[0].id
    rev.faults.add(Fault("status", path=f"{first}{path}", status=200, body=body, times=None))
    result = run_tap(TapVbrickWebcast, config_for(rev, retry_budget_seconds=1))
    stream = {
        "/poll-results": "webcast_poll_results",
        "/questions": "webcast_questions",
        "/comments": "webcast_comments",
    }[path]
    assert owed_ids(result.state, stream) == {first}
    assert len(rev.requests.matching(f"{first}{path}")) > 1  # asked again first


def test_an_empty_poll_object_is_no_polls_as_the_official_client_reads_it(
    rev: EmulatorServer,
) -> None:
    first = listed_webcasts(rev)[0].id
    rev.faults.add(Fault("status", path=f"{first}/poll-results", status=200, body="{}"))
    result = run_tap(TapVbrickWebcast, config_for(rev))
    assert first not in {p["eventId"] for p in result.records["webcast_poll_results"]}
    assert "owed" not in result.state["bookmarks"]["webcast_poll_results"]


@pytest.mark.parametrize("body", [None, '{"issuer": "vbrick"}'])
def test_a_cut_or_tokenless_login_answer_is_asked_again(
    rev: EmulatorServer, body: str | None
) -> None:
    fault = (
        Fault("malformed", path="/api/v2/authenticate", times=1)
        if body is None
        else Fault("status", path="/api/v2/authenticate", status=200, body=body, times=1)
    )
    rev.faults.add(fault)
    result = run_tap(TapVbrickWebcast, config_for(rev))
    assert len(rev.requests.matching("/api/v2/authenticate")) == 2
    assert rev.state.failed_logins == 0
    assert len(result.records["webcasts"]) == 4


def test_date_times_without_a_zone_are_read_as_utc_with_one_warning(
    rev: EmulatorServer, caplog: pytest.LogCaptureFixture
) -> None:
    rev.state.zoneless_timestamps = True
    with caplog.at_level(logging.WARNING):
        result = run_tap(TapVbrickWebcast, config_for(rev))
    comments = result.records["webcast_comments"]
    assert comments
    assert all(c["date"].endswith("Z") for c in comments)
    warnings = [r.getMessage() for r in caplog.records if "has no time zone" in r.getMessage()]
    assert len([w for w in warnings if "webcast_comments: date" in w]) == 1
    assert any("webcast_questions: whenAsked" in w for w in warnings)


def test_a_duration_that_is_not_a_timespan_is_kept_as_sent_with_a_warning(
    rev: EmulatorServer, caplog: pytest.LogCaptureFixture
) -> None:
    first = listed_webcasts(rev)[0].id
    body = json.dumps(
        {
            "totalSessions": 1,
            "sessions": [{"username": "a.b", "sessionTime": "N/A", "viewingTime": "00:10:00"}],
        }
    )
    rev.faults.add(Fault("status", path=f"{first}/post-event-report", status=200, body=body))
    with caplog.at_level(logging.WARNING):
        result = run_tap(TapVbrickWebcast, config_for(rev))
    (odd,) = [s for s in result.records["webcast_attendee_sessions"] if s["eventId"] == first]
    assert odd["sessionTime"] == "N/A"
    assert odd["sessionTimeSeconds"] is None
    assert odd["viewingTimeSeconds"] == 600.0
    assert any("sessionTime is not a .NET TimeSpan" in r.getMessage() for r in caplog.records)


def test_realtime_attendees_of_a_webcast_running_late_are_read() -> None:
    # Scheduled to end some 10 hours ago, still running: Rev's status says so.
    server = start_emulator(
        "vbrick",
        size=2,
        in_progress=0,
        upcoming=0,
        large_webcasts=0,
        realtime_attendees=60,
        rate_limits={"GET": 24000, "POST": 3600, "realtime": 100},
    )
    try:
        late = listed_webcasts(server)[-1]
        server.state.overruns[late.id] = 20 * 3600.0
        result = run_tap(
            UnpacedTap,
            config_for(server, include_realtime=True),
            deselect=REPORTS_BUT_REALTIME,
        )
        attendees = result.records["webcast_realtime_attendees"]
        assert len(attendees) == 60
        assert {a["eventId"] for a in attendees} == {late.id}
    finally:
        server.stop()


def test_an_owed_realtime_webcast_no_longer_running_is_said_and_let_go(
    rev: EmulatorServer,
) -> None:
    over = listed_webcasts(rev)[0]
    item = {
        "eventId": over.id,
        "runNumber": 0,
        "startDate": iso_ms(over.start),
        "endDate": iso_ms(over.end),
    }
    owed = [{"item": item, "reason": "HTTP 500", "since": "2026-01-01T00:00:00Z", "syncs": 1}]
    state = {"bookmarks": {"webcast_realtime_attendees": {"owed": owed}}}
    result = run_tap(TapVbrickWebcast, config_for(rev, include_realtime=True), state=state)
    assert result.log_lines(f"webcast {over.id} is no longer in progress")
    assert rev.requests.matching("/real-time/attendees") == []
    assert "owed" not in result.state["bookmarks"]["webcast_realtime_attendees"]
    counts = expected_counts(rev)
    assert len(result.records["webcasts"]) == counts["webcasts"]
