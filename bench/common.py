"""Measure one tap and its floor: records/s and peak RSS, each in a child process of its own.

The floor is what any tap must do: the same pages fetched and decoded with plain requests + json
(or lxml for XML), each record written as one Singer RECORD line with msgspec, as the taps' writer
does. The tap's cost above it is the SDK's and ours.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class BenchCase:
    name: str
    vendor: str
    tap: str
    streams: list[str]
    config: Callable[[str], dict[str, Any]]
    floor: str
    emulator_options: dict[str, Any] = field(default_factory=dict)


@dataclass
class Measurement:
    records: int
    seconds: float
    peak_rss_mb: float

    @property
    def rate(self) -> float:
        return self.records / self.seconds if self.seconds else 0.0


class PeakRss:
    """A running child's peak RSS, from its own VmHWM, sampled until it exits.

    Not wait4's ru_maxrss: Linux carries the forking parent's high-water mark across exec, and
    the parent here holds the emulator, so every child would report at least the parent's size.
    VmHWM belongs to the memory map exec gave the child (Popen returns after the exec)."""

    def __init__(self, pid: int) -> None:
        self._path = f"/proc/{pid}/status"
        self._kb = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while not self._stop.is_set():
            try:
                with open(self._path) as fh:
                    line = next((ln for ln in fh if ln.startswith("VmHWM:")), None)
            except OSError:
                return
            if line is None:  # exited: no memory map left
                return
            self._kb = max(self._kb, int(line.split()[1]))
            self._stop.wait(0.01)

    def stop_mb(self) -> float:
        self._stop.set()
        self._thread.join()
        return self._kb / 1024


def count_records(lines: Iterable[bytes]) -> int:
    """The RECORD lines of a child's stdout: the tap's and the floor's are counted alike."""
    return sum(1 for line in lines if b'"RECORD"' in line[:40])


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


def measure_tap(case: BenchCase, url: str) -> Measurement:
    # Beside this interpreter (``.venv/bin/python -m bench``), else on PATH (``uv run``).
    beside = Path(sys.executable).with_name(case.tap)
    exe = str(beside) if beside.exists() else shutil.which(case.tap)
    if exe is None:
        raise SystemExit(f"{case.tap} is not installed: run `make sync` first")
    with tempfile.TemporaryDirectory() as tmp:
        config_path = Path(tmp, "config.json")
        config_path.write_text(json.dumps(case.config(url)))
        catalog = select_streams(exe, config_path, case.streams, Path(tmp, "catalog.json"))
        started = time.perf_counter()
        proc = subprocess.Popen(
            [exe, "--config", str(config_path), "--catalog", str(catalog)],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        peak = PeakRss(proc.pid)
        assert proc.stdout is not None
        records = count_records(proc.stdout)
        code, rss = proc.wait(), peak.stop_mb()
        seconds = time.perf_counter() - started
    if code != 0:
        raise SystemExit(f"{case.name}: the tap exited {code}")
    return Measurement(records, seconds, rss)


def measure_floor(case: BenchCase, url: str) -> Measurement:
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "bench.floor", case.floor, url, case.streams[0]],
        stdout=subprocess.PIPE,
    )
    peak = PeakRss(proc.pid)
    assert proc.stdout is not None
    records = count_records(proc.stdout)
    code, rss = proc.wait(), peak.stop_mb()
    seconds = time.perf_counter() - started
    if code != 0:
        raise SystemExit(f"{case.name}: the floor exited {code}")
    return Measurement(records, seconds, rss)
