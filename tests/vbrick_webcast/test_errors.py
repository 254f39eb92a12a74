"""Bad answers: retried (429, 5xx, broken bodies), restarted once (expired scrolls), skipped for
one webcast (400/403/404), or ending the sync with a clear message."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

import pytest
from testkit import run_tap, start_emulator
from vbrick_webcast.helpers import (
    KEYS,
    config_for,
    duplicates,
    expected_counts,
    listed_webcasts,
)

from emulators import EmulatorServer, Fault
from tap_vbrick_webcast.tap import TapVbrickWebcast


def webcast_ids(server: EmulatorServer) -> list[str]:
    return [w.id for w in listed_webcasts(server)]


@pytest.mark.parametrize("status", [403, 404, 400])
def test_an_unreadable_webcast_is_skipped_and_the_others_sync(
    small_rev: EmulatorServer, status: int, caplog: pytest.LogCaptureFixture
) -> None:
    ids = webcast_ids(small_rev)
    bad = ids[2]
    if status == 403:
        small_rev.state.forbidden.add(bad)
    elif status == 404:
        small_rev.state.missing.add(bad)
    else:
        small_rev.faults.add(Fault("status", path=f"{bad}/", status=400, times=None))
    with caplog.at_level(logging.WARNING):
        result = run_tap(TapVbrickWebcast, config_for(small_rev))
    records = result.records
    assert [w["id"] for w in records["webcasts"]] == ids  # the webcast itself is listed
    for stream in ("webcast_attendee_sessions", "webcast_comments", "webcast_questions"):
        assert {r["eventId"] for r in records[stream]} == set(ids) - {bad}, stream
    expected = expected_counts(small_rev)
    assert len(records["webcast_attendance_summary"]) == expected["webcast_attendance_summary"] - 1
    skipped = [r.getMessage() for r in caplog.records if "skipping webcast" in r.getMessage()]
    assert len(skipped) == 4  # sessions (summary reuses it), comments, polls, questions
    assert all(bad in line and str(status) in line for line in skipped)


def test_throttled_with_retry_after_waits_that_long(small_rev: EmulatorServer) -> None:
    small_rev.faults.add(
        Fault("status", path="/comments", status=429, headers={"Retry-After": "1"}, times=2)
    )
    result = run_tap(TapVbrickWebcast, config_for(small_rev))
    calls = small_rev.requests.matching("/comments")
    assert len(calls) == 6 + 2
    assert calls[1].at - calls[0].at >= 0.95
    assert calls[2].at - calls[1].at >= 0.95
    assert len(result.records["webcast_comments"]) == expected_counts(small_rev)["webcast_comments"]


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
def test_throttling_without_retry_after_and_server_errors_are_retried(
    small_rev: EmulatorServer, status: int
) -> None:
    small_rev.faults.add(Fault("status", path="/post-event-report", status=status, times=3))
    result = run_tap(TapVbrickWebcast, config_for(small_rev))
    sessions = result.records["webcast_attendee_sessions"]
    assert len(sessions) == expected_counts(small_rev)["webcast_attendee_sessions"]
    assert duplicates(sessions, KEYS["webcast_attendee_sessions"]) == []


def test_errors_that_persist_end_the_sync_with_a_clear_message(small_rev: EmulatorServer) -> None:
    small_rev.faults.add(Fault("status", path="/questions", status=503, times=None))
    # Waits of 0.4 s then 0.8 s (plus up to 10 %) fit in a budget of 2 s; the third, 1.6 s,
    # would end past it: three tries, then stop.
    config = config_for(small_rev, retry_initial_wait_seconds=0.4, retry_budget_seconds=2)
    result = run_tap(TapVbrickWebcast, config, expect_error=True)
    assert "Rev answered 503 Service Unavailable to GET /api/v2/scheduled-events/" in str(
        result.error
    )
    assert f"gave up on {urlsplit(small_rev.url).netloc} after" in str(result.error)
    assert "retry_budget_seconds (now 2 s)" in str(result.error)
    assert len(small_rev.requests.matching("/questions")) == 3  # the budget, then stop


def test_a_broken_or_dropped_answer_is_asked_again(small_rev: EmulatorServer) -> None:
    small_rev.faults.add(Fault("malformed", path="/comments", times=1))
    small_rev.faults.add(Fault("drop", path="/questions", times=1))
    records = run_tap(TapVbrickWebcast, config_for(small_rev)).records
    expected = expected_counts(small_rev)
    assert len(records["webcast_comments"]) == expected["webcast_comments"]
    assert len(records["webcast_questions"]) == expected["webcast_questions"]


def test_a_broken_page_mid_scroll_restarts_the_report_without_duplicates() -> None:
    # The broken page used up its scroll id (Rev's scrolls only move forward): asking again with
    # it answers 408, and the report starts over once, skipping what was already emitted.
    server = start_emulator("vbrick", size=1, in_progress=0, upcoming=0, sessions_per_webcast=1200)
    try:
        server.faults.add(Fault("malformed", path="/post-event-report", skip=1, times=1))
        sessions = run_tap(TapVbrickWebcast, config_for(server)).records[
            "webcast_attendee_sessions"
        ]
        assert len(sessions) == 1200
        assert duplicates(sessions, KEYS["webcast_attendee_sessions"]) == []
        assert len(server.requests.matching("/post-event-report")) == 1 + 2 + 3
    finally:
        server.stop()


def test_an_expired_scroll_restarts_the_report_once(caplog: pytest.LogCaptureFixture) -> None:
    server = start_emulator("vbrick", size=1, in_progress=0, upcoming=0, sessions_per_webcast=1200)
    try:
        server.faults.add(Fault("status", path="/post-event-report", status=408, skip=2, times=1))
        with caplog.at_level(logging.WARNING):
            sessions = run_tap(TapVbrickWebcast, config_for(server)).records[
                "webcast_attendee_sessions"
            ]
        assert len(sessions) == 1200
        assert duplicates(sessions, KEYS["webcast_attendee_sessions"]) == []
        assert any("expired after 1000 records" in r.getMessage() for r in caplog.records)
    finally:
        server.stop()


def test_an_expiry_inside_a_200_answer_restarts_the_report_once() -> None:
    # Vbrick's official client also reads scroll errors from the body of a 200 answer.
    server = start_emulator("vbrick", size=1, in_progress=0, upcoming=0, sessions_per_webcast=1200)
    try:
        body = '{"statusCode": 408, "statusDescription": "Scroll expired"}'
        server.faults.add(
            Fault("status", path="/post-event-report", status=200, body=body, skip=1, times=1)
        )
        sessions = run_tap(TapVbrickWebcast, config_for(server)).records[
            "webcast_attendee_sessions"
        ]
        assert len(sessions) == 1200
        assert duplicates(sessions, KEYS["webcast_attendee_sessions"]) == []
        assert len(server.requests.matching("/post-event-report")) == 2 + 3
    finally:
        server.stop()


def test_a_scroll_that_expires_twice_ends_the_sync_and_loses_nothing() -> None:
    server = start_emulator(
        "vbrick",
        size=3,
        in_progress=0,
        upcoming=0,
        sessions_per_webcast=700,
        scroll_ttl_seconds=0.0,
    )
    saved = {
        "bookmarks": {
            "webcasts": {
                "replication_key": "startDate",
                "replication_key_value": "2020-06-01T00:00:00.000Z",
            }
        }
    }
    try:
        failed = run_tap(TapVbrickWebcast, config_for(server), state=saved, expect_error=True)
        assert "expired twice" in str(failed.error)
        assert "run it again" in str(failed.error)
        # No STATE moves the bookmark past the webcast whose report is incomplete.
        states = [m["value"] for m in failed.messages if m["type"] == "STATE"]
        assert all(
            s["bookmarks"]["webcasts"].get("replication_key_value") == "2020-06-01T00:00:00.000Z"
            for s in states
        )
        server.state.scroll_ttl_seconds = 60.0
        again = run_tap(TapVbrickWebcast, config_for(server), state=saved)
        assert len(again.records["webcast_attendee_sessions"]) == 3 * 700
    finally:
        server.stop()


def test_an_expired_search_scroll_restarts_the_listing_once() -> None:
    server = start_emulator("vbrick", size=120, in_progress=0, upcoming=0, sessions_per_webcast=0)
    try:
        server.faults.add(
            Fault("status", path="/search/scheduled-events", status=408, skip=1, times=1)
        )
        webcasts = run_tap(
            TapVbrickWebcast,
            config_for(server, page_size=50),
            deselect=("webcast_comments", "webcast_poll_results", "webcast_questions"),
        ).records["webcasts"]
        assert len(webcasts) == 120
        assert duplicates(webcasts, ("id",)) == []
    finally:
        server.stop()


def test_a_bad_search_answer_ends_the_sync(small_rev: EmulatorServer) -> None:
    small_rev.faults.add(Fault("status", path="/search/scheduled-events", status=400, times=1))
    result = run_tap(TapVbrickWebcast, config_for(small_rev), expect_error=True)
    assert "webcasts: Rev answered 400 Bad Request to POST /api/v2/search/scheduled-events" in str(
        result.error
    )


def test_a_report_answer_of_the_wrong_shape_skips_that_webcast(
    small_rev: EmulatorServer, caplog: pytest.LogCaptureFixture
) -> None:
    small_rev.faults.add(
        Fault("status", path="/questions", status=200, body='{"oops": true}', times=1)
    )
    with caplog.at_level(logging.WARNING):
        questions = run_tap(TapVbrickWebcast, config_for(small_rev)).records["webcast_questions"]
    first = webcast_ids(small_rev)[0]
    assert first not in {q["eventId"] for q in questions}
    assert len({q["eventId"] for q in questions}) == 5
    assert any("is not a JSON array" in r.getMessage() for r in caplog.records)


def test_a_search_answer_of_the_wrong_shape_ends_the_sync(small_rev: EmulatorServer) -> None:
    small_rev.faults.add(
        Fault("status", path="/search/", status=200, body='{"total": 3, "items": []}', times=1)
    )
    result = run_tap(TapVbrickWebcast, config_for(small_rev), expect_error=True)
    assert "webcasts: Rev's answer is not an object with a 'events' array" in str(result.error)
