"""``meltano run tap-brightcove-audience target-jsonl | target-postgres`` against the emulator's
default data set, as the demo runs it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from testkit import PgTarget, assert_no_secret, read_jsonl, start_emulator

from emulators import EmulatorServer

ACCOUNTS = ("1486906377", "57838016001")  # meltano.yml's emulators environment
SECRET = "emulator-secret"


@pytest.fixture
def emulator() -> Iterator[EmulatorServer]:
    server = start_emulator("brightcove")
    yield server
    server.stop()


def expected(server: EmulatorServer, kind: str) -> int:
    return sum(getattr(server.state, kind)[a].timeline.size for a in ACCOUNTS)


@pytest.mark.e2e
def test_meltano_run_into_jsonl(emulator: EmulatorServer, meltano_run, tmp_path: Path) -> None:
    proc = meltano_run(
        "tap-brightcove-audience", "target-jsonl", env={"BRIGHTCOVE_EMULATOR_URL": emulator.url}
    )
    for stream, key in (("view_events", "view_event_key"), ("leads", "lead_key")):
        records = read_jsonl(tmp_path / "output" / f"{stream}.jsonl")
        assert len(records) == expected(emulator, stream)
        assert len({r[key] for r in records}) == len(records)
        assert {r["account_id"] for r in records} == set(ACCOUNTS)
    assert_no_secret(proc.stdout + proc.stderr, SECRET, *emulator.state.issued_tokens)


@pytest.mark.e2e
@pytest.mark.postgres
def test_meltano_run_into_postgres_upserts(
    emulator: EmulatorServer, meltano_run, pg_target: PgTarget
) -> None:
    env = {"BRIGHTCOVE_EMULATOR_URL": emulator.url, **pg_target.meltano_env()}
    meltano_run("tap-brightcove-audience", "target-postgres", env=env)
    changed = emulator.state.process(ACCOUNTS[0], count=5)
    # A full re-run sends every record again: the keys make the loader update, not add.
    meltano_run("--full-refresh", "tap-brightcove-audience", "target-postgres", env=env)

    schema = pg_target.schema
    for stream, key in (("view_events", "view_event_key"), ("leads", "lead_key")):
        [(rows, keys)] = pg_target.query(
            f'SELECT count(*), count(DISTINCT {key}) FROM "{schema}".{stream}'  # noqa: S608
        )
        assert rows == keys == expected(emulator, stream)
    [(latest,)] = pg_target.query(
        f'SELECT count(*) FROM "{schema}".view_events WHERE updated_at > %s',  # noqa: S608
        "2026-06-01",
    )
    assert latest == len(set(changed))
