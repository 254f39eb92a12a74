"""A full sync: every record once, with the keys, fields and timestamps users rely on."""

from __future__ import annotations

import json
import logging
import re

import pytest
from testkit import run_tap, start_emulator
from vbrick_webcast.helpers import KEYS, config_for, duplicates, expected_counts

from emulators import EmulatorServer, Fault
from tap_vbrick_webcast.tap import TapVbrickWebcast

CANONICAL = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def test_full_sync_emits_every_record_once(small_rev: EmulatorServer) -> None:
    result = run_tap(TapVbrickWebcast, config_for(small_rev))
    records = result.records
    expected = expected_counts(small_rev)
    assert {name: len(records[name]) for name in expected} == expected
    for stream, key in KEYS.items():
        assert duplicates(records[stream], key) == [], stream
    assert records["webcast_realtime_attendees"] == []  # include_realtime is off


def test_report_records_carry_webcast_and_run(small_rev: EmulatorServer) -> None:
    records = run_tap(TapVbrickWebcast, config_for(small_rev)).records
    ids = {w["id"] for w in records["webcasts"]}
    for stream in ("webcast_attendee_sessions", "webcast_comments", "webcast_questions"):
        assert {r["eventId"] for r in records[stream]} <= ids
        assert {r["runNumber"] for r in records[stream]} == {0}


def test_timestamps_are_utc_with_milliseconds(small_rev: EmulatorServer) -> None:
    records = run_tap(TapVbrickWebcast, config_for(small_rev)).records
    checks = {
        "webcasts": ("startDate", "endDate"),
        "webcast_attendee_sessions": ("enteredDate", "exitedDate", "viewingStartTime"),
        "webcast_comments": ("date",),
        "webcast_questions": ("whenAsked",),
    }
    for stream, fields in checks.items():
        for record in records[stream]:
            for name in fields:
                assert CANONICAL.match(record[name]), (stream, name, record[name])


def test_durations_also_in_seconds(small_rev: EmulatorServer) -> None:
    sessions = run_tap(TapVbrickWebcast, config_for(small_rev)).records["webcast_attendee_sessions"]
    for session in sessions:
        assert isinstance(session["sessionTimeSeconds"], float)
        assert 0 < session["viewingTimeSeconds"] <= session["sessionTimeSeconds"]
    summaries = run_tap(TapVbrickWebcast, config_for(small_rev)).records[
        "webcast_attendance_summary"
    ]
    assert all(s["totalPublicCDNTimeSeconds"] > 0 for s in summaries if s["totalSessions"])


def test_report_of_1200_sessions_in_three_pages_each_once() -> None:
    server = start_emulator("vbrick", size=1, in_progress=0, upcoming=0, sessions_per_webcast=1200)
    try:
        result = run_tap(TapVbrickWebcast, config_for(server))
        sessions = result.records["webcast_attendee_sessions"]
        assert len(sessions) == 1200
        assert duplicates(sessions, KEYS["webcast_attendee_sessions"]) == []
        pages = server.requests.matching("/post-event-report")
        assert len(pages) == 3  # the summary stream reused the first page
        assert [p.arg("scrollId") is None for p in pages] == [True, False, False]
        (summary,) = result.records["webcast_attendance_summary"]
        assert summary["totalSessions"] == 1200
    finally:
        server.stop()


def test_search_scrolls_through_pages_of_webcasts() -> None:
    server = start_emulator("vbrick", size=120, in_progress=0, upcoming=0, sessions_per_webcast=0)
    try:
        result = run_tap(
            TapVbrickWebcast,
            config_for(server, page_size=50),
            deselect=("webcast_comments", "webcast_poll_results", "webcast_questions"),
        )
        webcasts = result.records["webcasts"]
        assert len(webcasts) == 120
        assert duplicates(webcasts, ("id",)) == []
        searches = server.requests.matching("/search/scheduled-events")
        assert len(searches) == 3
    finally:
        server.stop()


def test_run_numbers_report_each_run_and_an_empty_poll_body_is_no_records(
    small_rev: EmulatorServer,
) -> None:
    # Run 2 never happened: Rev answers poll-results with an empty body.
    result = run_tap(TapVbrickWebcast, config_for(small_rev, run_numbers=[0, 2]))
    records = result.records
    polls_of_run_2 = [
        r for r in small_rev.requests.matching("/poll-results") if r.arg("runNumber") == "2"
    ]
    assert len(polls_of_run_2) == 6
    assert {p["runNumber"] for p in records["webcast_poll_results"]} == {0}
    assert len(records["webcast_attendance_summary"]) == 12
    assert result.error is None


def test_webcast_ids_limit_the_sync(small_rev: EmulatorServer) -> None:
    everything = run_tap(TapVbrickWebcast, config_for(small_rev)).records["webcasts"]
    wanted = [everything[1]["id"], everything[4]["id"]]
    small_rev.reset()
    records = run_tap(TapVbrickWebcast, config_for(small_rev, webcast_ids=wanted)).records
    assert [w["id"] for w in records["webcasts"]] == wanted
    assert {s["eventId"] for s in records["webcast_attendee_sessions"]} == set(wanted)
    reported = {r.path.split("/")[4] for r in small_rev.requests.matching("/comments")}
    assert reported == set(wanted)


def test_the_deprecated_report_endpoints_are_never_called(small_rev: EmulatorServer) -> None:
    run_tap(TapVbrickWebcast, config_for(small_rev))
    paths = [r.path for r in small_rev.requests]
    assert not [p for p in paths if p.startswith("/api/v2/events/") or p.endswith("/report")]


def test_summary_alone_asks_for_one_report_page_per_webcast(small_rev: EmulatorServer) -> None:
    result = run_tap(
        TapVbrickWebcast, config_for(small_rev), deselect=("webcast_attendee_sessions",)
    )
    summaries = result.records["webcast_attendance_summary"]
    assert len(summaries) == 6
    assert result.records["webcast_attendee_sessions"] == []
    pages = small_rev.requests.matching("/post-event-report")
    assert len(pages) == 6
    assert all(p.arg("scrollId") is None for p in pages)


def test_fields_the_schema_does_not_declare_are_left_out(
    small_rev: EmulatorServer, caplog: pytest.LogCaptureFixture
) -> None:
    body = json.dumps(
        [{"commentId": "c-1", "comment": "hi", "date": "2020-01-01T10:00:00Z", "surprise": 1}]
    )
    small_rev.faults.add(Fault("status", path="/comments", status=200, body=body, times=1))
    with caplog.at_level(logging.WARNING):
        comments = run_tap(TapVbrickWebcast, config_for(small_rev)).records["webcast_comments"]
    (odd,) = [c for c in comments if c["commentId"] == "c-1"]
    assert "surprise" not in odd
    assert odd["date"] == "2020-01-01T10:00:00.000Z"
    assert any("does not declare, left out: surprise" in r.getMessage() for r in caplog.records)
