"""The committed Airflow files are what scripts/orchestrator_definitions.py makes from meltano.yml
today, and every webcasts.com job is in the pool of one slot."""

from __future__ import annotations

import json
import subprocess
import sys

import yaml
from testkit import ROOT

WEBCASTS = "tap-webcast-reporting"


def test_committed_dags_and_pools_are_up_to_date() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "scripts.orchestrator_definitions", "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, f"run `make orchestrator`:\n{done.stdout[-3000:]}{done.stderr}"


def test_every_webcasts_job_is_in_a_pool_of_one_slot() -> None:
    """A new webcasts.com partition whose job lacks the pool annotation would run beside the
    others and break the API's one report in flight per account."""
    project = yaml.safe_load((ROOT / "meltano.yml").read_text())
    webcasts = {
        p["name"]
        for p in project["plugins"]["extractors"]
        if p["name"] == WEBCASTS or p.get("inherit_from") == WEBCASTS
    }
    pools = json.loads((ROOT / "orchestrator" / "pools.json").read_text())
    jobs = [
        job for job in project["jobs"] if any(task.split()[0] in webcasts for task in job["tasks"])
    ]
    assert len(jobs) >= len(webcasts)  # each webcasts.com plugin has its job
    for job in jobs:
        pool = job.get("annotations", {}).get("orchestrator", {}).get("pool")
        assert pool in pools, job["name"]
        assert pools[pool]["slots"] == 1, job["name"]
