"""Incremental syncs: the bookmark stops before the first webcast still open, and the next sync
asks only for what is new or still open."""

from __future__ import annotations

import json

from testkit import run_tap, start_emulator
from vbrick_webcast.helpers import KEYS, catalog, config_for, listed_webcasts

from emulators import EmulatorServer
from emulators.datagen import iso_ms
from tap_vbrick_webcast.tap import TapVbrickWebcast

REPORT_PARTS = ("/post-event-report", "/comments", "/poll-results", "/questions")


def reported_ids(server: EmulatorServer) -> set[str]:
    return {
        r.path.split("/")[4]
        for r in server.requests
        if any(part in r.path for part in REPORT_PARTS)
    }


def search_bodies(server: EmulatorServer) -> list[dict]:
    return [json.loads(r.body) for r in server.requests.matching("/search/scheduled-events")]


def test_an_open_webcast_holds_the_bookmark_and_is_asked_for_again() -> None:
    server = start_emulator("vbrick", size=6, in_progress=1, upcoming=1, large_webcasts=0)
    try:
        first = run_tap(TapVbrickWebcast, config_for(server))
        listed = listed_webcasts(server)
        running = listed[-1]  # 4 over, 1 running; the upcoming one is not listed yet
        assert len(first.records["webcasts"]) == 5
        assert first.bookmark("webcasts") == iso_ms(running.start - 0.001)
        server.reset()

        second = run_tap(TapVbrickWebcast, config_for(server), state=first.state)
        (body,) = search_bodies(server)
        assert body["startDate"] == iso_ms(running.start)
        assert reported_ids(server) == {running.id}
        assert [w["id"] for w in second.records["webcasts"]] == [running.id]
        assert second.bookmark("webcasts") == first.bookmark("webcasts")  # still running
    finally:
        server.stop()


def test_when_all_is_over_the_next_sync_asks_for_nothing_old() -> None:
    server = start_emulator("vbrick", size=5, in_progress=0, upcoming=0, large_webcasts=0)
    try:
        first = run_tap(TapVbrickWebcast, config_for(server))
        last = listed_webcasts(server)[-1]
        assert first.bookmark("webcasts") == iso_ms(last.start)
        server.reset()

        second = run_tap(TapVbrickWebcast, config_for(server), state=first.state)
        (body,) = search_bodies(server)
        assert body["startDate"] == iso_ms(last.start + 0.001)
        assert reported_ids(server) == set()
        assert second.records["webcasts"] == []
        assert second.bookmark("webcasts") == first.bookmark("webcasts")
    finally:
        server.stop()


def test_end_date_then_a_later_sync_takes_only_the_rest() -> None:
    server = start_emulator("vbrick", size=8, in_progress=0, upcoming=0, large_webcasts=0)
    try:
        cat = catalog(server)
        cut = iso_ms(cat.start_of(4) + 60)  # after webcast 4 starts, before webcast 5
        first = run_tap(TapVbrickWebcast, config_for(server, end_date=cut))
        assert len(first.records["webcasts"]) == 5
        assert search_bodies(server)[0]["endDate"] == cut
        server.reset()

        second = run_tap(TapVbrickWebcast, config_for(server), state=first.state)
        ids = [w["id"] for w in second.records["webcasts"]]
        assert ids == [cat.webcast(i).id for i in (5, 6, 7)]
        assert reported_ids(server) == set(ids)
    finally:
        server.stop()


def test_a_start_date_later_than_the_bookmark_wins(small_rev: EmulatorServer) -> None:
    first = run_tap(TapVbrickWebcast, config_for(small_rev))
    later = iso_ms(catalog(small_rev).start_of(5) + 1)
    small_rev.reset()
    run_tap(
        TapVbrickWebcast,
        config_for(small_rev, start_date="2019-01-01T00:00:00Z"),
        state=first.state,
    )
    assert search_bodies(small_rev)[0]["startDate"] > first.bookmark("webcasts")
    small_rev.reset()
    second = run_tap(TapVbrickWebcast, config_for(small_rev, start_date=later), state={})
    (body,) = search_bodies(small_rev)
    assert body["startDate"] == later
    assert second.records["webcasts"] == []


def test_an_owed_webcast_the_search_finds_again_is_read_once() -> None:
    # The webcast is owed (with the dates it had then) and, not final, found again by the
    # search (with its dates now): its reports are read once, first.
    server = start_emulator("vbrick", size=3, in_progress=1, upcoming=0, large_webcasts=0)
    try:
        running = listed_webcasts(server)[-1]
        item = {
            "eventId": running.id,
            "runNumber": 0,
            "startDate": iso_ms(running.start),
            "endDate": iso_ms(running.end - 3600),  # rescheduled since
        }
        owed = [{"item": item, "reason": "HTTP 500", "since": "2026-01-01T00:00:00Z", "syncs": 1}]
        state = {
            "bookmarks": {
                "webcast_attendee_sessions": {"owed": owed},
                "webcast_comments": {"owed": owed},
            }
        }
        result = run_tap(TapVbrickWebcast, config_for(server), state=state)
        for stream, key in (
            ("webcast_attendee_sessions", KEYS["webcast_attendee_sessions"]),
            ("webcast_comments", KEYS["webcast_comments"]),
        ):
            assert result.duplicates(stream, *key) == [], stream
            assert "owed" not in result.state["bookmarks"][stream]
        reports = [r.path for r in server.requests if r.path.endswith("/post-event-report")]
        assert reports.count(f"/api/v2/scheduled-events/{running.id}/post-event-report") == 1
        assert reports[0].split("/")[4] == running.id  # first
    finally:
        server.stop()


def test_an_owed_item_that_names_no_webcast_run_is_let_go(small_rev: EmulatorServer) -> None:
    owed = [{"item": {"id": "x-1"}, "reason": "r", "since": "2026-01-01T00:00:00Z", "syncs": 1}]
    state = {"bookmarks": {"webcast_comments": {"owed": owed}}}
    result = run_tap(TapVbrickWebcast, config_for(small_rev), state=state)
    assert result.log_lines("cannot be asked for: let go")
    assert "owed" not in result.state["bookmarks"]["webcast_comments"]
    assert len(result.records["webcasts"]) == 6
