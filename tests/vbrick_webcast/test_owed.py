"""Issue 9's cases, each played by an emulator switch and run as the tap's command line through
broken -> broken -> recovered syncs (the state of each fed to the next, each loaded into
PostgreSQL): what is owed, the request order (the owed webcast asked for first), the bookmark,
and every key once in the warehouse with the recovered webcast's records present."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from testkit import PgTarget, start_emulator
from vbrick_webcast.helpers import ONE_AT_A_TIME, Syncs, catalog, listed_webcasts

from emulators import EmulatorServer, Fault
from emulators.datagen import iso_ms

pytestmark = pytest.mark.postgres

#: Every report stream that reads the post-event report, comments, polls or questions.
REPORTS = (
    "webcast_attendee_sessions",
    "webcast_attendance_summary",
    "webcast_comments",
    "webcast_poll_results",
    "webcast_questions",
)
#: Quick retries, and a grace short enough that the webcasts that ended hours ago are final
#: without asking their status (the grace has its own test).
QUICK = {"retry_initial_wait_seconds": 0.05, "retry_budget_seconds": 1, "report_grace_hours": 1}


@pytest.fixture
def rev() -> Iterator[EmulatorServer]:
    """Three webcasts, all over (the first ended some 34 hours ago, the last some 10)."""
    server = start_emulator("vbrick", size=3, in_progress=0, upcoming=0, large_webcasts=0)
    try:
        yield server
    finally:
        server.stop()


def test_a_401_to_a_valid_session_owes_that_webcast_and_never_logs_in_again(
    rev: EmulatorServer, pg_target: PgTarget, tmp_path: Path
) -> None:
    webcasts = listed_webcasts(rev)
    bad = webcasts[0].id
    rev.state.unauthorized.add(bad)
    # One at a time: each report stream's 401 comes after the session check of the one before
    # (several in flight at once share one check: test_concurrency.py).
    syncs = Syncs(rev, pg_target, tmp_path, **QUICK, **ONE_AT_A_TIME)

    first = syncs.run()
    assert syncs.logins == 1  # no new login: Rev said the session is valid
    assert len([p for p in syncs.paths() if p == "/api/v2/user/session"]) == 4
    assert syncs.owed_webcasts() == {stream: {bad} for stream in REPORTS}
    assert "Rev confirms the session valid" in syncs.owed("webcast_questions")[0]["reason"]
    assert first.bookmark("webcasts") == iso_ms(webcasts[-1].start)  # the others are final
    assert {r["eventId"] for r in first.records["webcast_questions"]} <= {
        w.id for w in webcasts[1:]
    }

    syncs.run()
    assert syncs.asked_first(bad)
    assert syncs.reported()[:4] == [bad] * 4  # sessions (and summary), comments, polls, Q&A
    assert [o["syncs"] for o in syncs.owed("webcast_comments")] == [2]

    rev.state.unauthorized.clear()
    third = syncs.run()
    assert syncs.asked_first(bad)
    assert syncs.owed_webcasts() == {}
    assert third.log_lines("Nothing is owed")
    assert bad in {r["eventId"] for r in third.records["webcast_attendee_sessions"]}
    syncs.assert_each_key_once()


@pytest.mark.parametrize("answer", ["503", "html"])
def test_a_lasting_server_error_or_non_json_answer_owes_that_webcast(
    rev: EmulatorServer, pg_target: PgTarget, tmp_path: Path, answer: str
) -> None:
    webcasts = listed_webcasts(rev)
    bad = webcasts[0].id
    fault = (
        Fault("status", path=f"{bad}/", status=503, times=None)
        if answer == "503"
        else Fault(
            "status",
            path=f"{bad}/",
            status=200,
            body="<html><body>Service temporarily unavailable</body></html>",
            content_type="text/html",
            times=None,
        )
    )
    rev.faults.add(fault)
    syncs = Syncs(rev, pg_target, tmp_path, **QUICK)

    first = syncs.run()
    assert syncs.owed_webcasts() == {stream: {bad} for stream in REPORTS}
    reason = syncs.owed("webcast_questions")[0]["reason"]
    assert ("503 Service Unavailable" if answer == "503" else "is not valid JSON") in reason
    assert first.bookmark("webcasts") == iso_ms(webcasts[-1].start)
    (summary_line,) = first.log_lines("Owed to the next sync: 5 item(s)")
    assert bad in summary_line

    syncs.run()
    assert syncs.asked_first(bad)
    assert [o["syncs"] for o in syncs.owed("webcast_attendee_sessions")] == [2]

    rev.faults.clear()
    third = syncs.run()
    assert syncs.asked_first(bad)
    assert syncs.owed_webcasts() == {}
    assert bad in {r["eventId"] for r in third.records["webcast_questions"]}
    syncs.assert_each_key_once()


def test_a_webcast_running_past_its_end_is_read_again_until_rev_says_it_ended(
    rev: EmulatorServer, pg_target: PgTarget, tmp_path: Path
) -> None:
    webcasts = listed_webcasts(rev)
    late = webcasts[-1]  # scheduled to end some 10 hours ago: still running
    rev.state.overruns[late.id] = 20 * 3600.0
    full = catalog(rev).session_count(late, 0) * 2  # while running, the report holds half
    syncs = Syncs(rev, pg_target, tmp_path, retry_initial_wait_seconds=0.05)

    first = syncs.run()
    assert first.bookmark("webcasts") == iso_ms(late.start - 0.001)  # held before it
    assert f"/api/v2/scheduled-events/{late.id}/status" in syncs.paths()
    assert first.log_lines(f"Webcast {late.id} (starting {iso_ms(late.start)}) is not final")
    sessions = [r for r in first.records["webcast_attendee_sessions"] if r["eventId"] == late.id]
    assert len(sessions) == full // 2

    second = syncs.run()
    assert set(syncs.reported()) == {late.id}  # only the webcast not final
    assert second.bookmark("webcasts") == iso_ms(late.start - 0.001)

    rev.state.overruns.clear()  # it has ended: Rev's status says Completed
    third = syncs.run()
    assert set(syncs.reported()) == {late.id}
    assert third.bookmark("webcasts") == iso_ms(late.start)  # final now
    sessions = [r for r in third.records["webcast_attendee_sessions"] if r["eventId"] == late.id]
    assert len(sessions) == full
    syncs.assert_each_key_once()


def test_an_invalid_scroll_id_mid_report_restarts_it_once_then_owes_it(
    pg_target: PgTarget, tmp_path: Path
) -> None:
    server = start_emulator("vbrick", size=2, in_progress=0, upcoming=0, sessions_per_webcast=700)
    try:
        webcasts = listed_webcasts(server)
        bad = webcasts[0].id
        server.state.lost_scrolls.add(bad)
        syncs = Syncs(server, pg_target, tmp_path, **QUICK)

        first = syncs.run()
        pages = [r for r in syncs.requests if r.path.endswith(f"{bad}/post-event-report")]
        # The first page, the lost scroll (400), the report from the start once, lost again.
        assert [p.arg("scrollId") is None for p in pages] == [True, False, True, False]
        (owed,) = syncs.owed("webcast_attendee_sessions")
        assert owed["item"]["eventId"] == bad
        assert "expired twice" in owed["reason"]
        assert "Invalid scrollId" in owed["reason"]
        assert first.log_lines("expired after 500 records: starting over once")
        assert first.bookmark("webcasts") == iso_ms(webcasts[-1].start)

        syncs.run()
        assert syncs.asked_first(bad)
        assert [o["syncs"] for o in syncs.owed("webcast_attendee_sessions")] == [2]

        server.state.lost_scrolls.clear()
        third = syncs.run()
        assert syncs.asked_first(bad)
        assert syncs.owed_webcasts() == {}
        sessions = [r for r in third.records["webcast_attendee_sessions"] if r["eventId"] == bad]
        assert len(sessions) == 700
        syncs.assert_each_key_once()
    finally:
        server.stop()


def test_an_empty_report_page_is_retried_then_owed_never_an_empty_summary(
    rev: EmulatorServer, pg_target: PgTarget, tmp_path: Path
) -> None:
    webcasts = listed_webcasts(rev)
    bad = webcasts[0].id
    rev.faults.add(
        Fault("status", path=f"{bad}/post-event-report", status=200, body="{}", times=None)
    )
    syncs = Syncs(rev, pg_target, tmp_path, **QUICK)

    first = syncs.run()
    assert len([r for r in syncs.requests if r.path.endswith(f"{bad}/post-event-report")]) > 1
    assert syncs.owed_webcasts() == {
        "webcast_attendee_sessions": {bad},
        "webcast_attendance_summary": {bad},
    }
    assert (
        "is not an object with a 'sessions' array"
        in (syncs.owed("webcast_attendee_sessions")[0]["reason"])
    )
    summaries = first.records["webcast_attendance_summary"]
    assert bad not in {s["eventId"] for s in summaries}  # never an all-null summary
    assert all(s["totalSessions"] is not None for s in summaries)

    syncs.run()
    assert syncs.asked_first(bad)

    rev.faults.clear()
    third = syncs.run()
    assert syncs.asked_first(bad)
    assert syncs.owed_webcasts() == {}
    assert bad in {s["eventId"] for s in third.records["webcast_attendance_summary"]}
    syncs.assert_each_key_once()


def test_realtime_attendees_in_either_casing_and_an_attendee_without_key_is_owed(
    pg_target: PgTarget, tmp_path: Path
) -> None:
    server = start_emulator(
        "vbrick",
        size=2,
        in_progress=1,
        upcoming=0,
        large_webcasts=0,
        realtime_attendees=120,
        rate_limits={"GET": 24000, "POST": 3600, "realtime": 100},
    )
    try:
        running = listed_webcasts(server)[-1].id
        server.state.drop_fields["realtime"] = {"SessionId"}
        # No retry of the real-time call: each would wait Vbrick's pace (30 s).
        syncs = Syncs(server, pg_target, tmp_path, include_realtime=True, retry_budget_seconds=0)

        first = syncs.run()
        (owed,) = syncs.owed("webcast_realtime_attendees")
        assert owed["item"]["eventId"] == running
        assert "each carry 'SessionId'" in owed["reason"]
        assert first.records["webcast_realtime_attendees"] == []  # never one null-keyed record

        syncs.run()
        assert syncs.paths()[0] == f"/api/v2/scheduled-events/{running}/real-time/attendees"
        assert [o["syncs"] for o in syncs.owed("webcast_realtime_attendees")] == [2]

        server.state.drop_fields.clear()
        server.state.realtime_key_case = "camelCase"  # the official client's spelling
        third = syncs.run()
        assert syncs.paths()[0] == f"/api/v2/scheduled-events/{running}/real-time/attendees"
        assert syncs.owed_webcasts() == {}
        attendees = third.records["webcast_realtime_attendees"]
        assert len(attendees) == 120
        assert all(a["SessionId"] and a["FullName"] for a in attendees)
        assert third.log_lines("Rev sent camelCase keys")
        syncs.assert_each_key_once(
            streams=("webcast_realtime_attendees",), webcast_realtime_attendees=120
        )
    finally:
        server.stop()


def test_an_expiration_already_past_is_taken_as_a_short_session(
    pg_target: PgTarget, tmp_path: Path
) -> None:
    # One webcast running: every sync asks for several things.
    server = start_emulator("vbrick", size=3, in_progress=1, upcoming=0, large_webcasts=0)
    try:
        server.state.expiration_offset_seconds = -7200.0  # Rev's clock two hours behind
        syncs = Syncs(server, pg_target, tmp_path, **QUICK)

        for _ in range(2):
            output = syncs.run()
            assert syncs.logins == 1  # not one login per request
            assert len(syncs.paths()) > 3
            (warning,) = output.log_lines("is already past by this machine's clock")
            assert "Assuming 10-minute sessions" in warning
            assert syncs.requests[0].path == "/api/v2/authenticate"

        server.state.expiration_offset_seconds = 0.0
        third = syncs.run()
        assert syncs.logins == 1
        assert not third.log_lines("is already past")
        assert third.log_lines("Nothing is owed")
        syncs.assert_each_key_once()
    finally:
        server.stop()


def test_comments_beyond_one_page_are_paged_or_owed_never_cut_in_silence(
    pg_target: PgTarget, tmp_path: Path
) -> None:
    server = start_emulator(
        "vbrick", size=1, in_progress=0, upcoming=0, large_webcasts=0, comments_per_webcast=10_050
    )
    try:
        (webcast,) = listed_webcasts(server)
        syncs = Syncs(server, pg_target, tmp_path, **QUICK)

        # Rev answers a plain array cut at `size` (the OpenAPI's schema): it cannot be paged.
        first = syncs.run()
        calls = [r for r in syncs.requests if r.path.endswith("/comments")]
        assert [c.arg("size") for c in calls] == ["10000"]
        assert len(first.records["webcast_comments"]) == 10_000
        (owed,) = syncs.owed("webcast_comments")
        assert "as many as the page size (10000)" in owed["reason"]
        assert first.log_lines("Owed to the next sync: 1 item(s): webcast_comments")

        syncs.run()
        assert syncs.asked_first(webcast.id)
        assert syncs.paths()[0].endswith("/comments")

        # Rev pages them with a scroll id (the OpenAPI's text of `size`).
        server.state.comments_paging = "scroll"
        third = syncs.run()
        calls = [r for r in syncs.requests if r.path.endswith("/comments")]
        assert [c.arg("scrollId") is None for c in calls] == [True, False]
        assert len(third.records["webcast_comments"]) == 10_050
        assert syncs.owed_webcasts() == {}
        syncs.assert_each_key_once()
    finally:
        server.stop()


def test_one_webcast_broken_for_good_fails_the_job_and_is_dropped_past_max_owed_syncs(
    rev: EmulatorServer, pg_target: PgTarget, tmp_path: Path
) -> None:
    webcasts = listed_webcasts(rev)
    bad = webcasts[0].id
    rev.faults.add(Fault("status", path=f"{bad}/questions", status=500, times=None))
    syncs = Syncs(rev, pg_target, tmp_path, fail_on_owed=True, max_owed_syncs=1, **QUICK)

    first = syncs.run(returncode=1)  # fail_on_owed: a red job, after the state
    assert first.messages[-1]["type"] == "STATE"
    assert syncs.owed_webcasts() == {"webcast_questions": {bad}}
    assert first.log_lines("1 item(s) owed and fail_on_owed is set")
    others = {r["eventId"] for r in first.records["webcast_questions"]}
    assert others == {w.id for w in webcasts[1:]}  # everything else was emitted
    assert len(first.records["webcast_attendee_sessions"]) == sum(
        catalog(rev).session_count(w, 0) for w in webcasts
    )

    second = syncs.run()  # owed for a second sync: past max_owed_syncs, dropped
    assert syncs.asked_first(bad)
    (error,) = [line for line in second.error_lines() if "no longer owed" in line]
    assert f"eventId={bad}" in error
    assert "max_owed_syncs" in error
    assert syncs.owed_webcasts() == {}

    rev.faults.clear()
    syncs.run()
    assert bad not in syncs.reported()  # no longer asked for


def test_a_forbidden_webcast_is_skipped_for_good_and_not_owed(
    rev: EmulatorServer, pg_target: PgTarget, tmp_path: Path
) -> None:
    webcasts = listed_webcasts(rev)
    bad = webcasts[0].id
    rev.state.forbidden.add(bad)
    syncs = Syncs(rev, pg_target, tmp_path, **QUICK)

    first = syncs.run()
    assert syncs.owed_webcasts() == {}
    assert first.log_lines("Nothing is owed")
    assert len(first.log_lines(f"skipping webcast {bad} run 0")) == 4
    assert first.bookmark("webcasts") == iso_ms(webcasts[-1].start)

    syncs.run()
    assert syncs.reported() == []  # 403 is permanent: never asked again
