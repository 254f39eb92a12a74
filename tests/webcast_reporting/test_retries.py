"""The retry contract: one budget for every call (the login included), Retry-After as seconds
or an HTTP date, the pacer, and errors that name the API host but never a URL's query (the
password travels in the login's query, the session id in every other)."""

from __future__ import annotations

import re
import socket
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest
import requests
from singer_sdk.exceptions import RetriableAPIError
from testkit import assert_no_secret, run_cli
from webcast_reporting.helpers import TAP, config, printed, seen

from emulators import EmulatorServer, Fault
from emulators.webcasts import DEFAULT_PASSWORD
from tap_webcast_reporting.client import no_answer, retry_after_seconds
from tap_webcast_reporting.concurrency import RequestPacer
from tap_webcast_reporting.errors import RetryAtOnceError
from tap_webcast_reporting.tap import TapWebcastReporting

EVENT = "2227117"


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def answer(headers: dict[str, str]) -> requests.Response:
    response = requests.Response()
    response.status_code = 503
    response.headers.update(headers)
    response.url = "http://127.0.0.1:1/api/reporting/eventlist?ui=1&si=s"
    return response


def http_date(seconds_ahead: float) -> str:
    return format_datetime(datetime.now(UTC) + timedelta(seconds=seconds_ahead), usegmt=True)


def assert_no_session_id(server: EmulatorServer, text: str) -> None:
    assert server.state.sessions
    for _ui, si in server.state.sessions:
        assert_no_secret(text, si)


# -- the API unreachable ------------------------------------------------------------------------


def test_unreachable_api_ends_within_the_budget_naming_the_host(tmp_path: Path) -> None:
    port = closed_port()
    url = f"http://127.0.0.1:{port}"
    cfg = config(url, retry_budget_seconds=3, retry_initial_wait_seconds=0.2)
    started = time.monotonic()
    run = seen(run_cli(TAP, cfg, tmp_path))
    elapsed = time.monotonic() - started
    assert run.returncode != 0
    assert elapsed < 3 + 60
    tries = [line for line in run.log_lines("failed (") if re.search(r": try \d+ failed", line)]
    assert len(tries) >= 3, run.logs[-3000:]
    # Every URL is unreachable, the login's first: it is the login that is named.
    assert f"127.0.0.1:{port}/api/login: could not connect" in tries[0]
    final = run.log_lines("gave up on")
    assert final, run.logs[-3000:]
    assert f"gave up on 127.0.0.1:{port} after" in final[-1]
    assert "retry_budget_seconds (now 3 s)" in final[-1]
    assert "?" not in final[-1]
    for line in [*tries, *final]:
        assert "?" not in line
        assert "password" not in line
    assert_no_secret(printed(run), DEFAULT_PASSWORD)

    # One line per retry and one at the end: backoff's own echo lines are left out, and the
    # only other ERROR line is the SDK's note that the stream failed.
    assert not run.log_lines("Backing off")
    assert not run.log_lines("Giving up")
    others = [x for x in run.error_lines() if "gave up on" not in x]
    assert all("An unhandled error occurred" in x for x in others), others


# -- Retry-After --------------------------------------------------------------------------------


def test_retry_after_is_read_as_seconds_or_an_http_date() -> None:
    assert retry_after_seconds(answer({"Retry-After": "3"})) == 3.0
    ahead = retry_after_seconds(answer({"Retry-After": http_date(2)}))
    assert ahead is not None
    assert 0.5 < ahead <= 2.0  # an HTTP date counts whole seconds
    assert retry_after_seconds(answer({"Retry-After": http_date(-30)})) == 0.0
    assert retry_after_seconds(answer({"Retry-After": "soon"})) is None
    assert retry_after_seconds(answer({})) is None
    assert retry_after_seconds(None) is None


