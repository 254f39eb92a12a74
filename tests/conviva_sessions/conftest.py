"""Fixtures for tap-conviva-sessions: an emulator per module, and two ways to run the tap
(in-process for records and state, as the CLI for exit codes and logs)."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from conviva_testkit import TAP_EXE, TapRun, conviva_emulator

from emulators import EmulatorServer
from tap_conviva_sessions.tap import TapConvivaSessions


def _select(tap: TapConvivaSessions, streams: tuple[str, ...]) -> None:
    for name, stream in tap.streams.items():
        stream.selected = name in streams


@pytest.fixture
def run_tap() -> Callable[..., TapRun]:
    """Sync in-process; the Singer messages are parsed from what the tap wrote."""

    def run(
        config: dict[str, Any],
        *,
        streams: tuple[str, ...] = ("content_sessions",),
        state: dict[str, Any] | None = None,
    ) -> TapRun:
        out = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
        err = io.StringIO()
        tap = TapConvivaSessions(config=config, state=state or {}, validate_config=True)
        _select(tap, streams)
        with redirect_stdout(out), redirect_stderr(err):
            tap.sync_all()
        out.seek(0)
        return TapRun([json.loads(line) for line in out.read().splitlines() if line.strip()])

    return run


@pytest.fixture
def run_cli(tmp_path: Path) -> Callable[..., TapRun]:
    """Run the tap's console script as a user would; stderr holds its logs."""

    def run(
        config: dict[str, Any],
        *,
        streams: tuple[str, ...] | None = ("content_sessions",),
        state: dict[str, Any] | None = None,
        stop_after: Callable[[list[dict[str, Any]]], bool] | None = None,
    ) -> TapRun:
        config_path = tmp_path / "config.json"
        config_path.write_text(json.dumps(config))
        args = [TAP_EXE, "--config", str(config_path)]
        if streams is not None:
            catalog = json.loads(
                subprocess.run(
                    [*args, "--discover"], capture_output=True, text=True, check=True
                ).stdout
            )
            for entry in catalog["streams"]:
                for md in entry["metadata"]:
                    if md["breadcrumb"] == []:
                        md["metadata"]["selected"] = entry["tap_stream_id"] in streams
            (tmp_path / "catalog.json").write_text(json.dumps(catalog))
            args += ["--catalog", str(tmp_path / "catalog.json")]
        if state is not None:
            (tmp_path / "state.json").write_text(json.dumps(state))
            args += ["--state", str(tmp_path / "state.json")]
        stderr_path = tmp_path / "stderr.log"
        with stderr_path.open("w") as stderr:
            proc = subprocess.Popen(
                args, stdout=subprocess.PIPE, stderr=stderr, text=True, env=os.environ.copy()
            )
            assert proc.stdout is not None
            messages: list[dict[str, Any]] = []
            for line in proc.stdout:
                messages.append(json.loads(line))
                if stop_after is not None and stop_after(messages):
                    proc.kill()  # stopped hard, as a killed container would be
                    break
            proc.stdout.close()
            code = proc.wait(timeout=300)
        return TapRun(messages, stderr=stderr_path.read_text(), returncode=code)

    return run


@pytest.fixture(scope="module")
def conviva() -> Iterator[EmulatorServer]:
    """A demo-sized account shared by a module's tests (reset between them)."""
    with conviva_emulator(size=20_000) as server:
        yield server


@pytest.fixture(autouse=True)
def _reset_conviva(request: pytest.FixtureRequest) -> None:
    if "conviva" in request.fixturenames:
        request.getfixturevalue("conviva").reset()
