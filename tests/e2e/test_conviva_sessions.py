"""``meltano run tap-conviva-sessions target-jsonl | target-postgres`` against the emulator's
default account, with the settings of meltano.yml's ``emulators`` environment."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from testkit import PgTarget, assert_no_secret, read_jsonl, start_emulator

from emulators import EmulatorServer

SECRET = "emulator-secret"
VIEWERS = ("viewer-00042", "viewer-01234")  # meltano.yml's emulators environment
VIEWER_IP = "203.0.113.7"
VIEWER_DAYS = 7


@pytest.fixture
def emulator() -> Iterator[EmulatorServer]:
    server = start_emulator("conviva")
    yield server
    server.stop()


def end_of(server: EmulatorServer) -> datetime:
    now = datetime.fromtimestamp(server.state.now_ms / 1000, UTC)
    return now.replace(second=0, microsecond=0) - timedelta(minutes=10)


def env_for(server: EmulatorServer) -> dict[str, str]:
    # A fixed end, so that what the emulator holds before it is exactly what must arrive.
    return {
        "CONVIVA_EMULATOR_URL": server.url,
        "TAP_CONVIVA_SESSIONS_END_DATE": end_of(server).isoformat(),
    }


def expected_ids(server: EmulatorServer, kind: str) -> set[str]:
    end = int(end_of(server).timestamp() * 1000)
    return server.state.session_ids(kind, end - 31 * 86_400_000, end)


def expected_viewer_ids(server: EmulatorServer) -> set[str]:
    end = server.state.now_ms
    start = end - VIEWER_DAYS * 86_400_000
    owners = [*VIEWERS, server.state.ip_owner(VIEWER_IP)]
    return {
        s["conviva_session_id"] for v in owners for s in server.state.viewer_sessions(v, start, end)
    }


@pytest.mark.e2e
def test_meltano_run_into_jsonl(emulator: EmulatorServer, meltano_run, tmp_path: Path) -> None:
    proc = meltano_run("tap-conviva-sessions", "target-jsonl", env=env_for(emulator))

    output = tmp_path / "output"
    for stream, kind in (("content_sessions", "content"), ("ad_sessions", "ad")):
        records = read_jsonl(output / f"{stream}.jsonl")
        ids = [r["conviva_session_id"] for r in records]
        assert len(ids) == len(set(ids))
        assert set(ids) == expected_ids(emulator, kind)
    viewer = read_jsonl(output / "viewer_sessions.jsonl")
    assert {r["conviva_session_id"] for r in viewer} == expected_viewer_ids(emulator)
    assert len(read_jsonl(output / "viewer_summary.jsonl")) == 3
    assert len(read_jsonl(output / "dimensions.jsonl")) > 10
    basic = base64.b64encode(f"emulator-client:{SECRET}".encode()).decode()
    assert_no_secret(proc.stdout + proc.stderr, SECRET, basic)


@pytest.mark.e2e
@pytest.mark.postgres
def test_meltano_run_into_postgres_twice_keeps_one_row_per_session(
    emulator: EmulatorServer, meltano_run, pg_target: PgTarget
) -> None:
    env = {**env_for(emulator), **pg_target.meltano_env()}
    meltano_run("tap-conviva-sessions", "target-postgres", env=env)
    emulator.requests.clear()
    # A second, full run sends the content sessions again: the key makes the loader update them,
    # not add them. (Only that stream, to keep the test short.)
    again = {**env, "TAP_CONVIVA_SESSIONS__SELECT": '["content_sessions.*"]'}
    meltano_run("--full-refresh", "tap-conviva-sessions", "target-postgres", env=again)
    assert emulator.requests.matching("/sessions/content"), "the second run sent nothing again"
    assert not emulator.requests.matching("/sessions/ad"), "the second run ignored its selection"

    schema = pg_target.schema
    for stream, kind in (("content_sessions", "content"), ("ad_sessions", "ad")):
        [(rows, keys)] = pg_target.query(
            f'SELECT count(*), count(DISTINCT conviva_session_id) FROM "{schema}".{stream}'  # noqa: S608
        )
        assert rows == keys == len(expected_ids(emulator, kind))
    [(rows, keys)] = pg_target.query(
        f'SELECT count(*), count(DISTINCT conviva_session_id) FROM "{schema}".viewer_sessions'  # noqa: S608
    )
    assert rows == keys == len(expected_viewer_ids(emulator))
