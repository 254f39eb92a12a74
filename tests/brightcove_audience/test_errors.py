"""Bad answers: throttling and server errors retried (honouring Retry-After), client errors
ending the sync with the API's own words and the state of what was already synced."""

from __future__ import annotations

import email.utils
import json
import time
from datetime import UTC, datetime, timedelta

import pytest
import requests
from brightcove_audience.helpers import ACCOUNTS, FAST_RETRIES, ONE_AT_A_TIME, tap_config
from singer_sdk.exceptions import RetriableAPIError
from testkit import TapOutput, run_tap, start_emulator

from emulators import EmulatorServer, Fault
from tap_brightcove_audience.client import BrightcoveStream
from tap_brightcove_audience.errors import RetryAtOnceError
from tap_brightcove_audience.tap import TapBrightcoveAudience as Tap

ONE_ACCOUNT = ACCOUNTS[:1]


def test_429_waits_as_long_as_retry_after_says(server: EmulatorServer) -> None:
    server.faults.add(
        Fault("status", path="/view_events", status=429, headers={"Retry-After": "2"}, skip=1)
    )
    config = tap_config(server.url, account_ids=ONE_ACCOUNT, **ONE_AT_A_TIME)
    result = run_tap(Tap, config, streams=["view_events"])
    assert result.error is None
    assert len(result.records["view_events"]) == 300
    asked = server.requests.matching("/view_events")
    throttled, retried = asked[1], asked[2]
    assert throttled.arg("offset") == retried.arg("offset") == "100"
    assert retried.at - throttled.at >= 2.0


def test_a_burst_of_5xx_and_dropped_connections_is_survived(server: EmulatorServer) -> None:
    server.faults.add(Fault("status", path="/view_events", status=500, skip=1, times=3))
    server.faults.add(Fault("status", path="/view_events", status=504, times=2))
    server.faults.add(Fault("drop", path="/view_events", times=1))
    server.faults.add(Fault("malformed", path="/view_events", times=1))
    config = tap_config(server.url, account_ids=ONE_ACCOUNT, **FAST_RETRIES)
    result = run_tap(Tap, config, streams=["view_events"])
    assert result.error is None
    keys = [r["view_event_key"] for r in result.records["view_events"]]
    assert len(keys) == len(set(keys)) == 300
    assert len(server.requests.matching("/view_events")) == 3 + 7


def owed_reasons(result: TapOutput, stream: str) -> list[str]:
    """The reasons of the items the last state owes for ``stream``."""
    entry = result.state.get("bookmarks", {}).get(stream, {})
    return [o["reason"] for o in entry.get("owed", [])]


def test_retries_have_a_limit(server: EmulatorServer) -> None:
    server.faults.add(Fault("status", path="/leads", status=500, times=None))
    # Waits of 4, 8, 16 ... ms: nine of them (about 2.1 s) fit in the 3 s budget, a tenth
    # (2 s more) would not: ten tries in all.
    config = tap_config(
        server.url,
        account_ids=ONE_ACCOUNT,
        retry_initial_wait_seconds=0.004,
        retry_budget_seconds=3,
    )
    # Issue 9: a lasting 5xx is an answer about this account: it is skipped and owed (the
    # whole API failing, no answer or 429, still ends the sync: test_retries.py).
    result = run_tap(Tap, config, streams=["leads"])
    (gave_up,) = result.log_lines("leads: gave up on")
    assert "HTTP 500 INTERNAL_ERROR" in gave_up
    assert len(server.requests.matching("/leads")) == 10
    assert "retry_budget_seconds (now 3 s)" in gave_up
    assert len(result.log_lines("leads: try ")) == 9
    [reason] = owed_reasons(result, "leads")
    assert "HTTP 500 INTERNAL_ERROR" in reason