def test_wait_generator_honours_retry_after_doubles_otherwise_and_ends_at_the_budget() -> None:
    cfg = config("http://127.0.0.1:9", retry_initial_wait_seconds=0.2, retry_budget_seconds=10)
    stream = TapWebcastReporting(config=cfg).streams["events"]
    waits = stream.backoff_wait_generator()
    assert next(waits) == 0.0  # backoff primes it
    dated = waits.send(RetriableAPIError("503", answer({"Retry-After": http_date(2)})))
    assert 0.5 < dated <= 2.0
    assert 0.4 <= waits.send(RetriableAPIError("503")) <= 0.4 * 1.1  # the second wait: doubled
    assert waits.send(RetryAtOnceError("returnCode 11")) == 0.0
    assert 1.6 <= waits.send(RetriableAPIError("503")) <= 1.6 * 1.1
    with pytest.raises(StopIteration):  # 30 s asked: past the budget of 10 s
        waits.send(RetriableAPIError("429", answer({"Retry-After": "30"})))


def test_retry_after_http_date_is_waited_for(tmp_path: Path, server: EmulatorServer) -> None:
    # The date is taken when the emulator answers: however long the tap took to start.
    server.faults.add(Fault("status", path="/eventlist", status=503, retry_after_date_in=2))
    run = seen(run_cli(TAP, config(server.url, event_ids=[EVENT]), tmp_path))
    assert run.returncode == 0, run.logs[-2000:]
    [warning] = run.log_lines("events: try 1 failed")
    waited = float(re.findall(r"trying again in ([\d.]+) s", warning)[0])
    assert 0.5 < waited <= 2.0
    first, second = server.requests.matching("/eventlist")
    assert second.at - first.at >= waited - 0.05
    assert len(run.records["registrants"]) == 12


# -- the login inside the contract --------------------------------------------------------------


@pytest.mark.parametrize(
    ("fault", "failure"),
    [
        (Fault("status", path="/login", status=503), "login: HTTP 503"),
        (Fault("drop", path="/login"), "/api/login: could not connect"),
        (Fault("status", path="/login", status=429), "login: HTTP 429"),
    ],
    ids=["503", "no-answer", "429"],
)
def test_login_failing_once_is_retried_and_the_sync_succeeds(
    tmp_path: Path, server: EmulatorServer, fault: Fault, failure: str
) -> None:
    server.faults.add(fault)
    run = seen(run_cli(TAP, config(server.url, event_ids=[EVENT]), tmp_path))
    assert run.returncode == 0, run.logs[-2000:]
    assert len(server.requests.matching("/login")) == 2
    [warning] = run.log_lines("try 1 failed")
    assert failure in warning
    assert "?" not in warning
    assert len(run.records["registrants"]) == 12
    assert_no_secret(printed(run), DEFAULT_PASSWORD)
    assert_no_session_id(server, printed(run))


def test_a_burst_of_503_at_the_login_is_waited_out(tmp_path: Path, server: EmulatorServer) -> None:
    """The login gave up after three tries on 5xx before issue 8: it follows the budget now."""
    server.faults.add(Fault("status", path="/login", status=503, times=5))
    run = seen(run_cli(TAP, config(server.url, event_ids=[EVENT]), tmp_path))
    assert run.returncode == 0, run.logs[-2000:]
    assert len(server.requests.matching("/login")) == 6
    assert len(run.records["registrants"]) == 12


def test_a_503_burst_on_a_report_is_waited_out(tmp_path: Path, server: EmulatorServer) -> None:
    """webcasts.com answers bursts of 503 (five in a row ended the run before issue 8)."""
    server.faults.add(Fault("status", path="/report/", status=503, times=5))
    cfg = config(server.url, event_ids=[EVENT], retry_initial_wait_seconds=0.05)
    run = seen(run_cli(TAP, cfg, tmp_path))
    assert run.returncode == 0, run.logs[-2000:]
    assert len(server.requests.matching("/report/")) == 6
    assert len(run.records["registrants"]) == 12
    assert len(run.log_lines("event_reports: try")) == 5
    assert not run.state["bookmarks"]["event_reports"].get("owed")


def test_refused_login_is_never_retried(tmp_path: Path, server: EmulatorServer) -> None:
    run = seen(run_cli(TAP, config(server.url, password="Not-The-Password-1"), tmp_path))
    assert run.returncode != 0
    assert "login as 'emulator-user' refused" in run.logs
    assert len(server.requests.matching("/login")) == 1
    assert not run.log_lines("try 1 failed")


