"""The retry contract shared by the four taps: request_timeout, retry_budget_seconds, Retry-After
(seconds or an HTTP date), the token call inside the same retries, and the pacer."""

from __future__ import annotations

import re
import socket
import time
from pathlib import Path

import pytest
from brightcove_audience.helpers import ACCOUNTS, FAST_RETRIES, ONE_AT_A_TIME, TAP, tap_config
from testkit import run_cli, run_tap, tap_executable

from emulators import EmulatorServer, Fault
from tap_brightcove_audience.concurrency import RequestPacer
from tap_brightcove_audience.tap import TapBrightcoveAudience as Tap

ONE_ACCOUNT = ACCOUNTS[:1]


def _closed_port() -> int:
    """A loopback port nothing listens on (bound, then closed): connections are refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _token_requests(server: EmulatorServer) -> int:
    return len(server.requests.matching("/v4/access_token", "POST"))


def test_an_unreachable_api_ends_within_the_budget_with_one_clear_line(tmp_path: Path) -> None:
    # Every URL, the OAuth token URL included, on a port where nothing answers.
    where = f"127.0.0.1:{_closed_port()}"
    config = tap_config(f"http://{where}", retry_budget_seconds=3, retry_initial_wait_seconds=0.2)
    started = time.monotonic()
    run = run_cli(tap_executable(TAP), config, tmp_path, timeout=120)
    elapsed = time.monotonic() - started
    assert run.returncode != 0
    tries = run.log_lines(" failed (")
    assert len(tries) >= 3, run.logs[-3000:]
    assert all(re.search(r"try \d+ failed", line) for line in tries)
    assert any("/v4/access_token: could not connect" in line for line in tries)
    finals = run.log_lines("gave up on")
    assert any("ERROR" in line for line in finals), run.logs[-3000:]
    for final in finals:
        assert where in final
        assert "retry_budget_seconds (now 3 s)" in final
        assert "?" not in final
    assert elapsed < 3 + 60
    assert all(m["type"] != "RECORD" for m in run.messages)
    # One line per retry and one at the end: backoff's own echo lines are left out, and the
    # only other ERROR line is the SDK's note that the stream failed.
    assert not run.log_lines("Backing off")
    assert not run.log_lines("Giving up")
    others = [x for x in run.error_lines() if "gave up on" not in x]
    assert all("An unhandled error occurred" in x for x in others), others


def test_an_unreachable_api_behind_a_working_token_url_is_named_without_the_query(
    server: EmulatorServer, tmp_path: Path
) -> None:
    where = f"127.0.0.1:{_closed_port()}"
    config = tap_config(
        server.url,
        api_url=f"http://{where}/v1",
        retry_budget_seconds=2,
        retry_initial_wait_seconds=0.2,
        view_events_where="player_id==V1s6NOwRx",
    )
    run = run_cli(tap_executable(TAP), config, tmp_path, streams=["view_events"], timeout=120)
    assert run.returncode != 0
    tries = [line for line in run.log_lines("view_events: try ") if "failed (GET " in line]
    assert len(tries) >= 2
    finals = run.log_lines("gave up on")
    assert finals
    for line in [*tries, *finals]:
        assert where in line
        assert "?" not in line
        assert "player_id" not in line
        assert "limit=" not in line
    assert "retry_budget_seconds (now 2 s)" in finals[0]
    assert _token_requests(server) == 1


def test_retry_after_as_an_http_date_is_honoured(server: EmulatorServer) -> None:
    # Whole seconds only: three seconds after the answer is at least two from when it is read.
    server.faults.add(
        Fault("status", path="/view_events", status=503, retry_after_date_in=3, skip=1)
    )
    config = tap_config(server.url, account_ids=ONE_ACCOUNT, **FAST_RETRIES, **ONE_AT_A_TIME)
    result = run_tap(Tap, config, streams=["view_events"])
    assert len(result.records["view_events"]) == 300
    asked = server.requests.matching("/view_events")
    throttled, retried = asked[1], asked[2]
    assert throttled.arg("offset") == retried.arg("offset") == "100"
    assert retried.at - throttled.at >= 1.5


def test_a_token_call_answered_503_once_is_retried(server: EmulatorServer) -> None:
    server.faults.add(Fault("status", path="/v4/access_token", status=503, times=1))
    config = tap_config(server.url, account_ids=ONE_ACCOUNT, **FAST_RETRIES)
    result = run_tap(Tap, config, streams=["leads"])
    assert len(result.records["leads"]) == 60
    assert _token_requests(server) == 2
    assert result.log_lines("Brightcove OAuth answered HTTP 503")


def test_a_token_call_whose_connection_drops_once_is_retried(server: EmulatorServer) -> None:
    server.faults.add(Fault("drop", path="/v4/access_token", times=1))
    config = tap_config(server.url, account_ids=ONE_ACCOUNT, **FAST_RETRIES)
    result = run_tap(Tap, config, streams=["leads"])
    assert len(result.records["leads"]) == 60
    assert _token_requests(server) == 2
    assert result.log_lines("POST 127.0.0.1")


def test_request_timeout_applies_to_the_token_call_and_to_pages(server: EmulatorServer) -> None:
    server.faults.add(Fault("slow", path="/v4/access_token", delay=3, times=1))
    server.faults.add(Fault("slow", path="/leads", delay=3, times=1))
    config = tap_config(server.url, account_ids=ONE_ACCOUNT, request_timeout=1, **FAST_RETRIES)
    started = time.monotonic()
    result = run_tap(Tap, config, streams=["leads"])
    assert len(result.records["leads"]) == 60
    timed_out = [line for line in result.log_lines("no answer in time") if "failed (" in line]
    assert len(timed_out) == 2
    assert "try 1 failed (POST " in timed_out[0]
    assert "/v4/access_token: no answer in time (request_timeout)" in timed_out[0]
    assert "try 2 failed (GET " in timed_out[1]
    assert time.monotonic() - started < 10


def test_refused_credentials_are_not_retried(server: EmulatorServer) -> None:
    config = tap_config(server.url, client_secret="not-the-secret", **FAST_RETRIES)
    result = run_tap(Tap, config, expect_error=True)
    assert "client_id and client_secret" in str(result.error)
    assert _token_requests(server) == 1


def test_the_pacer_spaces_requests_on_its_clock() -> None:
    now = [100.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    pacer = RequestPacer(4, clock=lambda: now[0], sleep=sleep)
    for _ in range(3):
        pacer.wait()
    assert slept == [0.25, 0.25]
    now[0] += 10  # idle: the next request goes at once
    pacer.wait()
    assert slept == [0.25, 0.25]
    unpaced = RequestPacer(None, clock=lambda: now[0], sleep=sleep)
    for _ in range(5):
        unpaced.wait()
    assert slept == [0.25, 0.25]


def test_max_requests_per_second_paces_the_whole_run(server: EmulatorServer) -> None:
    config = tap_config(server.url, account_ids=ONE_ACCOUNT, max_requests_per_second=5)
    result = run_tap(Tap, config)  # both streams: 1 page of leads, 3 of view events
    assert len(result.records["view_events"]) == 300
    asked = [r.at for r in server.requests.matching("/v1/")]
    assert len(asked) == 4
    # The first page waits for the token inside its try: the pace shows from the second on.
    assert asked[-1] - asked[1] >= 2 * 0.2 - 0.1


#: A token call that fails once, each way the issue names (issue 9): throttled, a server
#: error, a connection dropped without an answer, an answer cut in half.
TOKEN_FAULTS = {
    "429": lambda: Fault(
        "status", path="/v4/access_token", status=429, headers={"Retry-After": "1"}
    ),
    "503": lambda: Fault("status", path="/v4/access_token", status=503),
    "dropped": lambda: Fault("drop", path="/v4/access_token"),
    "cut": lambda: Fault("malformed", path="/v4/access_token"),
}


@pytest.mark.parametrize("moment", ["at the start", "at a refresh"])
@pytest.mark.parametrize("kind", list(TOKEN_FAULTS))
def test_a_token_call_failing_once_is_retried_and_no_record_is_lost(
    server: EmulatorServer, tmp_path: Path, kind: str, moment: str
) -> None:
    fault = server.faults.add(TOKEN_FAULTS[kind]())
    if moment == "at a refresh":
        fault.skip = 1  # the first token call goes through; the one after the expiry fails
        server.state.expire_tokens(after_requests=3)  # every token stops working mid-sync

    # One request at a time: the token call at the refresh is the second try of the page that
    # found its token expired.
    config = tap_config(server.url, **FAST_RETRIES, **ONE_AT_A_TIME)
    run = run_cli(tap_executable(TAP), config, tmp_path)

    assert run.returncode == 0, run.logs[-3000:]
    assert fault.hits == 1
    for stream, key, size in (("view_events", "view_event_key", 600), ("leads", "lead_key", 120)):
        assert len(run.records[stream]) == size
        assert not run.duplicates(stream, key)
    assert _token_requests(server) == (2 if moment == "at the start" else 3)
    (retried,) = [
        line
        for line in run.log_lines(" failed (")
        if "Brightcove OAuth answered" in line or "/v4/access_token" in line
    ]
    assert f"try {1 if moment == 'at the start' else 2} failed" in retried
    assert "emulator-secret" not in run.logs


def test_a_token_endpoint_failing_for_good_at_a_refresh_ends_the_sync_and_owes_nothing(
    server: EmulatorServer, tmp_path: Path
) -> None:
    # The token endpoint is no account's: its lasting failure ends the sync (state saved),
    # and no account is owed for it.
    server.faults.add(Fault("status", path="/v4/access_token", status=503, skip=1, times=None))
    server.state.expire_tokens(after_requests=3)
    config = tap_config(server.url, retry_budget_seconds=1, retry_initial_wait_seconds=0.05)

    run = run_cli(tap_executable(TAP), config, tmp_path)

    assert run.returncode == 1
    assert run.log_lines("Brightcove OAuth answered HTTP 503")
    assert run.log_lines("gave up on")
    assert not run.log_lines("owed to the next sync")
    assert "owed" not in run.state.get("bookmarks", {}).get("view_events", {})
    # Streams run by name: both accounts' leads (2 calls), then a page of view events,
    # were read before the tokens expired; they are kept, with their state.
    assert len(run.records["leads"]) == 120
    assert len(run.records["view_events"]) == 100
    assert run.bookmark("view_events", account_id=ACCOUNTS[0]) is not None
