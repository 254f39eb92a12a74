"""Bad answers: retried (429, 5xx, broken bodies, answers of the wrong shape), restarted once
(expired scrolls), skipped for one webcast (403/404: permanent) or owed (what stays wrong after
its retries), or ending the sync with a clear message (the webcast search, no answer at all)."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

import pytest
from testkit import run_tap, start_emulator
from vbrick_webcast.helpers import (
    KEYS,
    ONE_AT_A_TIME,
    config_for,
    duplicates,
    expected_counts,
    listed_webcasts,
)

from emulators import EmulatorServer, Fault
from emulators.datagen import iso_ms
from tap_vbrick_webcast.tap import TapVbrickWebcast


def webcast_ids(server: EmulatorServer) -> list[str]:
    return [w.id for w in listed_webcasts(server)]


@pytest.mark.parametrize("status", [403, 404])
def test_an_unreadable_webcast_is_skipped_and_the_others_sync(
    small_rev: EmulatorServer, status: int, caplog: pytest.LogCaptureFixture
) -> None:
    # 403 and 404 are permanent (Vbrick's docs): skipped with a warning, not owed. (A 400 is
    # owed: test_a_bad_request_for_one_webcast_is_owed.)
    ids = webcast_ids(small_rev)
    bad = ids[2]
    if status == 403:
        small_rev.state.forbidden.add(bad)
    else:
        small_rev.state.missing.add(bad)
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
    assert all("not owed" in line for line in skipped)
    assert not [e for e in result.state["bookmarks"].values() if "owed" in e]


def test_a_bad_request_for_one_webcast_is_owed(small_rev: EmulatorServer) -> None:
    bad = webcast_ids(small_rev)[2]
    small_rev.faults.add(Fault("status", path=f"{bad}/", status=400, times=None))
    result = run_tap(TapVbrickWebcast, config_for(small_rev))
    for stream in ("webcast_attendee_sessions", "webcast_comments", "webcast_questions"):
        assert bad not in {r["eventId"] for r in result.records[stream]}, stream
        (owed,) = result.state["bookmarks"][stream]["owed"]
        assert owed["item"]["eventId"] == bad
        assert "Rev answered 400 Bad Request" in owed["reason"]
    assert result.log_lines("Owed to the next sync: 5 item(s)")  # the summary's too


def test_throttled_with_retry_after_waits_that_long(small_rev: EmulatorServer) -> None:
    small_rev.faults.add(
        Fault("status", path="/comments", status=429, headers={"Retry-After": "1"}, times=2)
    )
    # One at a time: the first two comment requests are the first webcast's two tries.
    result = run_tap(TapVbrickWebcast, config_for(small_rev, **ONE_AT_A_TIME))
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
    # The webcast search has no item to owe: when it keeps failing, the sync ends.
    small_rev.faults.add(Fault("status", path="/search/scheduled-events", status=503, times=None))
    # Waits of 0.4 s then 0.8 s (plus up to 10 %) fit in a budget of 2 s; the third, 1.6 s,
    # would end past it: three tries, then stop.
    config = config_for(small_rev, retry_initial_wait_seconds=0.4, retry_budget_seconds=2)
    result = run_tap(TapVbrickWebcast, config, expect_error=True)
    assert "Rev answered 503 Service Unavailable to POST /api/v2/search/scheduled-events" in str(
        result.error
    )
    assert f"gave up on {urlsplit(small_rev.url).netloc} after" in str(result.error)
    assert "retry_budget_seconds (now 2 s)" in str(result.error)
    assert len(small_rev.requests.matching("/search/scheduled-events")) == 3  # the budget


def test_errors_that_persist_on_one_webcast_owe_it_and_the_others_sync(
    small_rev: EmulatorServer,
) -> None:
    bad = webcast_ids(small_rev)[1]
    small_rev.faults.add(Fault("status", path=f"{bad}/questions", status=503, times=None))
    config = config_for(small_rev, retry_initial_wait_seconds=0.4, retry_budget_seconds=2)
    result = run_tap(TapVbrickWebcast, config)
    assert len(small_rev.requests.matching(f"{bad}/questions")) == 3  # the budget, then owed
    questions = result.records["webcast_questions"]
    assert {q["eventId"] for q in questions} == set(webcast_ids(small_rev)) - {bad}
    (owed,) = result.state["bookmarks"]["webcast_questions"]["owed"]
    assert owed["item"]["eventId"] == bad
    assert "Rev answered 503 Service Unavailable to GET /api/v2/scheduled-events/" in owed["reason"]
    assert result.bookmark("webcasts") == iso_ms(listed_webcasts(small_rev)[-1].start)


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


def test_a_scroll_that_expires_twice_owes_the_report_and_loses_nothing() -> None:
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
        failed = run_tap(TapVbrickWebcast, config_for(server), state=saved)
        # Each report is owed, and says why; the bookmark may move on past them.
        owed = failed.state["bookmarks"]["webcast_attendee_sessions"]["owed"]
        assert len(owed) == 3
        assert all("expired twice" in o["reason"] for o in owed)
        assert len(failed.records["webcast_attendee_sessions"]) == 3 * 500  # first pages
        server.state.scroll_ttl_seconds = 60.0
        again = run_tap(TapVbrickWebcast, config_for(server), state=failed.state)
        assert len(again.records["webcast_attendee_sessions"]) == 3 * 700
        assert "owed" not in again.state["bookmarks"]["webcast_attendee_sessions"]
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


def test_a_report_answer_of_the_wrong_shape_is_retried_then_owed(
    small_rev: EmulatorServer, caplog: pytest.LogCaptureFixture
) -> None:
    first = webcast_ids(small_rev)[0]
    small_rev.faults.add(
        Fault("status", path=f"{first}/questions", status=200, body='{"oops": true}', times=None)
    )
    with caplog.at_level(logging.WARNING):
        result = run_tap(TapVbrickWebcast, config_for(small_rev, retry_budget_seconds=1))
    questions = result.records["webcast_questions"]
    assert first not in {q["eventId"] for q in questions}
    assert len({q["eventId"] for q in questions}) == 5
    assert any("is not a JSON array" in r.getMessage() for r in caplog.records)
    assert len(small_rev.requests.matching(f"{first}/questions")) > 1  # asked again
    (owed,) = result.state["bookmarks"]["webcast_questions"]["owed"]
    assert owed["item"]["eventId"] == first
    assert "is not a JSON array" in owed["reason"]


def test_a_report_answer_of_the_wrong_shape_once_is_asked_again(
    small_rev: EmulatorServer,
) -> None:
    small_rev.faults.add(
        Fault("status", path="/questions", status=200, body='{"oops": true}', times=1)
    )
    result = run_tap(TapVbrickWebcast, config_for(small_rev))
    counts = expected_counts(small_rev)
    assert len(result.records["webcast_questions"]) == counts["webcast_questions"]
    assert "owed" not in result.state["bookmarks"]["webcast_questions"]


def test_a_search_answer_of_the_wrong_shape_ends_the_sync(small_rev: EmulatorServer) -> None:
    # Retried (never an empty success), then the sync ends: the search has no item to owe.
    small_rev.faults.add(
        Fault("status", path="/search/", status=200, body='{"total": 3, "items": []}', times=None)
    )
    config = config_for(small_rev, retry_budget_seconds=1)
    result = run_tap(TapVbrickWebcast, config, expect_error=True)
    assert "webcasts: Rev's answer is not an object with a 'events' array" in str(result.error)
