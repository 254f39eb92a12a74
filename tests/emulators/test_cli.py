"""``python -m emulators serve`` as the benchmark runs it: its own process, a free port, vendor
options as JSON, a latency; it prints the export line once listening and stops on SIGTERM."""

from __future__ import annotations

import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

import pytest
import requests

from emulators import registry

EXPORT_LINE = re.compile(r"^export (?P<name>[A-Z]+)_EMULATOR_URL=(?P<url>http://127\.0\.0\.1:\d+)$")


def _serve(*args: str) -> subprocess.Popen[str]:
    # Buffered stdout, as a benchmark's pipe gets it: the export lines must be flushed.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    return subprocess.Popen(
        [sys.executable, "-m", "emulators", "serve", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def _lines(process: subprocess.Popen[str], count: int, timeout: float = 60) -> list[str]:
    """The first ``count`` lines of its stdout, without blocking the test forever."""
    assert process.stdout is not None
    lines: queue.Queue[str] = queue.Queue()
    stdout = process.stdout
    threading.Thread(target=lambda: [lines.put(line) for line in stdout], daemon=True).start()
    read = []
    for _ in range(count):
        try:
            read.append(lines.get(timeout=timeout).rstrip("\n"))
        except queue.Empty:
            process.kill()
            pytest.fail(f"no export line within {timeout}s; stderr: {process.communicate()[1]}")
    return read


def _terminated(process: subprocess.Popen[str]) -> int:
    process.send_signal(signal.SIGTERM)
    try:
        return process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        pytest.fail("still running 30 s after SIGTERM")


@pytest.fixture
def brightcove() -> Iterator[tuple[subprocess.Popen[str], str]]:
    options = {
        "size": 120,
        "accounts": ["1486906377"],
        "clients": {"bench-client": "bench-secret"},
        "ip_rate_limit": None,
        "variants": {"count": "missing"},
    }
    process = _serve(
        "brightcove",
        "--port",
        "0",
        "--latency",
        "0.3",
        "--latency-spread",
        "0.1",
        "--options",
        json.dumps(options),
    )
    try:
        (line,) = _lines(process, 1)
        match = EXPORT_LINE.match(line)
        assert match is not None, line
        assert match["name"] == "BRIGHTCOVE"
        yield process, match["url"]
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_serve_with_options_and_latency_serves_then_stops_on_sigterm(
    brightcove: tuple[subprocess.Popen[str], str],
) -> None:
    process, url = brightcove
    assert not url.endswith(f":{registry.VENDORS['brightcove'].default_port}")  # --port 0
    token = requests.post(
        f"{url}/v4/access_token",
        auth=("bench-client", "bench-secret"),  # the clients option (a dict)
        data={"grant_type": "client_credentials"},
        timeout=30,
    ).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    started = time.monotonic()
    page = requests.get(f"{url}/v1/accounts/1486906377/view_events", headers=headers, timeout=30)
    assert time.monotonic() - started >= 0.3  # --latency
    assert page.status_code == 200
    assert "count" not in page.json()  # the variants option (a nested dict)
    not_listed = requests.get(f"{url}/v1/accounts/57838016001/leads", headers=headers, timeout=30)
    assert not_listed.status_code == 401  # the accounts option (a list)
    stats = requests.get(f"{url}/_emulator/stats", timeout=30).json()
    assert stats == {"requests": 3, "throttled": 0, "statuses": {"200": 2, "401": 1}}
    assert _terminated(process) == 0


def test_serve_prints_one_export_line_per_vendor() -> None:
    process = _serve("conviva", "vbrick", "--port", "0", "--port", "0", "--options", '{"seed": 7}')
    try:
        lines = _lines(process, 2)
        names = [m["name"] for m in map(EXPORT_LINE.match, lines) if m is not None]
        assert names == ["CONVIVA", "VBRICK"], lines
        vbrick_url = lines[1].partition("=")[2]
        # Rev answers an unauthenticated search 401: the server answers, with the vendor's body.
        answer = requests.post(f"{vbrick_url}/api/v2/search/scheduled-events", timeout=30)
        assert answer.json()["code"] == "Unauthorized"
        assert _terminated(process) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--options", "[1, 2]"], "must be a JSON object"),
        (["--options", "{size: 1}"], "not JSON"),
        (["--options", '{"no_such_option": 1}'], "no_such_option"),
        (["--size", "10", "--options", '{"size": 100}'], "--options sets size"),
        (["--latency", "-1"], "seconds >= 0"),
    ],
)
def test_serve_refuses_bad_options(args: list[str], message: str) -> None:
    process = _serve("brightcove", "--port", "0", *args)
    try:
        out, err = process.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        pytest.fail("serve did not refuse the options")
    assert process.returncode == 2
    assert message in err
    assert "EMULATOR_URL" not in out