def test_400_ends_the_sync_with_the_api_message_and_state(server: EmulatorServer) -> None:
    body = json.dumps([{"error_code": "BAD_REQUEST_ERROR", "message": "offset is too large"}])
    server.faults.add(Fault("status", path="/view_events", status=400, skip=2, body=body))
    config = tap_config(server.url, account_ids=ONE_ACCOUNT, page_size=50)
    result = run_tap(Tap, config, streams=["view_events"], expect_error=True)
    assert result.error is not None
    assert "HTTP 400 BAD_REQUEST_ERROR: offset is too large" in str(result.error)
    assert len(server.requests.matching("/view_events")) == 3  # not retried
    records = result.records["view_events"]
    assert len(records) == 100
    assert result.bookmark("view_events", account_id=ACCOUNTS[0]) == records[-1]["updated_at"]


def test_a_fatal_answer_before_any_record_writes_no_state(server: EmulatorServer) -> None:
    # Nothing was emitted: the state of the last run stays the one to continue from.
    server.faults.add(Fault("status", path="/leads", status=400))
    config = tap_config(server.url, account_ids=ONE_ACCOUNT)
    result = run_tap(Tap, config, streams=["leads"], expect_error=True)
    assert "HTTP 400" in str(result.error)
    assert result.records["leads"] == []
    assert result.states == []


def test_404_names_the_path(server: EmulatorServer) -> None:
    config = tap_config(server.url, api_url=f"{server.url}/v2")
    result = run_tap(Tap, config, streams=["leads"], expect_error=True)
    assert result.error is not None
    assert "HTTP 404 RESOURCE_NOT_FOUND" in str(result.error)
    assert f"/v2/accounts/{ACCOUNTS[0]}/leads" in str(result.error)


def test_a_page_that_repeats_owes_the_account_instead_of_looping(server: EmulatorServer) -> None:
    page = {
        "count": 1000,
        "limit": 100,
        "offset": 0,
        "result": [{"created_at": "2026-01-02T00:00:00.000Z", "email_address": "a@b.c"}] * 100,
    }
    server.faults.add(Fault("status", path="/leads", status=200, body=json.dumps(page), times=None))
    config = tap_config(server.url, account_ids=ONE_ACCOUNT)
    result = run_tap(Tap, config, streams=["leads"])  # issue 9: the account is owed
    [reason] = owed_reasons(result, "leads")
    assert "repeats the previous page" in reason
    assert len(server.requests.matching("/leads")) == 2


def test_a_page_that_never_ends_owes_the_account(server: EmulatorServer) -> None:
    # Every page is new, but its count always promises one more: stop after
    # ceil(first count / limit) + 2 pages instead of paging forever.
    for k in range(8):
        record = {"created_at": f"2026-01-02T00:00:0{k}.000Z", "email_address": f"{k}@b.c"}
        body = json.dumps({"count": k + 2, "limit": 1, "offset": k, "result": [record]})
        server.faults.add(Fault("status", path="/leads", status=200, body=body, times=1))
    config = tap_config(server.url, account_ids=ONE_ACCOUNT, page_size=1)
    result = run_tap(Tap, config, streams=["leads"])  # issue 9: the account is owed
    [reason] = owed_reasons(result, "leads")
    assert "paging never ends" in reason
    assert len(server.requests.matching("/leads")) == 5
    assert len(result.records["leads"]) == 5  # each page read is new and kept


def test_the_api_rate_limit_is_waited_out() -> None:
    server = start_emulator("brightcove", size=300, rate_limit=2)
    try:
        config = tap_config(server.url, account_ids=ONE_ACCOUNT, page_size=50)
        result = run_tap(Tap, config, streams=["view_events"])
    finally:
        server.stop()
    assert result.error is None
    assert len({r["view_event_key"] for r in result.records["view_events"]}) == 300
    asked = server.requests.matching("/view_events")
    assert len(asked) > 6  # some were throttled (429, Retry-After: 1) and asked again


