"""A vendor emulator in a process of its own (``python -m emulators serve``), so that its work
never counts in the bench's measurements, with its answer counts (``/_emulator/stats``)."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass
from typing import IO, Any

import requests

EXPORT_PREFIX = "export "
STOP_TIMEOUT_SECONDS = 10


class EmulatorError(RuntimeError):
    """The emulator process did not start (its last stderr line says why)."""


@dataclass
class AnswerCounts:
    requests: int
    throttled: int  # answers of HTTP 429


class EmulatorProcess:
    """``with EmulatorProcess("conviva", latency=0.15, options={...}) as emulator: emulator.url``"""

    def __init__(
        self,
        vendor: str,
        *,
        latency: float = 0.0,
        latency_spread: float = 0.0,
        options: dict[str, Any] | None = None,
    ) -> None:
        self.vendor = vendor
        self.argv = [
            sys.executable,
            "-m",
            "emulators",
            "serve",
            vendor,
            "--port",
            "0",
            "--latency",
            str(latency),
            "--latency-spread",
            str(latency_spread),
            "--options",
            json.dumps(options or {}),
        ]
        self.url = ""
        self._proc: subprocess.Popen[bytes] | None = None
        self._stderr: IO[bytes] | None = None

    def __enter__(self) -> EmulatorProcess:
        self._stderr = tempfile.TemporaryFile()
        self._proc = subprocess.Popen(self.argv, stdout=subprocess.PIPE, stderr=self._stderr)
        assert self._proc.stdout is not None
        # The line ``export <VENDOR>_EMULATOR_URL=http://127.0.0.1:<port>`` comes once it listens.
        for raw in self._proc.stdout:
            line = raw.decode().strip()
            if line.startswith(EXPORT_PREFIX):
                self.url = line.partition("=")[2]
                break
        if not self.url:
            self._proc.wait()
            reason = self._last_stderr_line()
            self._close()
            raise EmulatorError(f"the {self.vendor} emulator did not start: {reason}")
        # Whatever else it prints must not fill the pipe and stall it.
        threading.Thread(target=self._proc.stdout.read, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.send_signal(signal.SIGTERM)
            try:
                self._proc.wait(timeout=STOP_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        self._close()

    def counts(self) -> AnswerCounts:
        stats = self._stats("GET").json()
        return AnswerCounts(requests=int(stats["requests"]), throttled=int(stats["throttled"]))

    def reset_counts(self) -> None:
        self._stats("DELETE")

    def _stats(self, method: str) -> requests.Response:
        try:
            answer = requests.request(method, f"{self.url}/_emulator/stats", timeout=30)
            answer.raise_for_status()
        except requests.RequestException as exc:
            assert self._proc is not None
            if self._proc.poll() is None:
                raise EmulatorError(f"the {self.vendor} emulator's stats: {exc}") from exc
            raise EmulatorError(
                f"the {self.vendor} emulator exited {self._proc.returncode} during the run: "
                f"{self._last_stderr_line()}"
            ) from exc
        return answer

    def _last_stderr_line(self) -> str:
        assert self._stderr is not None
        self._stderr.seek(0)
        lines = self._stderr.read().decode(errors="replace").strip().splitlines()
        return lines[-1] if lines else f"exit code {self._proc.returncode if self._proc else '?'}"

    def _close(self) -> None:
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None
