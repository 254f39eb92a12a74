"""Running tap-webcast-reporting as a user does (its console script, a config file, a state
file), and reading what it wrote. Every run's output is checked for the password."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from emulators.webcasts import DEFAULT_PASSWORD, DEFAULT_USERNAME

TAP = str(Path(sys.executable).parent / "tap-webcast-reporting")
SECRETS_SEEN: list[str] = []  # every run's stdout + stderr, for the session-wide password check


@dataclass
class TapRun:
    returncode: int
    stdout: str
    stderr: str
    records: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    state: dict[str, Any] | None = None

    def log_lines(self, text: str) -> list[str]:
        return [line for line in self.stderr.splitlines() if text in line]

    def keys(self, stream: str, *names: str) -> list[tuple[Any, ...]]:
        return [tuple(r[n] for n in names) for r in self.records.get(stream, [])]


def config(url: str, **overrides: Any) -> dict[str, Any]:
    base = {
        "username": DEFAULT_USERNAME,
        "password": DEFAULT_PASSWORD,
        "api_url": f"{url}/api",
        "reporting_url": f"{url}/api/reporting",
        "timezone": "America/New_York",
        "retry_initial_wait_seconds": 0.01,
    }
    base.update(overrides)
    return base


def run_tap(
    tmp_path: Path,
    cfg: dict[str, Any],
    state: dict[str, Any] | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 120,
) -> TapRun:
    """The tap's CLI with this config (and state), its messages parsed."""
    config_path = tmp_path / f"config-{len(list(tmp_path.glob('config-*')))}.json"
    config_path.write_text(json.dumps(cfg))
    args = [TAP, "--config", str(config_path)]
    if state is not None:
        state_path = tmp_path / "state.json"
        state_path.write_text(json.dumps(state))
        args += ["--state", str(state_path)]
    proc = subprocess.run(
        args,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
        check=False,
    )
    SECRETS_SEEN.append(proc.stdout + proc.stderr)
    records: dict[str, list[dict[str, Any]]] = defaultdict(list)
    last_state = None
    for line in proc.stdout.splitlines():
        message = json.loads(line)
        if message["type"] == "RECORD":
            records[message["stream"]].append(message["record"])
        elif message["type"] == "STATE":
            last_state = message["value"]
    return TapRun(proc.returncode, proc.stdout, proc.stderr, dict(records), last_state)
