"""The taps' logging config (``<package>/logging.yaml``, ``progress.py``): a progress line per
stream every few seconds and a last one, counts that agree with the records written, the SDK's
METRIC lines gone at INFO and still there at DEBUG or in a file; ``meltano run`` uses it."""

from __future__ import annotations

import importlib
import json
import logging
import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path
from types import ModuleType

import pytest
import yaml
from singer_sdk import Stream, metrics
from testkit import ROOT, console_script, read_jsonl, run_cli, start_emulator, tap_executable

PACKAGES = {
    "tap-brightcove-audience": "tap_brightcove_audience",
    "tap-conviva-sessions": "tap_conviva_sessions",
    "tap-vbrick-webcast": "tap_vbrick_webcast",
    "tap-webcast-reporting": "tap_webcast_reporting",
}
#: Streams not on the tap's base stream, whose record counts come at each context's end.
OWN_BASE = {"tap_webcast_reporting": {"ReportPartStream"}}  # one event's report each sync
ACCOUNTS = ["1486906377", "57838016001"]
DONE = re.compile(r"(\w+): ([\d,]+) records in [\d.]+ s, ([\d,.]+|-) records/s \(done\)")
SO_FAR = re.compile(r"(\w+): ([\d,]+) records so far, ([\d,.]+) records/s")


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def progress_of(package: str) -> ModuleType:
    return importlib.import_module(f"{package}.progress")


def metric_record(point: metrics.Point) -> logging.LogRecord:
    """A log record as ``metrics.log`` makes it."""
    return logging.LogRecord(
        metrics.METRICS_LOGGER_NAME, logging.INFO, __file__, 1, "METRIC: %s", (point,), None
    )


def count(stream: str, value: int) -> logging.LogRecord:
    return metric_record(
        metrics.Point("counter", metrics.Metric.RECORD_COUNT, value, {"stream": stream})
    )


def request(stream: str) -> logging.LogRecord:
    return metric_record(
        metrics.Point("timer", metrics.Metric.HTTP_REQUEST_DURATION, 0.1, {"stream": stream})
    )


class Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@pytest.fixture
def lines(request: pytest.FixtureRequest) -> list[str]:
    """The progress lines of the package the test is parametrized with."""
    logger = logging.getLogger(f"{request.node.callspec.params['package']}.progress")
    handler, level = Lines(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield handler.lines
    logger.removeHandler(handler)
    logger.setLevel(level)


@pytest.mark.parametrize("package", PACKAGES.values())
def test_one_line_per_stream_per_interval_and_a_last_one(package: str, lines: list[str]) -> None:
    clock = FakeClock()
    handler = progress_of(package).ProgressHandler(interval=5, clock=clock)
    handler.handle(request("view_events"))  # the stream's first request starts its clock
    clock.now += 2
    handler.handle(count("view_events", 100))
    assert lines == []  # not 5 s yet
    clock.now += 3
    handler.handle(count("view_events", 400))
    handler.handle(count("leads", 7))  # a stream's first point: no line yet
    assert lines == ["view_events: 500 records so far, 100 records/s"]
    clock.now += 5
    handler.handle(request("view_events"))  # waiting for records: the line says so
    clock.now += 5
    handler.handle(count("view_events", 1_500))
    handler.handle(count("leads", 3))
    assert lines[1:] == [
        "view_events: 500 records so far, 0.0 records/s",
        "view_events: 2,000 records so far, 300 records/s",
        "leads: 10 records so far, 1.0 records/s",
    ]
    clock.now += 100  # the last lines time each stream to its last count, not to the exit
    handler.close()
    handler.close()
    assert lines[4:] == [
        "view_events: 2,000 records in 15.0 s, 133 records/s (done)",
        "leads: 10 records in 10.0 s, 1.0 records/s (done)",
    ]


@pytest.mark.parametrize("package", PACKAGES.values())
def test_the_counters_report_as_often_as_the_progress_lines_need(package: str) -> None:
    progress = progress_of(package)
    handler = progress.ProgressHandler(interval=4)
    assert progress.count_interval(60.0) == 2.0
    handler.close()
    streams = [
        cls
        for cls in vars(importlib.import_module(f"{package}.streams")).values()
        if isinstance(cls, type)
        and issubclass(cls, Stream)
        and cls.__module__ == f"{package}.streams"
    ]
    assert streams
    outside = {c.__name__ for c in streams if not issubclass(c, progress.CountsForProgress)}
    assert outside == {
        c.__name__
        for c in streams
        if {b.__name__ for b in c.__mro__} & OWN_BASE.get(package, set())
    }


@pytest.mark.parametrize("package", PACKAGES.values())
def test_metric_lines_become_debug_lines(package: str) -> None:
    record = request("leads")
    assert progress_of(package).MetricsAtDebug().filter(record)
    assert (record.levelno, record.levelname) == (logging.DEBUG, "DEBUG")


def test_each_package_ships_its_config_naming_its_own_classes() -> None:
    for tap, package in PACKAGES.items():
        path = progress_of(package).CONFIG_PATH
        assert path == ROOT / tap / package / "logging.yaml"
        config = yaml.safe_load(path.read_text())
        names = [h["()"] for h in config["handlers"].values()] + [
            f["()"] for f in config["filters"].values()
        ]
        assert names
        assert all(n.startswith(f"{package}.progress.") for n in names)
        out = subprocess.run(
            [sys.executable, "-m", f"{package}.progress"], capture_output=True, text=True
        )
        assert out.stdout.strip() == str(path)


# -- the tap's command line with the config ---------------------------------------------------


@pytest.fixture(scope="module")
def brightcove():
    # A latency on every answer: the sync lasts longer than the tiny interval below, however
    # fast the machine.
    server = start_emulator("brightcove", size=300, latency=0.02)
    yield server
    server.stop()


def config_of(server) -> dict:
    return {
        "api_url": f"{server.url}/v1",
        "oauth_url": f"{server.url}/v4/access_token",
        "client_id": "emulator-client",
        "client_secret": "emulator-secret",
        "account_ids": ACCOUNTS,
        "start_date": "2026-01-01",
        "page_size": 20,
    }


def with_changes(tmp_path: Path, change) -> Path:
    """A copy of the shipped config, changed as a user would change theirs."""
    config = yaml.safe_load(progress_of("tap_brightcove_audience").CONFIG_PATH.read_text())
    change(config)
    path = tmp_path / "logging.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def sync(server, tmp_path: Path, log_config: Path, **env: str):
    return run_cli(
        tap_executable("tap-brightcove-audience"),
        config_of(server),
        tmp_path,
        env={"SINGER_SDK_LOG_CONFIG": str(log_config), **env},
    )


def test_progress_lines_agree_with_the_records_and_no_metric_line_at_info(
    brightcove, tmp_path: Path
) -> None:
    def tiny_interval(config: dict) -> None:
        config["handlers"]["progress"]["interval"] = 0.01

    out = sync(brightcove, tmp_path, with_changes(tmp_path, tiny_interval))
    assert out.returncode == 0, out.logs[-2000:]
    assert "METRIC" not in out.logs
    written = Counter(m["stream"] for m in out.messages if m["type"] == "RECORD")
    done = {m[1]: int(m[2].replace(",", "")) for m in DONE.finditer(out.logs)}
    assert done == dict(written) == {"view_events": 600, "leads": 120}
    so_far: dict[str, list[int]] = {}
    for stream, number, _rate in SO_FAR.findall(out.logs):
        so_far.setdefault(stream, []).append(int(number.replace(",", "")))
    assert so_far, out.logs[-2000:]
    for stream, numbers in so_far.items():
        assert numbers == sorted(numbers)
        assert numbers[-1] <= done[stream]


def test_metric_lines_at_debug_and_in_a_file(brightcove, tmp_path: Path) -> None:
    shipped = progress_of("tap_brightcove_audience").CONFIG_PATH
    debug = sync(brightcove, tmp_path, shipped, TAP_BRIGHTCOVE_AUDIENCE_LOGLEVEL="debug")
    assert debug.returncode == 0
    metric_lines = [line for line in debug.logs.splitlines() if "METRIC" in line]
    assert metric_lines
    assert all("| DEBUG" in line for line in metric_lines)
    assert DONE.search(debug.logs)

    metrics_file = tmp_path / "metrics.log"

    def to_a_file(config: dict) -> None:
        config["handlers"]["metrics_file"] = {
            "class": "logging.FileHandler",
            "filename": str(metrics_file),
        }
        config["loggers"]["singer_sdk.metrics"]["handlers"].append("metrics_file")

    filed = sync(brightcove, tmp_path, with_changes(tmp_path, to_a_file))
    assert filed.returncode == 0
    assert "METRIC" not in filed.logs
    kinds = Counter(
        json.loads(line.split("METRIC: ", 1)[1])["metric"]
        for line in metrics_file.read_text().splitlines()
    )
    assert kinds["record_count"] >= 2
    assert kinds["http_request_duration"] > 0


# -- meltano run -------------------------------------------------------------------------------


@pytest.mark.e2e
@pytest.mark.parametrize("log_level", ["info", "debug"])
def test_meltano_run_uses_the_config(brightcove, tmp_path: Path, log_level: str) -> None:
    meltano = console_script("meltano")
    env = {
        **os.environ,
        "MELTANO_DATABASE_URI": f"sqlite:///{tmp_path / 'meltano.db'}",
        "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
        "MELTANO_ENVIRONMENT": "emulators",
        "BRIGHTCOVE_EMULATOR_URL": brightcove.url,
        "TARGET_JSONL_DESTINATION_PATH": str(tmp_path),
    }
    proc = subprocess.run(
        [
            str(meltano),
            f"--log-level={log_level}",
            "run",
            "tap-brightcove-audience",
            "target-jsonl",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    done = {m[1]: int(m[2].replace(",", "")) for m in DONE.finditer(proc.stderr)}
    assert done == {s: len(read_jsonl(tmp_path / f"{s}.jsonl")) for s in ("view_events", "leads")}
    assert "Logging config file not found" not in proc.stderr
    assert ("METRIC" in proc.stderr) == (log_level == "debug")