def test_the_call_repeated_after_a_new_login_is_not_a_second_report(
    tmp_path: Path, server: EmulatorServer
) -> None:
    """returnCode 11 is asked again at once after a new login; the tap's quota counts that
    report once (a quota of one report an hour is enough)."""
    server.state.answer_code(11, "/report/")
    cfg = config(server.url, event_ids=[EVENT], max_reports_per_hour=1)
    run = seen(run_cli(TAP, cfg, tmp_path))
    assert run.returncode == 0, run.logs[-2000:]
    assert len(server.requests.matching("/report/")) == 2
    assert len(run.records["registrants"]) == 12
    assert "trying again in 0.0 s" in run.log_lines("try 1 failed")[0]
    assert not run.log_lines("reports an hour reached")


def test_a_report_without_an_answer_is_fetched_again(
    tmp_path: Path, server: EmulatorServer
) -> None:
    server.faults.add(Fault("drop", path="/report/"))
    run = seen(run_cli(TAP, config(server.url, event_ids=[EVENT]), tmp_path))
    assert run.returncode == 0, run.logs[-2000:]
    assert len(server.requests.matching("/report/")) == 2
    emails = [r["email"] for r in run.records["registrants"]]
    assert len(emails) == 12 == len(set(emails))
    [warning] = run.log_lines("event_reports: try 1 failed")
    assert "/api/reporting/report/xml: could not connect" in warning
    assert_no_session_id(server, printed(run))


def test_no_answer_names_method_host_and_path_never_the_query() -> None:
    url = "http://127.0.0.1:9/api/login?username=u&password=Pa55word%21&ver=2.0&si=SESSION42"
    request = requests.Request("GET", url).prepare()
    failure = requests.exceptions.ConnectionError(
        f"HTTPConnectionPool(host='127.0.0.1', port=9): Max retries exceeded with url: {url} "
        "(Caused by NewConnectionError('[Errno 111] Connection refused'))",
        request=request,
    )
    error = no_answer(failure)
    assert str(error) == "GET 127.0.0.1:9/api/login: could not connect (Connection refused)"
    assert error.url == "http://127.0.0.1:9/api/login"  # the error keeps no query either
    cut = requests.exceptions.ChunkedEncodingError("cut", request=request)
    assert str(no_answer(cut)) == "GET 127.0.0.1:9/api/login: the answer was cut off"


# -- the pacer ----------------------------------------------------------------------------------


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_pacer_spaces_requests_by_the_configured_rate() -> None:
    clock = FakeClock()
    pacer = RequestPacer(4, clock=clock, sleep=clock.sleep)
    for _ in range(3):
        pacer.wait()
    assert clock.slept == [0.25, 0.25]
    clock.now += 10  # an idle while: no wait
    pacer.wait()
    assert clock.slept == [0.25, 0.25]
    pacer.wait()
    assert clock.slept == [0.25, 0.25, 0.25]
    unpaced = RequestPacer(None, clock=clock, sleep=clock.sleep)
    for _ in range(5):
        unpaced.wait()
    assert len(clock.slept) == 3


def test_one_pacer_for_the_run_paces_every_call(tmp_path: Path, server: EmulatorServer) -> None:
    tap = TapWebcastReporting(config=config(server.url, max_requests_per_second=4))
    pacers = {id(stream.resources.gate.pacer) for stream in tap.streams.values()}
    assert len(pacers) == 1
    assert tap.streams["events"].resources.gate.pacer.interval == 0.25
    cfg = config(server.url, event_ids=[EVENT], max_requests_per_second=4)
    run = seen(run_cli(TAP, cfg, tmp_path))
    assert run.returncode == 0, run.logs[-2000:]
    calls = [r for r in server.requests if "/login" not in r.path]  # a login shares its call's turn
    assert len(calls) >= 3
    # The first call waits for the login inside its try, so the pace shows from the second on:
    # n calls cannot arrive in less than (n - 1) intervals, whatever one arrival's delay.
    later = [r.at for r in calls[1:]]
    assert later[-1] - later[0] >= (len(later) - 1) * 0.25 - 0.125, later