def test_records_out_of_the_requested_order_skip_the_account_with_state(
    server: EmulatorServer,
) -> None:
    rows = [
        {"created_at": "2026-01-02T00:00:00.000Z", "email_address": "a@b.c"},
        {"created_at": "2026-01-03T00:00:00.000Z", "email_address": "b@b.c"},
        {"created_at": "2026-01-01T12:00:00.000Z", "email_address": "c@b.c"},
    ]
    body = json.dumps({"count": 3, "limit": 100, "offset": 0, "result": rows})
    server.faults.add(Fault("status", path="/leads", status=200, body=body))
    config = tap_config(server.url, account_ids=ONE_ACCOUNT)
    result = run_tap(Tap, config, streams=["leads"])  # issue 9: the account is owed
    [reason] = owed_reasons(result, "leads")
    assert "did not sort as asked" in reason
    assert len(result.records["leads"]) == 2
    assert result.bookmark("leads", account_id=ACCOUNTS[0]) == "2026-01-03T00:00:00.000Z"


def _failure(status: int, retry_after: str | None = None) -> RetriableAPIError:
    response = requests.Response()
    response.status_code = status
    if retry_after is not None:
        response.headers["Retry-After"] = retry_after
    error = RetryAtOnceError if status == 401 else RetriableAPIError
    return error("failed", response)


def _waits(
    monkeypatch: pytest.MonkeyPatch, failures: list[RetriableAPIError], **settings: object
) -> list[float]:
    """The waits the stream's retry contract asks for after each failure, on a clock that
    moves by each wait (as backoff sleeps it); fewer than failures when it gives up."""
    config = tap_config("http://127.0.0.1:9", **settings)
    stream = Tap(config=config, validate_config=False).streams["leads"]
    assert isinstance(stream, BrightcoveStream)
    clock = [1000.0]
    monkeypatch.setattr(time, "monotonic", lambda: clock[0])
    waits = stream.backoff_wait_generator()
    next(waits)  # backoff primes it before the first try
    asked: list[float] = []
    for failure in failures:
        try:
            wait = waits.send(failure)
        except StopIteration:
            break
        asked.append(stream.backoff_jitter(wait))
        clock[0] += wait
    return asked


def test_retry_budget_outlasts_a_one_minute_throttling_window(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    waits = _waits(monkeypatch, [_failure(500)] * 100)
    firsts = [1.0, 2.0, 4.0, 8.0]
    assert all(base <= wait <= base * 1.1 for base, wait in zip(firsts, waits[:4], strict=True))
    assert 60.0 <= max(waits) <= 66.0  # capped at 60 s, plus up to 10 % jitter
    assert sum(waits) > 3 * 60
    assert sum(waits) <= 600  # retry_budget_seconds' default
    assert _waits(monkeypatch, [_failure(429, "7")]) == [7.0]
    # Beyond the budget: no wait at all, the request fails for good at once.
    assert _waits(monkeypatch, [_failure(429, "100000")]) == []
    in_a_while = email.utils.format_datetime(datetime.now(UTC) + timedelta(seconds=30), True)
    [wait] = _waits(monkeypatch, [_failure(503, in_a_while)])
    assert 25 <= wait <= 30
    assert _waits(monkeypatch, [_failure(401)]) == [0.0]
    assert Tap(config=tap_config("http://127.0.0.1:9")).streams["leads"].backoff_jitter(10.0) >= 10


def test_the_budget_and_first_wait_are_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    waits = _waits(
        monkeypatch, [_failure(503)] * 20, retry_initial_wait_seconds=0.5, retry_budget_seconds=4
    )
    assert len(waits) == 3  # 0.5 + 1 + 2 fit in 4 s; 4 more would not
    assert all(b <= w <= b * 1.1 for b, w in zip([0.5, 1.0, 2.0], waits, strict=True))
    assert _waits(monkeypatch, [_failure(503)], retry_budget_seconds=0) == []
