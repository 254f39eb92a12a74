"""The retry contract: an unreachable API ends the sync within its budget with one clear line,
Retry-After as an HTTP date is waited out, the pacer spaces requests, and no failure message
holds a query."""

from __future__ import annotations

import re
import socket
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests
from conviva_sessions.helpers import CONTENT_SESSIONS, SECRET, TAP_EXE, base_config, session_ids
from testkit import assert_no_secret, run_cli, run_tap

from emulators import Fault
from tap_conviva_sessions.client import NoAnswerError, no_answer
from tap_conviva_sessions.concurrency import RequestPacer
from tap_conviva_sessions.tap import TapConvivaSessions


def closed_port() -> int:
    """A loopback port nobody listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_an_unreachable_api_ends_the_sync_within_its_budget(tmp_path: Path) -> None:
    port = closed_port()
    config = {
        "client_id": "emulator-client",
        "client_secret": SECRET,
        "api_url": f"http://127.0.0.1:{port}/insights/3.0",
        "start_date": (datetime.now(UTC) - timedelta(hours=3)).isoformat(),
        "retry_budget_seconds": 3,
        "retry_initial_wait_seconds": 0.2,
    }

    started = time.monotonic()
    run = run_cli(TAP_EXE, config, tmp_path, streams=CONTENT_SESSIONS)
    elapsed = time.monotonic() - started

    assert run.returncode != 0
    tries = run.log_lines("content_sessions: try ")
    assert len(tries) >= 3
    assert all("failed" in line and f"127.0.0.1:{port}" in line for line in tries)
    gave_up = run.log_lines("gave up on")
    assert gave_up
    line = gave_up[-1]
    assert f"127.0.0.1:{port}" in line
    assert "retry_budget_seconds" in line
    assert "?" not in line
    assert elapsed < 3 + 60
    assert_no_secret(run.logs, SECRET)
    # One line per retry and one at the end: backoff's own echo lines are left out, and the
    # only other ERROR line is the SDK's note that the stream failed.
    assert not run.log_lines("Backing off")
    assert not run.log_lines("Giving up")
    others = [x for x in run.error_lines() if "gave up on" not in x]
    assert all("An unhandled error occurred" in x for x in others), others


def test_retry_after_as_an_http_date_is_waited_out(conviva) -> None:
    # The date is taken when the emulator answers, however long the tap took to ask.
    conviva.faults.add(
        Fault("status", path=r"/sessions/content$", status=503, retry_after_date_in=2)
    )
    config = base_config(conviva)

    run = run_tap(TapConvivaSessions, config, streams=CONTENT_SESSIONS)

    (retry,) = run.log_lines("content_sessions: try 1 failed")
    wait = float(re.findall(r"trying again in ([\d.]+) s", retry)[0])
    assert 0.5 <= wait <= 2.0  # the date's whole seconds, less the time already gone
    first, second = [r for r in conviva.requests if r.path.endswith("/sessions/content")][:2]
    assert first.query == second.query
    assert session_ids(run)


def test_the_pacer_spaces_requests_across_the_run() -> None:
    now = [100.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    pacer = RequestPacer(4, clock=lambda: now[0], sleep=sleep)
    for _ in range(3):
        pacer.wait()
    assert slept == [0.25, 0.25]  # the first goes at once, the next ones a quarter second apart
    now[0] += 10  # a pause longer than the interval: no wait
    pacer.wait()
    assert slept == [0.25, 0.25]

    unpaced = RequestPacer(None, clock=lambda: now[0], sleep=sleep)
    for _ in range(5):
        unpaced.wait()
    assert slept == [0.25, 0.25]


def test_a_network_failure_names_method_host_and_path_never_the_query() -> None:
    request = requests.Request(
        "GET", "http://127.0.0.1:9/insights/3.0/sessions/content", params={"secret": "x"}
    ).prepare()
    failure = requests.exceptions.ConnectionError(
        "HTTPConnectionPool: [Errno 111] Connection refused", request=request
    )

    error = no_answer(failure)

    assert isinstance(error, NoAnswerError)
    assert str(error) == (
        "GET 127.0.0.1:9/insights/3.0/sessions/content: could not connect (Connection refused)"
    )


@pytest.mark.parametrize("per_second", [None, 50])
def test_max_requests_per_second_paces_a_whole_sync(conviva, per_second: float | None) -> None:
    config = base_config(conviva, window_minutes=10)
    if per_second:
        config["max_requests_per_second"] = per_second

    started = time.monotonic()
    run = run_tap(TapConvivaSessions, config, streams=CONTENT_SESSIONS)
    elapsed = time.monotonic() - started

    sent = len(conviva.requests)
    assert sent > 18  # discovery and eighteen ten-minute windows
    if per_second:
        assert elapsed >= (sent - 1) / per_second
    assert session_ids(run)
