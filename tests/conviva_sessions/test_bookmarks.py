"""The bookmark is the end of the last finished window, never a record's value.

This guards the one private SDK part the tap overrides (SampleSessionsStream's
``_increment_stream_state``, see the README's "Private SDK parts"): SDK 0.54 moves the bookmark
to each record's replication key value through that method. Should the SDK stop calling it (or
rename it), the sessions that end after their window would move the bookmark past windows not
yet fetched, and these tests fail."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from conviva_sessions.helpers import CONTENT_SESSIONS, base_config
from testkit import run_tap

from tap_conviva_sessions.tap import TapConvivaSessions
from tap_conviva_sessions.values import utc_iso


def test_a_session_ending_after_its_window_does_not_move_the_bookmark(conviva) -> None:
    config = base_config(conviva, window_minutes=30)
    end = utc_iso(datetime.fromisoformat(config["end_date"]))

    run = run_tap(TapConvivaSessions, config, streams=CONTENT_SESSIONS)

    records = run.records["content_sessions"]
    assert any(r["session_end"] > end for r in records)  # sessions that end after the sync's end
    assert run.bookmark("content_sessions") == end


def test_every_state_holds_a_window_end_even_mid_sync(conviva) -> None:
    config = base_config(conviva, window_minutes=30)
    start = datetime.fromisoformat(config["start_date"]).astimezone(UTC)
    window_ends = {utc_iso(start + timedelta(minutes=30 * n)) for n in range(1, 7)}

    run = run_tap(TapConvivaSessions, config, streams=CONTENT_SESSIONS)

    bookmarks = [
        s["bookmarks"]["content_sessions"].get("replication_key_value")
        for s in run.states
        if "content_sessions" in s.get("bookmarks", {})
    ]
    assert list(dict.fromkeys(b for b in bookmarks if b)) == sorted(window_ends)
    # A window's STATE follows its last record: every session written before it started
    # before that window's end.
    written: list[str] = []
    for message in run.messages:
        if message["type"] == "RECORD":
            written.append(message["record"]["session_start"])
        elif message["type"] == "STATE":
            value = message["value"]["bookmarks"].get("content_sessions", {})
            bookmark = value.get("replication_key_value")
            assert all(start < bookmark for start in written) if bookmark else True
