"""Run one child process to its end and measure it: wall time, its own CPU, its peak RSS, and
the Singer RECORD lines it wrote to stdout."""

from __future__ import annotations

import os
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass

# The tail of stderr kept to say why a child failed (a tap logs much; only its end matters).
STDERR_TAIL_BYTES = 64 * 1024


@dataclass
class ChildRun:
    exit_code: int
    records: int
    wall_seconds: float
    #: user + system CPU of the child alone (os.wait4's resource usage of that pid).
    cpu_seconds: float
    peak_rss_mb: float
    last_stdout_line: str
    last_stderr_line: str

    @property
    def rate(self) -> float:
        return self.records / self.wall_seconds if self.wall_seconds else 0.0

    @property
    def records_per_cpu_second(self) -> float:
        return self.records / self.cpu_seconds if self.cpu_seconds else 0.0


class PeakRss:
    """A running child's peak RSS, from its own VmHWM, sampled until it exits.

    Not wait4's ru_maxrss: Linux carries the forking parent's high-water mark across exec, so
    every child would report at least the size of this bench process. VmHWM belongs to the memory
    map exec gave the child (Popen returns after the exec)."""

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


def count_records(lines: Iterable[bytes]) -> tuple[int, bytes]:
    """The RECORD lines of a child's stdout (the tap's and the floor's are counted alike), and
    its last line."""
    records, last = 0, b""
    for line in lines:
        if b'"RECORD"' in line[:40]:
            records += 1
        last = line
    return records, last


def run_child(argv: list[str]) -> ChildRun:
    """Run ``argv`` with stdout piped to this process and stderr to a file, until it exits."""
    with tempfile.TemporaryFile() as stderr:
        started = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=stderr)
        peak = PeakRss(proc.pid)
        assert proc.stdout is not None
        records, last_stdout = count_records(proc.stdout)
        # Exited but not reaped, so the sampler never reads a pid the system gave to another.
        os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOWAIT)
        rss = peak.stop_mb()
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        proc.stdout.close()
        stderr.seek(max(0, stderr.seek(0, os.SEEK_END) - STDERR_TAIL_BYTES))
        lines = stderr.read().decode(errors="replace").strip().splitlines()
    return ChildRun(
        exit_code=proc.returncode,
        records=records,
        wall_seconds=seconds,
        cpu_seconds=usage.ru_utime + usage.ru_stime,
        peak_rss_mb=rss,
        last_stdout_line=last_stdout.decode(errors="replace").strip(),
        last_stderr_line=lines[-1] if lines else "",
    )
