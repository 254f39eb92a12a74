"""What every tap of this repository does the same way, run as its command line against its
emulator: a SIGTERM writes the state and exits non-zero; unknown settings are warned about; a
catalog that selects none of the tap's streams fails; the sync ends with a summary of what is
owed, and fail_on_owed makes owed items a non-zero exit."""

from __future__ import annotations

import json
import signal
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from brightcove_audience.helpers import tap_config as brightcove_config
from conviva_sessions.helpers import base_config as conviva_config
from conviva_sessions.helpers import conviva_emulator
from testkit import run_cli, start_emulator, tap_executable
from vbrick_webcast.helpers import config_for as vbrick_config
from webcast_reporting.helpers import config as webcasts_config

from emulators import EmulatorServer, Fault


@dataclass(frozen=True)
class Case:
    tap: str
    start: Callable[[], EmulatorServer]
    config: Callable[[EmulatorServer], dict[str, Any]]
    #: A stream that syncs alone quickly, and another one (not selected) said to owe an item.
    quick: str
    other: str


CASES = [
    Case(
        "tap-brightcove-audience",
        lambda: start_emulator("brightcove", size=300),
        lambda s: brightcove_config(s.url),
        "leads",
        "view_events",
    ),
    Case(
        "tap-conviva-sessions",
        lambda: conviva_emulator(size=3_000).start(),
        conviva_config,
        "content_sessions",
        "ad_sessions",
    ),
    Case(
        "tap-vbrick-webcast",
        lambda: start_emulator("vbrick", size=6, in_progress=0, upcoming=0, large_webcasts=0),
        vbrick_config,
        "webcasts",
        "webcast_comments",
    ),
    Case(
        "tap-webcast-reporting",
        lambda: start_emulator("webcasts", size=12, events=2, expired_events=0),
        lambda s: webcasts_config(s.url),
        "timezones",
        "event_reports",
    ),
]


@pytest.fixture(params=CASES, ids=[c.tap for c in CASES])
def case(request: pytest.FixtureRequest) -> Iterator[tuple[Case, EmulatorServer]]:
    spec: Case = request.param
    server = spec.start()
    try:
        yield spec, server
    finally:
        server.stop()


def discovered(tap: str, config: dict[str, Any], tmp_path: Path) -> dict[str, Any]:
    path = tmp_path / "discover-config.json"
    path.write_text(json.dumps(config))
    out = subprocess.run(
        [tap_executable(tap), "--config", str(path), "--discover"],
        capture_output=True,
        text=True,
        check=True,
    )
    return dict(json.loads(out.stdout))


def test_sigterm_writes_the_state_and_exits_non_zero(case, tmp_path: Path) -> None:
    spec, server = case
    server.faults.add(Fault("slow", delay=0.3, times=None))  # time to stop it mid-sync

    run = run_cli(
        tap_executable(spec.tap),
        spec.config(server),
        tmp_path,
        stop_after=lambda messages: messages[-1]["type"] == "RECORD",
        stop_signal=signal.SIGTERM,
    )

    assert run.returncode == 128 + signal.SIGTERM, run.logs[-3000:]
    # The state is written on the signal; the SDK's state writer leaves out a STATE equal to
    # the last one written, so the last message is a STATE unless nothing changed since.
    assert run.states
    assert run.log_lines("Stopped by signal 15: the state is written, exit 143")


def test_an_unknown_setting_is_named_in_a_warning(case, tmp_path: Path) -> None:
    spec, server = case
    config = {**spec.config(server), "retry_budget_secs": 5}

    run = run_cli(tap_executable(spec.tap), config, tmp_path, streams=[spec.quick])

    assert run.returncode == 0, run.logs[-3000:]
    (line,) = run.log_lines("Unknown settings, ignored (a typo?)")
    assert "WARNING" in line
    assert line.endswith("retry_budget_secs")


def test_a_catalog_that_selects_none_of_the_streams_fails(case, tmp_path: Path) -> None:
    spec, server = case
    config = spec.config(server)
    catalog = discovered(spec.tap, config, tmp_path)
    entry = json.loads(json.dumps(catalog["streams"][0]))
    entry["tap_stream_id"] = entry["stream"] = "no_such_stream"
    for item in catalog["streams"]:
        for metadata in item["metadata"]:
            metadata["metadata"]["selected"] = False
    for metadata in entry["metadata"]:
        metadata["metadata"]["selected"] = True
    catalog["streams"].append(entry)

    run = run_cli(tap_executable(spec.tap), config, tmp_path, catalog=catalog)

    assert run.returncode == 1
    assert run.log_lines("the catalog selects no_such_stream, and this tap's streams are")
    assert not [m for m in run.messages if m["type"] == "RECORD"]
    assert len(server.requests) == 0


def owed_state(stream: str) -> dict[str, Any]:
    item = {"item": {"id": "x-1"}, "reason": "HTTP 500", "since": "2026-12-01T00:00:00Z"}
    return {"bookmarks": {stream: {"owed": [{**item, "syncs": 1}]}}}


def test_the_sync_ends_with_what_is_owed(case, tmp_path: Path) -> None:
    spec, server = case
    run = run_cli(
        tap_executable(spec.tap),
        spec.config(server),
        tmp_path,
        streams=[spec.quick],
        state=owed_state(spec.other),
    )

    assert run.returncode == 0, run.logs[-3000:]
    (line,) = run.log_lines("Owed to the next sync: 1 item(s)")
    assert f"{spec.other}: id=x-1 (HTTP 500)" in line
    assert run.state["bookmarks"][spec.other]["owed"][0]["item"] == {"id": "x-1"}


def test_fail_on_owed_ends_non_zero_after_the_state(case, tmp_path: Path) -> None:
    spec, server = case
    config = {**spec.config(server), "fail_on_owed": True}

    run = run_cli(
        tap_executable(spec.tap),
        config,
        tmp_path,
        streams=[spec.quick],
        state=owed_state(spec.other),
    )

    assert run.returncode == 1
    assert run.log_lines("1 item(s) owed and fail_on_owed is set")
    assert run.messages[-1]["type"] == "STATE"
    assert run.state["bookmarks"][spec.other]["owed"]
    assert [m for m in run.messages if m["type"] == "RECORD"]


def test_nothing_owed_is_said_too(case, tmp_path: Path) -> None:
    spec, server = case
    config = {**spec.config(server), "fail_on_owed": True}

    run = run_cli(tap_executable(spec.tap), config, tmp_path, streams=[spec.quick])

    assert run.returncode == 0, run.logs[-3000:]
    assert run.log_lines("Nothing is owed: every item of this sync was fetched")
