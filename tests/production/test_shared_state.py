"""A job's state is kept where every worker finds it: a job run in a fresh copy of the project
(no .meltano/ of its own, as in a new container) continues from the state another copy left,
with Meltano's system database on PostgreSQL, or with the S3 state backend (moto's S3 server)."""

from __future__ import annotations

from pathlib import Path

import pytest
from production.workers import Worker, meltano_database, s3_server
from testkit import PgTarget, pg_url, read_jsonl

from emulators import EmulatorServer

TAP = "tap-brightcove-audience"


def view_event_requests(emulator: EmulatorServer) -> int:
    return sum(1 for r in emulator.requests if r.path.endswith("/view_events"))


def resumes(first: Worker, second: Worker, emulator: EmulatorServer, state_id: str, *run: str):
    """Run in ``first``, then in ``second``: the second reads the first's state and asks for
    less (the bookmark less the look-back, not the whole history). The two runs' requests."""
    before = view_event_requests(emulator)
    first.meltano("run", *run)
    asked_first = view_event_requests(emulator) - before
    left = first.state(state_id)
    assert left["singer_state"]["bookmarks"]["view_events"]["partitions"], left
    assert second.state(state_id) == left  # the fresh copy sees it before running
    emulator.state.process(count=3)  # something new to read
    before = view_event_requests(emulator)
    second.meltano("run", *run)
    asked_second = view_event_requests(emulator) - before
    assert 0 < asked_second < asked_first
    assert second.state(state_id) != left  # and moved it on
    return asked_first, asked_second


@pytest.mark.e2e
@pytest.mark.postgres
def test_a_fresh_copy_resumes_from_the_system_database_on_postgresql(
    brightcove: EmulatorServer, pg_target: PgTarget, tmp_path: Path
) -> None:
    with meltano_database(pg_url()) as database_uri:
        env = {
            "MELTANO_DATABASE_URI": database_uri,
            "BRIGHTCOVE_EMULATOR_URL": brightcove.url,
            **pg_target.meltano_env(),
        }
        first, second = (Worker.fresh(tmp_path / name, env) for name in ("first", "second"))
        first.meltano("upgrade", "database")
        resumes(
            first,
            second,
            brightcove,
            f"emulators:{TAP}-to-target-postgres",
            f"{TAP}-to-postgres",
        )
        assert not (second.root / ".meltano" / "meltano.db").exists()  # not SQLite's


@pytest.mark.e2e
def test_a_fresh_copy_resumes_from_the_s3_state_backend(
    brightcove: EmulatorServer, tmp_path: Path
) -> None:
    import boto3

    with s3_server() as endpoint:
        keys = {"aws_access_key_id": "test-key", "aws_secret_access_key": "test-secret"}
        boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", **keys).create_bucket(
            Bucket="meltano-state"
        )
        env = {
            "MELTANO_STATE_BACKEND_URI": "s3://meltano-state/video-analytics",
            "MELTANO_STATE_BACKEND_S3_ENDPOINT_URL": endpoint,
            "MELTANO_STATE_BACKEND_S3_AWS_ACCESS_KEY_ID": keys["aws_access_key_id"],
            "MELTANO_STATE_BACKEND_S3_AWS_SECRET_ACCESS_KEY": keys["aws_secret_access_key"],
            "BRIGHTCOVE_EMULATOR_URL": brightcove.url,
        }
        workers = []
        for name in ("first", "second"):
            # Each copy its own SQLite system database and output: only S3 is shared.
            output = tmp_path / name / "output"
            output.mkdir(parents=True)
            workers.append(
                Worker.fresh(
                    tmp_path / name / "project",
                    {**env, "TARGET_JSONL_DESTINATION_PATH": str(output)},
                )
            )
        resumes(
            *workers,
            brightcove,
            f"emulators:{TAP}-to-target-jsonl",
            TAP,
            "target-jsonl",
        )
        stored = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", **keys)
        listed = stored.list_objects_v2(Bucket="meltano-state")["Contents"]
        assert any(f"{TAP}-to-target-jsonl" in o["Key"] for o in listed), listed
    first, second = (
        len(read_jsonl(tmp_path / name / "output" / "view_events.jsonl"))
        for name in ("first", "second")
    )
    assert 0 < second < first
