"""Run the Meltano project at the repository root as a user would: ``meltano run``."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from testkit import ROOT, console_script, read_jsonl  # noqa: F401  (re-exported for the e2e tests)

MeltanoRun = Callable[..., subprocess.CompletedProcess[str]]


def _meltano() -> str:
    return console_script("meltano")


@pytest.fixture
def meltano_run(tmp_path: Path) -> MeltanoRun:
    """``meltano --environment=emulators run ...`` with a system database of this test's own
    (so state never leaks between tests) and target-jsonl writing under ``tmp_path/output``."""

    def run(
        *args: str, env: dict[str, str] | None = None, check: bool = True, timeout: float = 600
    ) -> subprocess.CompletedProcess[str]:
        full_env = {
            **os.environ,
            "MELTANO_DATABASE_URI": f"sqlite:///{tmp_path / 'meltano.db'}",
            "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
            "MELTANO_ENVIRONMENT": "emulators",
            "TARGET_JSONL_DESTINATION_PATH": str(tmp_path / "output"),
            **(env or {}),
        }
        (tmp_path / "output").mkdir(exist_ok=True)
        proc = subprocess.run(
            [_meltano(), "run", *args],
            cwd=ROOT,
            env=full_env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if check and proc.returncode != 0:
            pytest.fail(
                f"meltano run {' '.join(args)} exited {proc.returncode}:\n{proc.stderr[-4000:]}"
            )
        return proc

    return run
