"""``meltano run tap-vbrick-webcast`` into target-jsonl and target-postgres, against the Rev
emulator: every record once, and a second run from state that asks only for what is new."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from testkit import PgTarget, read_jsonl, start_emulator
from vbrick_webcast.helpers import KEYS, duplicates, expected_counts, listed_webcasts

from emulators.datagen import iso_ms

REPORT_PARTS = ("/post-event-report", "/comments", "/poll-results", "/questions")


@pytest.mark.e2e
def test_meltano_run_into_jsonl_emits_every_record_once(meltano_run, tmp_path: Path) -> None:
    server = start_emulator("vbrick")  # the demo's data set
    try:
        meltano_run("tap-vbrick-webcast", "target-jsonl", env={"VBRICK_EMULATOR_URL": server.url})
        output = tmp_path / "output"
        expected = expected_counts(server)
        for stream, count in expected.items():
            records = read_jsonl(output / f"{stream}.jsonl")
            assert len(records) == count, stream
            assert duplicates(records, KEYS[stream]) == [], stream
    finally:
        server.stop()


# The SQL below is built from this test's own schema and stream names, never from input.


def _count(pg: PgTarget, table: str) -> int:
    return pg.query(f'SELECT count(*) FROM "{pg.schema}"."{table}"')[0][0]  # noqa: S608


def _duplicate_keys(pg: PgTarget, table: str, key: tuple[str, ...]) -> int:
    columns = ", ".join(f'"{k}"' for k in key)
    sql = (
        f'SELECT count(*) FROM (SELECT {columns} FROM "{pg.schema}"."{table}" '  # noqa: S608
        f"GROUP BY {columns} HAVING count(*) > 1) AS dups"
    )
    return pg.query(sql)[0][0]


@pytest.mark.e2e
@pytest.mark.postgres
def test_forty_webcasts_into_postgres_then_only_what_is_new(
    meltano_run, pg_target: PgTarget
) -> None:
    # 41 webcasts: 39 over (3 of them with more than 1,000 attendee sessions), 1 running and
    # 1 still to come: the search finds 40.
    server = start_emulator("vbrick", size=41, in_progress=1, upcoming=1, large_webcasts=3)
    env = {"VBRICK_EMULATOR_URL": server.url, **pg_target.meltano_env()}
    try:
        listed = listed_webcasts(server)
        assert len(listed) == 40
        running = listed[-1]
        expected = expected_counts(server)

        meltano_run("tap-vbrick-webcast", "target-postgres", env=env)
        for stream, count in expected.items():
            assert _count(pg_target, stream) == count, stream
            assert _duplicate_keys(pg_target, stream, KEYS[stream]) == 0, stream
        large = pg_target.query(
            f'SELECT "eventId" FROM "{pg_target.schema}".webcast_attendee_sessions '  # noqa: S608
            'GROUP BY "eventId" HAVING count(*) > 1000'
        )
        assert len(large) == 3

        server.reset()
        meltano_run("tap-vbrick-webcast", "target-postgres", env=env)
        searches = [json.loads(r.body) for r in server.requests.matching("/search/")]
        assert [s["startDate"] for s in searches] == [iso_ms(running.start)]
        reported = {
            r.path.split("/")[4]
            for r in server.requests
            if any(part in r.path for part in REPORT_PARTS)
        }
        assert reported == {running.id}  # only the webcast still open was asked for again
        for stream, count in expected.items():
            assert _count(pg_target, stream) == count, stream
            assert _duplicate_keys(pg_target, stream, KEYS[stream]) == 0, stream
    finally:
        server.stop()
