"""Airflow runs the Meltano jobs end to end: its scheduler hands the committed DAGs' tasks to its
LocalExecutor, whose workers run ``meltano run <job>`` against the four emulators into
PostgreSQL, with one Meltano system database for all of them (the state every worker shares).

The four scheduled jobs run, and webcasts.com's two partition jobs beside them: the three
webcasts.com jobs go through the pool of one slot, so none overlaps another."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from itertools import pairwise
from pathlib import Path

import pytest
from e2e.test_brightcove_audience import ACCOUNTS
from e2e.test_conviva_sessions import end_of
from e2e.test_webcast_reporting import KEYS as WEBCASTS_KEYS
from e2e.test_webcast_reporting import expected as webcasts_expected
from orchestrator.airflow_stack import AirflowStack
from orchestrator.meltano_cli import meltano
from testkit import ROOT, PgTarget, start_emulator
from vbrick_webcast.helpers import KEYS as VBRICK_KEYS
from vbrick_webcast.helpers import expected_counts as vbrick_expected

from emulators import EmulatorServer

SCHEDULED = {  # DAG (the Meltano schedule) -> its job
    f"{tap}-daily": f"{tap}-to-postgres"
    for tap in (
        "tap-brightcove-audience",
        "tap-conviva-sessions",
        "tap-vbrick-webcast",
        "tap-webcast-reporting",
    )
}
WEBCASTS_PARTITIONS = {  # unscheduled jobs: their DAG is named after the job
    job: job
    for job in (
        "tap-webcast-reporting--events-1-to-postgres",
        "tap-webcast-reporting--events-2-to-postgres",
    )
}
WEBCASTS_POOL = "webcasts-com"
RUN_ID = "orchestrator-test"
CONVIVA_DAYS = timedelta(days=3)


@pytest.fixture
def emulators() -> Iterator[dict[str, EmulatorServer]]:
    servers = {
        "brightcove": start_emulator("brightcove", size=200),
        "conviva": start_emulator("conviva"),
        "vbrick": start_emulator("vbrick"),
        "webcasts": start_emulator("webcasts"),
    }
    yield servers
    for server in servers.values():
        server.stop()


@pytest.fixture
def airflow(
    airflow_installed: None,
    emulators: dict[str, EmulatorServer],
    pg_target: PgTarget,
    meltano_system_db: str,
    tmp_path: Path,
) -> Iterator[AirflowStack]:
    """Airflow with the environment a deployment gives its workers: the Meltano environment,
    the shared system database, the loader's schema, the APIs' URLs, meltano on PATH."""
    import os

    env = {
        **os.environ,
        "PATH": f"{ROOT / '.venv' / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
        "MELTANO_PROJECT_ROOT": str(ROOT),
        "MELTANO_ENVIRONMENT": "emulators",
        "MELTANO_DATABASE_URI": meltano_system_db,
        "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
        **pg_target.meltano_env(),
        **{f"{vendor.upper()}_EMULATOR_URL": s.url for vendor, s in emulators.items()},
        **conviva_range(emulators["conviva"]),
    }
    stack = AirflowStack(tmp_path / "airflow", env)
    stack.home.mkdir()
    try:
        yield stack.start()
    finally:
        stack.stop()


def conviva_range(server: EmulatorServer) -> dict[str, str]:
    """Fixed ends, so that the sessions are known; three days rather than the 31 Conviva keeps,
    for a run of seconds rather than a minute at the tap's pace."""
    end = end_of(server)
    return {
        "TAP_CONVIVA_SESSIONS_START_DATE": (end - CONVIVA_DAYS).isoformat(),
        "TAP_CONVIVA_SESSIONS_END_DATE": end.isoformat(),
    }


def conviva_sessions(server: EmulatorServer, kind: str) -> int:
    end = end_of(server)
    start = end - CONVIVA_DAYS
    return len(server.state.session_ids(kind, _ms(start), _ms(end)))


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def rows_and_keys(pg: PgTarget, table: str, key: tuple[str, ...]) -> tuple[int, int]:
    columns = ", ".join(f'"{k}"' for k in key)
    [(rows, keys)] = pg.query(
        f'SELECT count(*), count(DISTINCT ({columns})) FROM "{pg.schema}"."{table}"'  # noqa: S608
    )
    return int(rows), int(keys)


def expected_tables(servers: dict[str, EmulatorServer]) -> dict[str, tuple[tuple[str, ...], int]]:
    """Each table the four jobs load: its key and how many rows (one per key) it must hold."""
    brightcove = servers["brightcove"].state
    tables = {
        stream: (key, sum(getattr(brightcove, stream)[a].timeline.size for a in ACCOUNTS))
        for stream, key in (("view_events", ("view_event_key",)), ("leads", ("lead_key",)))
    }
    for stream, kind in (("content_sessions", "content"), ("ad_sessions", "ad")):
        tables[stream] = (("conviva_session_id",), conviva_sessions(servers["conviva"], kind))
    for stream, count in vbrick_expected(servers["vbrick"]).items():
        tables[stream] = (VBRICK_KEYS[stream], count)
    counts = webcasts_expected(servers["webcasts"])
    for stream, key in WEBCASTS_KEYS.items():
        tables[stream] = (key, counts[stream])
    return tables


@pytest.mark.e2e
@pytest.mark.postgres
def test_airflow_runs_the_four_jobs_into_postgres_with_shared_state(
    airflow: AirflowStack, emulators: dict[str, EmulatorServer], pg_target: PgTarget
) -> None:
    assert airflow.api("GET", "/importErrors")["import_errors"] == []
    dags = {**SCHEDULED, **WEBCASTS_PARTITIONS}
    for dag_id in dags:
        airflow.trigger(dag_id, RUN_ID)
    for dag_id in dags:
        state = airflow.wait(dag_id, RUN_ID)
        assert state == "success", f"{dag_id}: {state}\n{airflow.task_log(dag_id, RUN_ID)}"

    for table, (key, count) in expected_tables(emulators).items():
        assert count > 0, table
        assert rows_and_keys(pg_target, table, key) == (count, count), table

    # The state of every job is in the one system database, where any worker finds it.
    listed = meltano(
        "state",
        "list",
        env={"MELTANO_DATABASE_URI": airflow.env["MELTANO_DATABASE_URI"]},
    ).split()
    for job in dags.values():
        extractor = job.removesuffix("-to-postgres")
        assert f"emulators:{extractor}-to-target-postgres" in listed, listed

    # webcasts.com's jobs went through the pool of one slot, one after another.
    assert airflow.api("GET", f"/pools/{WEBCASTS_POOL}")["slots"] == 1
    webcasts = [
        ti
        for dag_id in ("tap-webcast-reporting-daily", *WEBCASTS_PARTITIONS)
        for ti in airflow.task_instances(dag_id, RUN_ID)
    ]
    assert {ti["pool"] for ti in webcasts} == {WEBCASTS_POOL}
    spans = sorted((ti["start_date"], ti["end_date"]) for ti in webcasts)
    for (_, end), (start, _) in pairwise(spans):
        assert end <= start, json.dumps(spans)
