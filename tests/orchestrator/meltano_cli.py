"""The workspace's meltano, run in the project as a user runs it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from testkit import ROOT


def meltano(*args: str, env: dict[str, str]) -> str:
    exe = Path(sys.executable).with_name("meltano")
    done = subprocess.run(
        [str(exe), *args],
        cwd=ROOT,
        env={**os.environ, "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false", **env},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, f"meltano {' '.join(args)}:\n{done.stderr[-3000:]}"
    return done.stdout
