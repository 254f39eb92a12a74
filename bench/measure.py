"""One timed run of a tap, or of its floor, against an emulator process: the child's figures
beside the emulator's request and 429 counts for that run alone."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.case import BenchCase
from bench.child_process import ChildRun, run_child
from bench.emulator_process import AnswerCounts, EmulatorError, EmulatorProcess


@dataclass
class Measured:
    """A run's figures, or why it gave none (``failure``: its last stderr line)."""

    run: ChildRun | None = None
    counts: AnswerCounts | None = None
    failure: str | None = None

    @property
    def ok(self) -> bool:
        return self.run is not None and self.failure is None

    @property
    def requests_per_second(self) -> float | None:
        """The emulator's request count over the child's wall time."""
        if not self.ok or self.counts is None:
            return None
        assert self.run is not None
        return self.counts.requests / self.run.wall_seconds if self.run.wall_seconds else None


def tap_executable(tap: str) -> str:
    # Beside this interpreter (``.venv/bin/python -m bench``), else on PATH (``uv run``).
    beside = Path(sys.executable).with_name(tap)
    exe = str(beside) if beside.exists() else shutil.which(tap)
    if exe is None:
        raise SystemExit(f"{tap} is not installed: run `make sync` first")
    return exe


def select_streams(tap: str, config_path: Path, streams: list[str], dest: Path) -> Path:
    """A catalog from the tap's discovery with only ``streams`` selected."""
    out = subprocess.run(
        [tap, "--config", str(config_path), "--discover"], capture_output=True, check=True
    )
    catalog = json.loads(out.stdout)
    for entry in catalog["streams"]:
        chosen = entry["tap_stream_id"] in streams
        for md in entry.get("metadata", []):
            if md.get("breadcrumb") == []:
                md["metadata"]["selected"] = chosen
    dest.write_text(json.dumps(catalog))
    return dest


def _measured(argv: list[str], emulator: EmulatorProcess) -> Measured:
    emulator.reset_counts()
    run = run_child(argv)
    try:
        counts = emulator.counts()
    except EmulatorError as exc:  # the run's own figures still stand
        return Measured(run, failure=str(exc))
    if run.exit_code != 0:
        reason = run.last_stderr_line or "no stderr"
        return Measured(run, counts, f"exited {run.exit_code}: {reason}")
    return Measured(run, counts)


#: max_requests_per_second for a run that must not wait on the tap's own pace.
UNPACED = 1_000_000


def measure_tap(
    case: BenchCase,
    emulator: EmulatorProcess,
    *,
    max_concurrent_requests: int | None = None,
    unpaced: bool = False,
) -> Measured:
    """The tap's sync of ``case.streams``; its setting ``max_concurrent_requests`` if given
    (else the tap's default), and no pace of its own if ``unpaced``."""
    exe = tap_executable(case.tap)
    config: dict[str, Any] = case.config(emulator.url)
    if max_concurrent_requests is not None:
        config["max_concurrent_requests"] = max_concurrent_requests
    if unpaced:
        config["max_requests_per_second"] = UNPACED
    with tempfile.TemporaryDirectory() as tmp:
        config_path = Path(tmp, "config.json")
        config_path.write_text(json.dumps(config))
        try:
            catalog = select_streams(exe, config_path, case.streams, Path(tmp, "catalog.json"))
        except subprocess.CalledProcessError as exc:
            lines = exc.stderr.decode(errors="replace").strip().splitlines()
            reason = lines[-1] if lines else "no stderr"
            return Measured(failure=f"discovery exited {exc.returncode}: {reason}")
        return _measured([exe, "--config", str(config_path), "--catalog", str(catalog)], emulator)


def measure_floor(case: BenchCase, emulator: EmulatorProcess) -> Measured:
    argv = [sys.executable, "-m", "bench.floor", case.floor, emulator.url, case.stream]
    return _measured(argv, emulator)
