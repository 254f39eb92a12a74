"""The tap's guesses about the API (README, "Assumptions"), each played wrong by an emulator switch:
the tap notices, or falls back to the safe side; never "exit 0, fewer records". Run as the
command line through broken -> broken -> recovered syncs, loaded into PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

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
)
from testkit import PgTarget, run_cli, run_tap

from emulators import EmulatorServer, Fault
from tap_conviva_sessions.tap import TapConvivaSessions

SAMPLES = ("content_sessions", "ad_sessions")


def asked(server: EmulatorServer, path: str) -> list[tuple[str, str]]:
    return [
        (r.arg("start_date") or "", r.arg("end_date") or "")
        for r in server.requests
        if r.path.endswith(path)
    ]


def keys_once(pg: PgTarget, table: str, truth: set[str]) -> None:
    """PostgreSQL holds every key of ``truth`` exactly once, and nothing else."""
    counts = pg.key_counts(table, "conviva_session_id")
    assert set(counts.values()) == {1}, table
    assert {k for (k,) in counts} == truth, table


@pytest.mark.postgres
def test_a_discovery_answer_the_tap_cannot_read_means_every_endpoint_is_open(
    pg_target: PgTarget, tmp_path: Path
) -> None:
    with conviva_emulator(size=2_000, discovery_shape="names") as server:
        end = minute_floor(emulator_now(server)) - timedelta(minutes=10)
        start = end - timedelta(hours=3)
        syncs = Syncs(pg_target, tmp_path)

        def config(hours: int) -> dict:
            until = start + timedelta(hours=hours)
            return base_config(server, start_date=start.isoformat(), end_date=until.isoformat())

        # 1. Endpoint names without paths: not a shape the tap reads, so every endpoint is
        #    assumed open, with a warning; content and ad sessions both arrive.
        first = syncs.run(config(1), SAMPLES)
        assert first.returncode == 0, first.logs[-3000:]
        (warning,) = first.log_lines("assuming every session endpoint is open")
        assert "WARNING" in warning
        assert "{sessions: [{name: str, enabled: bool}, ...]}" in warning
        assert server.requests.matching("/sessions/ad")
        assert first.records["content_sessions"]
        assert first.records["ad_sessions"]

        # 2. An index of every endpoint, the one the account lacks too (no Ad Insights): the
        #    tap asks, the API answers 403, the stream is skipped with a warning, its bookmark
        #    stays; content sessions arrive, exit 0.
        server.requests.clear()
        server.state.discovery_shape = "index"
        server.state.ad_insights = False
        second = syncs.run(config(2), SAMPLES)
        assert second.returncode == 0, second.logs[-3000:]
        paths = [r.path for r in server.requests]
        assert paths[0].endswith("/sessions")  # discovery first, once
        assert paths.count(paths[0]) == 1
        assert sum(p.endswith("/sessions/ad") for p in paths) == 1  # refused once, not retried
        (refused,) = second.log_lines("stream ad_sessions is skipped")
        assert "HTTP 403" in refused
        assert "Ad Insights is not enabled" in refused
        assert second.records["content_sessions"]
        assert not second.records["ad_sessions"]
        assert second.bookmark("ad_sessions") == iso_ms(start + timedelta(hours=1))  # kept

        # 3. Recovered (the paths, Ad Insights back): ad sessions resume at their bookmark less
        #    the look-back; every session once in PostgreSQL.
        server.requests.clear()
        server.state.discovery_shape = "paths"
        server.state.ad_insights = True
        third = syncs.run(config(3), SAMPLES)
        assert third.returncode == 0, third.logs[-3000:]
        assert not third.log_lines("assuming every session endpoint is open")
        assert asked(server, "/sessions/ad")[0][0] == iso_ms(start)  # look-back to start_date

        for stream, kind in (("content_sessions", "content"), ("ad_sessions", "ad")):
            truth = server.state.session_ids(kind, epoch_ms(start), epoch_ms(end))
            keys_once(pg_target, stream, truth)


@pytest.mark.postgres
def test_a_silent_cap_below_the_limit_is_noticed_as_a_full_answer(
    pg_target: PgTarget, tmp_path: Path
) -> None:
    with conviva_emulator(size=20_000, answer_cap=500) as server:
        traffic = server.state.traffic["content"]
        hour = max(
            range(len(traffic.counts) // 60),
            key=lambda h: sum(traffic.counts[h * 60 : h * 60 + 60]),
        )
        start = datetime.fromtimestamp((traffic.first_minute + min(hour, 20) * 60) * 60, UTC)
        syncs = Syncs(pg_target, tmp_path)

        def config(hours: int) -> dict:
            return base_config(
                server,
                start_date=start.isoformat(),
                end_date=(start + timedelta(hours=hours)).isoformat(),
                page_size=1500,  # the content endpoint's documented most
                window_minutes=60,
                lookback_minutes=0,
            )

        # 1-2. limit=1500 asked, answers silently cut at 500: an answer of 500 counts as full
        #      (the documented most of the guide), so its window is split and nothing is lost.
        for hours in (1, 2):
            server.requests.clear()
            run = syncs.run(config(hours), CONTENT_SESSIONS)
            assert run.returncode == 0, run.logs[-3000:]
            windows = asked(server, "/sessions/content")
            assert windows[0][0] == iso_ms(start + timedelta(hours=hours - 1))
            assert len(windows) > 2  # the hour was split
            assert {r.arg("limit") for r in server.requests.matching("/sessions/content")} == {
                "1500"
            }
        # 3. No cap: windows of up to 1500 sessions (413 above 1000 splits them too).
        server.requests.clear()
        server.state.answer_cap = None
        third = syncs.run(config(3), CONTENT_SESSIONS)
        assert third.returncode == 0, third.logs[-3000:]

        truth = server.state.session_ids(
            "content", epoch_ms(start), epoch_ms(start + timedelta(hours=3))
        )
        assert len(truth) > 3 * 500
        keys_once(pg_target, "content_sessions", truth)


@pytest.mark.postgres
def test_a_viewer_with_more_than_500_sessions_is_asked_again_in_shorter_ranges(
    pg_target: PgTarget, tmp_path: Path
) -> None:
    # The emulator's clock is the real one here: the shorter ranges are computed from this
    # machine's clock, as against the real API.
    now = datetime.now(UTC).replace(microsecond=0)
    with conviva_emulator(
        size=100, now=now.isoformat(), busy_viewers={"viewer-busy": 100}
    ) as server:
        config = base_config(server, viewer_ids=["viewer-busy", "viewer-00042"], viewer_days=7)
        syncs = Syncs(pg_target, tmp_path)
        truth: set[str] = set()

        for busy in (True, True, False):
            server.requests.clear()
            if not busy:
                server.state.busy_viewers.clear()
            run = syncs.run(config, ["viewer_sessions"])
            assert run.returncode == 0, run.logs[-3000:]
            requests = [
                r for r in server.requests.matching("/content/viewer") if r.arg("viewer_id")
            ]
            first = requests[0]
            assert (first.arg("viewer_id"), first.arg("days"), first.arg("limit")) == (
                "viewer-busy",
                "7",
                "500",
            )
            ranges = [
                (r.arg("start_date") or "", r.arg("end_date") or "")
                for r in requests
                if r.arg("viewer_id") == "viewer-busy" and r.arg("start_date")
            ]
            ids = [s["conviva_session_id"] for s in run.records["viewer_sessions"]]
            assert len(ids) == len(set(ids))
            if not busy:
                assert not ranges  # under 500 sessions: the one answer
                continue
            assert run.log_lines("the most one answer holds: asking again for")
            leaves = sorted(set(ranges))
            covered_from = min(datetime.fromisoformat(s) for s, _ in leaves)
            covered_to = max(datetime.fromisoformat(e) for _, e in leaves)
            assert covered_from <= now - timedelta(days=7) + timedelta(minutes=5)
            assert covered_to >= now
            span = server.state.viewer_sessions(
                "viewer-busy", epoch_ms(covered_from), epoch_ms(covered_to)
            )
            assert len(span) > 500
            got = {s["conviva_session_id"] for s in run.records["viewer_sessions"]}
            assert {s["conviva_session_id"] for s in span} <= got
            truth |= got

        counts = pg_target.key_counts("viewer_sessions", "conviva_session_id")
        assert set(counts.values()) == {1}
        assert truth <= {k for (k,) in counts}


@pytest.mark.postgres
def test_sessions_by_start_time_are_caught_by_the_look_back(
    pg_target: PgTarget, tmp_path: Path
) -> None:
    with conviva_emulator(size=20_000, range_by="start") as server:
        now = emulator_now(server)
        start = minute_floor(now) - timedelta(hours=2, minutes=10)
        syncs = Syncs(pg_target, tmp_path)

        def sync(end: datetime, emulator_now: datetime) -> None:
            server.requests.clear()
            server.state.now_ms = epoch_ms(emulator_now)
            config = base_config(
                server, start_date=start.isoformat(), end_date=end.isoformat(), lookback_minutes=90
            )
            run = syncs.run(config, CONTENT_SESSIONS)
            assert run.returncode == 0, run.logs[-3000:]
            assert not run.duplicates("content_sessions", "conviva_session_id")

        # 1. The API returns the sessions that started in a range, ended ones only: sessions
        #    still running at its now are not returned. The tap notices no session starts before
        #    its window, and says so.
        sync(now - timedelta(minutes=2), now)
        (warning,) = syncs.runs[-1].log_lines("seems to return the sessions that started")
        assert "lookback_minutes (now 90)" in warning
        bookmark = syncs.runs[-1].bookmark("content_sessions")
        # 2-3. Later syncs (the API's clock moved on, every session has ended): each asks again
        #      from 90 minutes before the bookmark, so the sessions that were still running are
        #      read; those read before are updates on their key.
        for minutes in (20, 50):
            sync(now + timedelta(minutes=minutes), now + timedelta(minutes=minutes + 70))
            looked = datetime.fromisoformat(bookmark) - timedelta(minutes=90)
            assert asked(server, "/sessions/content")[0][0] == iso_ms(looked)
            bookmark = syncs.runs[-1].bookmark("content_sessions")

        truth = server.state.session_ids(
            "content", epoch_ms(start), epoch_ms(now + timedelta(minutes=50))
        )
        late = {  # started in the first sync's range, still running at its end
            s.start_ms
            for minute in range(epoch_ms(start) // 60_000, epoch_ms(now) // 60_000)
            for s in server.state.traffic["content"].minute(minute)
            if s.start_ms < epoch_ms(now - timedelta(minutes=2)) and s.end_ms > epoch_ms(now)
        }
        assert late  # the case at hand exists
        keys_once(pg_target, "content_sessions", truth)


def test_sessions_overlapping_their_window_give_no_warning(conviva, tmp_path: Path) -> None:
    run = run_cli(TAP_EXE, base_config(conviva), tmp_path, streams=CONTENT_SESSIONS)

    assert run.returncode == 0, run.logs[-3000:]
    assert len(run.records["content_sessions"]) > 200  # enough to tell (streams.RANGE_EVIDENCE)
    assert "seems to return the sessions that started" not in run.logs


@pytest.mark.postgres
def test_viewer_summaries_are_upserted_on_the_viewer_and_the_day(
    conviva, pg_target: PgTarget, tmp_path: Path
) -> None:
    config = base_config(conviva, viewer_ids=["viewer-00042"], viewer_ips=["203.0.113.7"])
    syncs = Syncs(pg_target, tmp_path)

    for _ in range(2):
        run = syncs.run(config, ["viewer_summary"])
        assert run.returncode == 0, run.logs[-3000:]

    day = datetime.fromtimestamp(conviva.state.now_ms / 1000, UTC).date()
    assert [(r["viewer"], r["summary_date"]) for r in syncs.runs[-1].records["viewer_summary"]] == [
        ("viewer-00042", day.isoformat()),
        ("203.0.113.7", day.isoformat()),
    ]
    schema = syncs.runs[-1].messages[0]
    assert schema["type"] == "SCHEMA"
    assert schema["key_properties"] == ["viewer", "summary_date"]
    counts = pg_target.key_counts("viewer_summary", "viewer", "summary_date")
    assert counts == {("viewer-00042", day): 1, ("203.0.113.7", day): 1}


def test_an_error_body_without_a_message_is_shown_by_its_start(conviva) -> None:
    conviva.faults.add(
        Fault(
            "status",
            path=r"/sessions/content$",
            status=502,
            body="<html><body>Bad gateway</body></html>",
            content_type="text/html",
            headers={"Retry-After": "0"},
        )
    )

    run = run_tap(TapConvivaSessions, base_config(conviva), streams=CONTENT_SESSIONS)

    (retry,) = run.log_lines("content_sessions: try 1 failed")
    assert "HTTP 502" in retry
    assert "Bad gateway" in retry
    assert run.records["content_sessions"]
