"""The workspace's meltano, run in the project as a user runs it."""

from __future__ import annotations

import os
import subprocess

from testkit import ROOT, console_script


def meltano(*args: str, env: dict[str, str]) -> str:
    done = subprocess.run(
        [console_script("meltano"), *args],
        cwd=ROOT,
        env={**os.environ, "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false", **env},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, f"meltano {' '.join(args)}:\n{done.stderr[-3000:]}"
    return done.stdout
