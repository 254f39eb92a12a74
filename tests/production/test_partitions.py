"""Two partitions of one source (Brightcove's two accounts, meltano.yml's
``tap-brightcove-audience--accounts-1`` and ``--accounts-2``) run at the same time into the same
PostgreSQL tables, with Meltano's system database on PostgreSQL: they load the rows one job
loads, none twice, and each keeps a state of its own."""

from __future__ import annotations

from pathlib import Path

import pytest
from production.workers import Worker, drop_schema, finish, meltano_database
from testkit import PgTarget, pg_url

from emulators import EmulatorServer

PARTITIONS = {
    "tap-brightcove-audience--accounts-1": "1486906377",
    "tap-brightcove-audience--accounts-2": "57838016001",
}
STREAMS = {"view_events": "view_event_key", "leads": "lead_key"}


def rows(target: PgTarget) -> dict[str, list[tuple[str, str]]]:
    """Every stream's (key, account) rows, sorted."""
    return {
        stream: sorted(
            target.query(f'SELECT {key}, account_id FROM "{target.schema}".{stream}')  # noqa: S608
        )
        for stream, key in STREAMS.items()
    }


@pytest.mark.e2e
@pytest.mark.postgres
def test_two_partitions_at_once_load_what_one_job_loads(
    brightcove: EmulatorServer, pg_target: PgTarget, tmp_path: Path
) -> None:
    one_job = PgTarget(pg_target.url, f"{pg_target.schema}_one")
    with meltano_database(pg_url()) as database_uri:
        env = {"MELTANO_DATABASE_URI": database_uri, "BRIGHTCOVE_EMULATOR_URL": brightcove.url}
        worker = Worker.fresh(tmp_path / "worker", {**env, **pg_target.meltano_env()})
        # Once per new system database, before jobs start together (they would race to
        # migrate it); and the tables, which target-postgres checks for, then creates.
        worker.meltano("upgrade", "database")
        worker.script("create_tables.py", "tap-brightcove-audience")
        runs = [worker.start("run", f"{plugin}-to-postgres") for plugin in PARTITIONS]
        for run in runs:
            finish(run)

        states = worker.meltano("state", "list").stdout.split()
        for plugin, account in PARTITIONS.items():
            state_id = f"emulators:{plugin}-to-target-postgres"
            assert state_id in states
            bookmarks = worker.state(state_id)["singer_state"]["bookmarks"]
            accounts = {p["context"]["account_id"] for p in bookmarks["view_events"]["partitions"]}
            assert accounts == {account}

        base = Worker.fresh(tmp_path / "one-job", {**env, **one_job.meltano_env()})
        try:
            base.meltano("run", "tap-brightcove-audience-to-postgres")
            partitioned, whole = rows(pg_target), rows(one_job)
        finally:
            drop_schema(one_job)
    for stream in STREAMS:
        assert partitioned[stream] == whole[stream], stream
        assert len({k for k, _ in partitioned[stream]}) == len(partitioned[stream]), stream
        assert {a for _, a in partitioned[stream]} == set(PARTITIONS.values())
