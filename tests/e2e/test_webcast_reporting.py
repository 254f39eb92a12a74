"""``meltano run tap-webcast-reporting target-jsonl | target-postgres`` against the emulator's
default data set, as the demo runs it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from testkit import PgTarget, assert_no_secret, read_jsonl, start_emulator

from emulators import EmulatorServer
from emulators.webcasts import DEFAULT_PASSWORD
from emulators.webcasts.dataset import SAMPLE_JSON_EVENT

# Keys of the report streams (the tap's primary keys).
KEYS = {
    "registrants": ("event_id", "email"),
    "viewing_sessions": ("event_id", "email", "session_number"),
    "questions": ("event_id", "email", "question_number"),
    "survey_responses": ("event_id", "email", "response_number"),
    "event_reports": ("event_id",),
    "events": ("event_id",),
}


@pytest.fixture
def emulator() -> Iterator[EmulatorServer]:
    server = start_emulator("webcasts")
    yield server
    server.stop()


def expected(server: EmulatorServer) -> dict[str, int]:
    """What the default data set holds: every event of the list but the JSON-only sample
    (meltano.yml's emulators environment asks for XML and includes expired events)."""
    data = server.state.data
    reported = [data.event(e) for e in data.event_ids() if e != SAMPLE_JSON_EVENT]
    viewers = [v for event in reported for v in data.viewers(event)]
    return {
        "events": len(data.event_ids()),
        "event_reports": len(reported),
        "registrants": len(viewers),
        "viewing_sessions": sum(len(v.sessions) for v in viewers),
        "questions": sum(len(v.qa) for v in viewers),
        "survey_responses": sum(len(v.survey_responses) for v in viewers),
    }


@pytest.mark.e2e
def test_meltano_run_into_jsonl(emulator: EmulatorServer, meltano_run, tmp_path: Path) -> None:
    proc = meltano_run(
        "--full-refresh",
        "tap-webcast-reporting",
        "target-jsonl",
        env={"WEBCASTS_EMULATOR_URL": emulator.url},
    )
    counts = expected(emulator)
    for stream, key in KEYS.items():
        records = read_jsonl(tmp_path / "output" / f"{stream}.jsonl")
        assert len(records) == counts[stream], stream
        assert len({tuple(r[k] for k in key) for r in records}) == len(records), stream
    assert "Skipping event 20786" in proc.stderr  # the JSON-only sample, answered returnCode 10
    assert_no_secret(proc.stdout + proc.stderr, DEFAULT_PASSWORD)


@pytest.mark.e2e
@pytest.mark.postgres
def test_meltano_run_into_postgres_upserts(
    emulator: EmulatorServer, meltano_run, pg_target: PgTarget
) -> None:
    env = {"WEBCASTS_EMULATOR_URL": emulator.url, **pg_target.meltano_env()}
    meltano_run("tap-webcast-reporting", "target-postgres", env=env)
    # A full re-run sends every record again: the keys make the loader update, not add.
    proc = meltano_run("--full-refresh", "tap-webcast-reporting", "target-postgres", env=env)
    counts = expected(emulator)
    schema = pg_target.schema
    for stream, key in KEYS.items():
        columns = ", ".join(key)
        [(rows, keys)] = pg_target.query(
            f'SELECT count(*), count(DISTINCT ({columns})) FROM "{schema}".{stream}'  # noqa: S608
        )
        assert rows == keys == counts[stream], stream
    assert_no_secret(proc.stdout + proc.stderr, DEFAULT_PASSWORD)
