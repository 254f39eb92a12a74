"""Incremental syncs: the bookmark stops before the first webcast still open, and the next sync
asks only for what is new or still open."""

from __future__ import annotations

import json

from testkit import run_tap, start_emulator
from vbrick_webcast.helpers import catalog, config_for, listed_webcasts

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
