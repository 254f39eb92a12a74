"""The retry contract: network failures, 429 and 5xx retried within retry_budget_seconds,
Retry-After honoured as seconds or an HTTP date, the login inside the contract, request_timeout,
max_requests_per_second, and one clear error line when the budget is spent."""

from __future__ import annotations

import socket
import time
from email.utils import formatdate
from pathlib import Path

import pytest
import requests
from singer_sdk.exceptions import RetriableAPIError
from testkit import run_cli, run_tap, tap_executable
from vbrick_webcast.helpers import ONE_AT_A_TIME, config_for, expected_counts

from emulators import EmulatorServer, Fault
from tap_vbrick_webcast.client import no_answer
from tap_vbrick_webcast.concurrency import RequestPacer
from tap_vbrick_webcast.errors import RetriesExhaustedError, RetryAtOnceError
from tap_vbrick_webcast.settings import REALTIME_CALLS_PER_SECOND
from tap_vbrick_webcast.tap import TapVbrickWebcast

LOGIN_PATHS = ("/api/v2/authenticate", "/api/v2/user/login")


def closed_port() -> int:
    """A loopback port nothing listens on (connections to it are refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def throttled(retry_after: str) -> RetriableAPIError:
    response = requests.Response()
    response.status_code = 429
    response.headers["Retry-After"] = retry_after
    return RetriableAPIError("Rev answered 429", response)


def waits(config: dict, *failures: Exception) -> list[float]:
    """The waits the webcasts stream's wait generator gives after these failures, in turn (it
    stops early when the budget is spent)."""
    stream = TapVbrickWebcast(config=config).streams["webcasts"]
    generator = stream.backoff_wait_generator()
    assert generator.send(None) == 0.0  # backoff primes it
    given = []
    for failure in failures:
        try:
            given.append(generator.send(failure))
        except StopIteration:
            break
    return given


# -- the wait generator and the pacer, without a network -----------------------------------------

CONFIG = {
    "api_url": "http://127.0.0.1:9",
    "api_key": "key",
    "secret": "secret",
    "start_date": "2020-01-01T00:00:00Z",
}


def test_retry_after_as_an_http_date_is_honoured() -> None:
    in_30_s = formatdate(time.time() + 30, usegmt=True)
    (wait,) = waits(CONFIG, throttled(in_30_s))
    assert 28.0 <= wait <= 30.0


def test_retry_after_in_seconds_is_honoured_exactly() -> None:
    assert waits(CONFIG, throttled("7"), throttled("0")) == [7.0, 0.0]


def test_waits_double_from_the_first_wait_with_a_little_jitter() -> None:
    config = {**CONFIG, "retry_initial_wait_seconds": 2, "retry_budget_seconds": 600}
    failure = RetriableAPIError("Rev answered 503")
    given = waits(config, *[failure] * 8)
    for wait, base in zip(given, (2, 4, 8, 16, 32, 60, 60, 60), strict=True):
        assert base <= wait <= base * 1.1


def test_the_default_first_wait_is_two_seconds() -> None:
    (wait,) = waits(CONFIG, RetriableAPIError("Rev answered 503"))
    assert 2.0 <= wait <= 2.2


def test_renewed_credentials_are_tried_at_once_whatever_the_budget() -> None:
    config = {**CONFIG, "retry_budget_seconds": 0}
    assert waits(config, RetryAtOnceError("Rev answered 401")) == [0.0]


def test_a_wait_past_the_budget_ends_the_retries() -> None:
    config = {**CONFIG, "retry_budget_seconds": 5}
    assert waits(config, throttled("30")) == []
    assert waits({**config, "retry_budget_seconds": 0}, RetriableAPIError("503")) == []


def test_the_pacer_spaces_requests_on_its_clock() -> None:
    now = [1000.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    pacer = RequestPacer(REALTIME_CALLS_PER_SECOND, clock=lambda: now[0], sleep=sleep)
    pacer.wait()  # the first call goes at once
    pacer.wait()  # 2 calls a minute: the second 30 s after the first
    now[0] += 10.0
    pacer.wait()  # 10 s have passed: 20 s more
    now[0] += 100.0
    pacer.wait()  # long after: at once
    assert slept == pytest.approx([30.0, 20.0])


def test_no_pace_never_waits() -> None:
    pacer = RequestPacer(None, clock=lambda: 0.0, sleep=lambda seconds: pytest.fail("slept"))
    for _ in range(5):
        pacer.wait()


def test_a_network_failure_names_host_and_path_never_the_query() -> None:
    request = requests.Request(
        "GET", "http://rev.example.com:8443/api/v2/x/post-event-report?scrollId=s3cr3t&runNumber=0"
    ).prepare()
    failure = no_answer(requests.exceptions.ReadTimeout("read timed out", request=request))
    assert str(failure) == (
        "GET rev.example.com:8443/api/v2/x/post-event-report: no answer in time (request_timeout)"
    )
    assert "?" not in str(failure)


# -- against the emulator ------------------------------------------------------------------------


def test_an_unreachable_api_ends_within_the_budget_with_one_clear_line(tmp_path: Path) -> None:
    port = closed_port()
    config = {
        **CONFIG,
        "api_url": f"http://127.0.0.1:{port}",
        "retry_budget_seconds": 3,
        "retry_initial_wait_seconds": 0.2,
    }
    started = time.monotonic()
    output = run_cli(tap_executable("tap-vbrick-webcast"), config, tmp_path, timeout=120)
    elapsed = time.monotonic() - started
    assert output.returncode != 0
    tries = output.log_lines("failed (POST 127.0.0.1")  # the login's URL is retried too
    assert len(tries) >= 3, output.logs[-3000:]
    assert all("try " in line and "could not connect" in line for line in tries)
    (final, *_) = [line for line in output.log_lines("gave up on") if "ERROR" in line]
    assert f"gave up on 127.0.0.1:{port} after" in final
    assert "retry_budget_seconds (now 3 s)" in final
    assert "?" not in final
    assert elapsed < 3 + 60
    # One line per retry and one at the end: backoff's own echo lines are left out, and the
    # only other ERROR line is the SDK's note that the stream failed.
    assert not output.log_lines("Backing off")
    assert not output.log_lines("Giving up")
    others = [x for x in output.error_lines() if "gave up on" not in x]
    assert all("An unhandled error occurred" in x for x in others), others


def test_retry_after_as_an_http_date_is_waited_for(small_rev: EmulatorServer) -> None:
    # A whole second, taken when the emulator answers: 2 to 3 s after the answer.
    small_rev.faults.add(
        Fault("status", path="/comments", status=429, retry_after_date_in=3, times=1)
    )
    result = run_tap(TapVbrickWebcast, config_for(small_rev))
    first, second = small_rev.requests.matching("/comments")[:2]
    assert second.at - first.at >= 1.0  # not the 0.05 s of an exponential wait
    assert len(result.records["webcast_comments"]) == expected_counts(small_rev)["webcast_comments"]


def test_a_retry_after_past_the_budget_ends_the_sync_at_once(small_rev: EmulatorServer) -> None:
    small_rev.faults.add(
        Fault("status", path="/comments", status=429, headers={"Retry-After": "120"}, times=1)
    )
    # One at a time: the first comment request is the only one before the sync ends.
    config = config_for(small_rev, retry_budget_seconds=5, **ONE_AT_A_TIME)
    result = run_tap(TapVbrickWebcast, config, expect_error=True)
    assert isinstance(result.error, RetriesExhaustedError)
    message = str(result.error)
    assert "webcast_comments: gave up on" in message
    assert "asked to wait 120 s more (Retry-After), past the budget" in message
    assert "Rev answered 429 Too Many Requests to GET /api/v2/scheduled-events/" in message
    assert len(small_rev.requests.matching("/comments")) == 1


def test_a_login_that_gets_no_answer_once_is_retried(small_rev: EmulatorServer) -> None:
    small_rev.faults.add(Fault("drop", path="/api/v2/authenticate", times=1))
    result = run_tap(TapVbrickWebcast, config_for(small_rev))
    assert len([r for r in small_rev.requests if r.path in LOGIN_PATHS]) == 2
    assert small_rev.state.logins == 1
    assert len(result.records["webcasts"]) == 6
    assert result.log_lines("try 1 failed (POST ")


def test_an_answer_slower_than_request_timeout_is_asked_again(small_rev: EmulatorServer) -> None:
    small_rev.faults.add(Fault("slow", path="/comments", delay=3.0, times=1))
    result = run_tap(TapVbrickWebcast, config_for(small_rev, request_timeout=1))
    assert result.log_lines("no answer in time (request_timeout)")
    assert len(small_rev.requests.matching("/comments")) == 6 + 1
    assert len(result.records["webcast_comments"]) == expected_counts(small_rev)["webcast_comments"]


def test_max_requests_per_second_paces_every_request(small_rev: EmulatorServer) -> None:
    run_tap(TapVbrickWebcast, config_for(small_rev, max_requests_per_second=20))
    # The login is part of the first request's try: it is paced with it, not on its own.
    calls = [r for r in small_rev.requests if r.path not in LOGIN_PATHS]
    assert len(calls) > 20
    # The first call waits for the login inside its try, so the pace shows from the second on:
    # n calls cannot arrive in less than (n - 1) intervals, whatever one arrival's delay.
    later = calls[1:]
    assert later[-1].at - later[0].at >= (len(later) - 1) / 20 - 0.025
