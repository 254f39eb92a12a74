"""Owed items: a window or a viewer whose answers stay wrong after their retries (a lasting 5xx,
a 200 answer of another shape) is skipped with a warning and owed; the bookmark moves on; the next
sync asks for it first; when it recovers its records arrive, once. Run as the command line,
through broken -> broken -> recovered syncs, loaded into PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from conviva_sessions.helpers import (
    CONTENT_SESSIONS,
    TAP_EXE,
    Syncs,
    base_config,
    conviva_emulator,
    emulator_now,
    epoch_ms,
    iso_ms,
    minute_floor,
    owed_of,
)
from testkit import PgTarget, run_cli, run_tap

from emulators import EmulatorServer
from tap_conviva_sessions.tap import TapConvivaSessions

#: Retries short enough for a test: a broken item is given up in about a second.
QUICK = {"retry_budget_seconds": 1, "retry_initial_wait_seconds": 0.1}
VIEWERS = ["viewer-00042", "viewer-01234"]
VIEWER_IP = "203.0.113.7"


def windows_asked(server: EmulatorServer, path: str = "/sessions/content") -> list[tuple[str, str]]:
    """The (start_date, end_date) of each request for a sample endpoint, in order (retries
    included)."""
    return [
        (r.arg("start_date") or "", r.arg("end_date") or "")
        for r in server.requests
        if r.path.endswith(path)
    ]


def window_config(server: EmulatorServer, start: datetime, end: datetime) -> dict[str, Any]:
    return base_config(
        server,
        start_date=start.isoformat(),
        end_date=end.isoformat(),
        window_minutes=30,
        lookback_minutes=0,
        **QUICK,
    )


@pytest.mark.postgres
def test_a_broken_window_is_owed_asked_first_and_arrives_once_when_it_recovers(
    pg_target: PgTarget, tmp_path: Path
) -> None:
    with conviva_emulator(size=3_000) as server:
        end = minute_floor(emulator_now(server)) - timedelta(minutes=10)
        start = end - timedelta(hours=3)
        broken = (iso_ms(start + timedelta(minutes=30)), iso_ms(start + timedelta(minutes=60)))
        owed_item = {"start": broken[0], "end": broken[1]}
        server.state.broken_windows[epoch_ms(start + timedelta(minutes=45))] = "503"
        syncs = Syncs(pg_target, tmp_path)

        # 1. A lasting 503 on the second window: skipped with a warning, owed, the bookmark
        #    moves past it, the other windows arrive, exit 0.
        first = syncs.run(
            window_config(server, start, start + timedelta(hours=1)), CONTENT_SESSIONS
        )
        assert first.returncode == 0, first.logs[-3000:]
        assert windows_asked(server)[0] == (iso_ms(start), broken[0])
        assert set(windows_asked(server)[1:]) == {broken}  # its tries
        [owed] = owed_of(first, "content_sessions")
        assert (owed["item"], owed["syncs"]) == (owed_item, 1)
        assert "HTTP 503" in owed["reason"]
        assert first.bookmark("content_sessions") == iso_ms(start + timedelta(hours=1))
        (skipped,) = first.log_lines("skipped start=")
        assert "WARNING" in skipped
        assert "owed to the next sync" in skipped
        (summary,) = first.log_lines("Owed to the next sync: 1 item(s)")
        assert f"content_sessions: start={broken[0]}, end={broken[1]}" in summary
        assert first.records["content_sessions"]

        # 2. Still broken, now a 200 answer without `sessions`: the owed window is asked for
        #    first, retried (never read as an empty window), owed again; the rest arrives.
        server.requests.clear()
        server.state.broken_windows = {epoch_ms(start + timedelta(minutes=45)): "wrong_shape"}
        second = syncs.run(
            window_config(server, start, start + timedelta(hours=2)), CONTENT_SESSIONS
        )
        assert second.returncode == 0, second.logs[-3000:]
        asked = windows_asked(server)
        assert asked[0] == broken
        assert asked[-2:] == [
            (iso_ms(start + timedelta(minutes=60)), iso_ms(start + timedelta(minutes=90))),
            (iso_ms(start + timedelta(minutes=90)), iso_ms(start + timedelta(minutes=120))),
        ]
        [owed] = owed_of(second, "content_sessions")
        assert (owed["item"], owed["syncs"]) == (owed_item, 2)
        assert "not the documented shape" in owed["reason"]
        assert "no 'sessions' list" in owed["reason"]
        assert second.bookmark("content_sessions") == iso_ms(start + timedelta(hours=2))
        assert second.log_lines("content_sessions: try 1 failed (Conviva answered HTTP 200")

        # 3. Recovered: the owed window first, its sessions arrive, nothing is owed.
        server.requests.clear()
        server.state.broken_windows.clear()
        third = syncs.run(window_config(server, start, end), CONTENT_SESSIONS)
        assert third.returncode == 0, third.logs[-3000:]
        assert windows_asked(server)[0] == broken
        assert owed_of(third, "content_sessions") == []
        assert third.bookmark("content_sessions") == iso_ms(end)
        assert third.log_lines("Nothing is owed")
        assert third.log_lines(f"start={broken[0]}, end={broken[1]}, owed before, is fetched")
        only_there = server.state.session_ids(
            "content", epoch_ms(start + timedelta(minutes=30)), epoch_ms(start + timedelta(hours=1))
        )
        assert only_there <= {r["conviva_session_id"] for r in third.records["content_sessions"]}

        for run in syncs.runs:
            assert not run.duplicates("content_sessions", "conviva_session_id")
            assert "seems to return the sessions that started" not in run.logs
        truth = server.state.session_ids("content", epoch_ms(start), epoch_ms(end))
        counts = pg_target.key_counts("content_sessions", "conviva_session_id")
        assert set(counts.values()) == {1}
        assert {k for (k,) in counts} == truth


def test_fail_on_owed_exits_non_zero_and_an_item_past_max_owed_syncs_is_dropped(
    tmp_path: Path,
) -> None:
    with conviva_emulator(size=2_000) as server:
        end = minute_floor(emulator_now(server)) - timedelta(minutes=10)
        start = end - timedelta(hours=1)
        server.state.broken_windows[epoch_ms(start + timedelta(minutes=45))] = "503"
        config = window_config(server, start, end)

        failed = run_cli(
            TAP_EXE, {**config, "fail_on_owed": True}, tmp_path, streams=CONTENT_SESSIONS
        )
        assert failed.returncode == 1
        assert failed.log_lines("1 item(s) owed and fail_on_owed is set")
        assert failed.messages[-1]["type"] == "STATE"
        assert owed_of(failed, "content_sessions")
        assert failed.records["content_sessions"]  # the healthy window's sessions
        assert failed.bookmark("content_sessions") == iso_ms(end)

        dropped = run_cli(
            TAP_EXE,
            {**config, "max_owed_syncs": 1},
            tmp_path,
            streams=CONTENT_SESSIONS,
            state=failed.state,
        )
        assert dropped.returncode == 0, dropped.logs[-3000:]
        (line,) = dropped.error_lines()
        assert "is no longer owed: it failed in 2 syncs in a row (max_owed_syncs)" in line
        assert f"start={iso_ms(start + timedelta(minutes=30))}" in line
        assert owed_of(dropped, "content_sessions") == []


def test_an_owed_window_past_the_31_days_is_skipped_with_a_warning_and_not_owed(conviva) -> None:
    old = datetime.now(UTC) - timedelta(days=40)
    gone = {"start": iso_ms(old), "end": iso_ms(old + timedelta(minutes=30))}
    entry = {"item": gone, "reason": "HTTP 503", "since": "2026-01-01T00:00:00Z", "syncs": 1}
    config = base_config(conviva, lookback_minutes=0)
    bookmark = iso_ms(datetime.fromisoformat(config["end_date"]) - timedelta(minutes=30))
    state = {
        "bookmarks": {
            "content_sessions": {
                "replication_key": "session_end",
                "replication_key_value": bookmark,
                "owed": [entry],
            }
        }
    }

    run = run_tap(TapConvivaSessions, config, state=state, streams=CONTENT_SESSIONS)

    assert windows_asked(conviva)[0][0] == bookmark  # the lost window is not asked for
    (warning,) = run.log_lines("which Conviva no longer serves")
    assert "WARNING" in warning
    assert "the window is no longer owed" in warning
    assert owed_of(run, "content_sessions") == []


@pytest.mark.postgres
def test_a_broken_viewer_is_owed_asked_first_and_its_records_arrive_once(
    pg_target: PgTarget, tmp_path: Path
) -> None:
    streams = ("viewer_sessions", "viewer_summary")
    with conviva_emulator(size=500) as server:
        config = base_config(
            server, viewer_ids=VIEWERS, viewer_ips=[VIEWER_IP], viewer_days=7, **QUICK
        )
        syncs = Syncs(pg_target, tmp_path)

        def first_viewer(path: str) -> str | None:
            asked = [r for r in server.requests if r.path.endswith(path)]
            return asked[0].arg("viewer_id") or asked[0].arg("viewer_ip")

        # 1. The second viewer answers 503 for good: owed in both streams, the others arrive.
        server.state.broken_viewers["viewer-01234"] = "503"
        first = syncs.run(config, streams)
        assert first.returncode == 0, first.logs[-3000:]
        for stream in streams:
            [owed] = owed_of(first, stream)
            assert (owed["item"], owed["syncs"]) == ({"viewer_id": "viewer-01234"}, 1)
        assert first_viewer("/content/viewer") == "viewer-00042"
        assert {r["viewer"] for r in first.records["viewer_summary"]} == {"viewer-00042", VIEWER_IP}
        (summary,) = first.log_lines("Owed to the next sync: 2 item(s)")
        assert "viewer_sessions: viewer_id=viewer-01234" in summary

        # 2. A 200 answer of another shape: asked first, retried, owed again.
        server.requests.clear()
        server.state.broken_viewers["viewer-01234"] = "wrong_shape"
        second = syncs.run(config, streams)
        assert second.returncode == 0, second.logs[-3000:]
        assert first_viewer("/content/viewer") == "viewer-01234"
        assert first_viewer("/content/viewer/summary") == "viewer-01234"
        for stream in streams:
            [owed] = owed_of(second, stream)
            assert owed["syncs"] == 2
            assert "not the documented shape" in owed["reason"]

        # 3. Recovered: asked first, its records arrive, nothing is owed.
        server.requests.clear()
        server.state.broken_viewers.clear()
        third = syncs.run(config, streams)
        assert third.returncode == 0, third.logs[-3000:]
        assert first_viewer("/content/viewer") == "viewer-01234"
        for stream in streams:
            assert owed_of(third, stream) == []

        now = server.state.now_ms
        owners = [*VIEWERS, server.state.ip_owner(VIEWER_IP)]
        truth = {
            s["conviva_session_id"]
            for v in owners
            for s in server.state.viewer_sessions(v, now - 7 * 86_400_000, now)
        }
        sessions = pg_target.key_counts("viewer_sessions", "conviva_session_id")
        assert set(sessions.values()) == {1}
        assert {k for (k,) in sessions} == truth
        summaries = pg_target.key_counts("viewer_summary", "viewer", "summary_date")
        day = datetime.fromtimestamp(now / 1000, UTC).date()
        assert summaries == {(v, day): 1 for v in [*VIEWERS, VIEWER_IP]}


def test_a_dimensions_answer_that_is_not_the_list_is_owed_not_an_empty_success(
    conviva, tmp_path: Path
) -> None:
    config = base_config(conviva, **QUICK)
    conviva.state.broken_dimensions = "html"  # a proxy's page, HTTP 200
    try:
        broken = run_cli(TAP_EXE, config, tmp_path, streams=["dimensions", "content_sessions"])
    finally:
        conviva.state.broken_dimensions = None
    assert broken.returncode == 0, broken.logs[-3000:]
    assert not broken.records["dimensions"]
    assert broken.records["content_sessions"]  # the rest of the sync goes on
    [owed] = owed_of(broken, "dimensions")
    assert owed["item"] == {"list": "dimensions"}

    recovered = run_cli(TAP_EXE, config, tmp_path, streams=["dimensions"], state=broken.state)
    assert recovered.returncode == 0, recovered.logs[-3000:]
    assert recovered.records["dimensions"]
    assert owed_of(recovered, "dimensions") == []


@pytest.mark.postgres
def test_a_window_the_service_says_is_unavailable_ends_one_sync_then_is_owed(
    pg_target: PgTarget, tmp_path: Path
) -> None:
    with conviva_emulator(size=2_000) as server:
        end = minute_floor(emulator_now(server)) - timedelta(minutes=10)
        start = end - timedelta(hours=2)
        broken = (iso_ms(start + timedelta(minutes=30)), iso_ms(start + timedelta(minutes=60)))
        server.state.broken_windows[epoch_ms(start + timedelta(minutes=45))] = "unavailable"
        syncs = Syncs(pg_target, tmp_path)

        # 1. HTTP 503 with Retry-After: likely the whole service, so the sync ends (non-zero),
        #    the window owed and the bookmark past it, so that the next sync does not stop there.
        first = syncs.run(
            window_config(server, start, start + timedelta(hours=1)), CONTENT_SESSIONS
        )
        assert first.returncode == 1
        assert first.log_lines("gave up on")
        [owed] = owed_of(first, "content_sessions")
        assert owed["item"] == {"start": broken[0], "end": broken[1]}
        assert first.bookmark("content_sessions") == broken[1]

        # 2. The same answer for the owed window: owed again, and this time the sync goes on.
        server.requests.clear()
        second = syncs.run(
            window_config(server, start, start + timedelta(hours=2)), CONTENT_SESSIONS
        )
        assert second.returncode == 0, second.logs[-3000:]
        assert windows_asked(server)[0] == broken
        assert [o["syncs"] for o in owed_of(second, "content_sessions")] == [2]
        assert second.bookmark("content_sessions") == iso_ms(start + timedelta(hours=2))

        # 3. Recovered.
        server.requests.clear()
        server.state.broken_windows.clear()
        third = syncs.run(window_config(server, start, end), CONTENT_SESSIONS)
        assert third.returncode == 0, third.logs[-3000:]
        assert windows_asked(server)[0] == broken
        assert owed_of(third, "content_sessions") == []
        truth = server.state.session_ids("content", epoch_ms(start), epoch_ms(end))
        counts = pg_target.key_counts("content_sessions", "conviva_session_id")
        assert set(counts.values()) == {1}
        assert {k for (k,) in counts} == truth
