"""How the tap answers the API's errors: 401, 413, 422, 429, 5xx, broken bodies; no secret
in any log line."""

from __future__ import annotations

import base64
import email.utils
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from conviva_sessions.helpers import (
    CONTENT_SESSIONS,
    ONE_AT_A_TIME,
    SECRET,
    TAP_EXE,
    base_config,
    epoch_ms,
    session_ids,
)
from testkit import assert_no_secret, run_cli, run_tap

from emulators import Fault
from tap_conviva_sessions import settings
from tap_conviva_sessions.client import ConvivaStream
from tap_conviva_sessions.tap import TapConvivaSessions

CONTENT = r"/sessions/content$"


def content_requests(server):
    return [r for r in server.requests if r.path.endswith("/sessions/content")]


def expected_ids(server, config) -> set[str]:
    start = epoch_ms(datetime.fromisoformat(config["start_date"]))
    return server.state.session_ids(
        "content", start, epoch_ms(datetime.fromisoformat(config["end_date"]))
    )


def test_401_names_the_api_credentials_and_never_the_secret(conviva, tmp_path: Path) -> None:
    wrong = "not-the-secret-7f3a"
    run = run_cli(
        TAP_EXE, base_config(conviva, client_secret=wrong), tmp_path, streams=CONTENT_SESSIONS
    )

    assert run.returncode != 0
    assert "refused the API credentials (HTTP 401)" in run.logs
    assert "not a Pulse user login" in run.logs
    assert len(conviva.requests) == 1  # the discovery request; nothing retried
    basic = base64.b64encode(f"emulator-client:{wrong}".encode()).decode()
    assert_no_secret(run.logs, wrong, basic)


def test_422_ends_the_sync_naming_the_window_with_the_finished_windows_saved(
    conviva, tmp_path: Path
) -> None:
    config = base_config(conviva, window_minutes=30, **ONE_AT_A_TIME)  # the 4th window refused
    message = '{"message": "The maximum length of a query time range per API request is 3 hours"}'
    conviva.faults.add(Fault("status", path=CONTENT, status=422, body=message, skip=3, times=1))

    run = run_cli(TAP_EXE, config, tmp_path, streams=CONTENT_SESSIONS)

    assert run.returncode != 0
    start = datetime.fromisoformat(config["start_date"])
    fourth = (start + timedelta(minutes=90)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    line = next(line for line in run.logs.splitlines() if "HTTP 422" in line)
    assert f"start_date={fourth}" in line
    assert "at most 3 hours" in line
    assert run.bookmark("content_sessions") == fourth  # the three finished windows are kept
    assert len(content_requests(conviva)) == 4


def test_413_splits_the_window_and_loses_nothing(conviva) -> None:
    config = base_config(conviva, **ONE_AT_A_TIME)  # then the second request is the first half
    conviva.faults.add(Fault("status", path=CONTENT, status=413, times=1))

    run = run_tap(TapConvivaSessions, config, streams=CONTENT_SESSIONS)

    first, second = content_requests(conviva)[:2]
    assert first.arg("start_date") == second.arg("start_date")
    span = datetime.fromisoformat(second.arg("end_date")) - datetime.fromisoformat(
        second.arg("start_date")
    )
    assert span == timedelta(minutes=90)
    assert set(session_ids(run)) == expected_ids(conviva, config)


def test_413_at_one_minute_asks_for_fewer_sessions(conviva) -> None:
    config = base_config(conviva, window_minutes=1, page_size=400)
    config["start_date"] = (
        datetime.fromisoformat(config["end_date"]) - timedelta(minutes=1)
    ).isoformat()
    conviva.faults.add(Fault("status", path=CONTENT, status=413, times=1))

    run = run_tap(TapConvivaSessions, config, streams=CONTENT_SESSIONS)

    assert [r.arg("limit") for r in content_requests(conviva)] == ["400", "200"]
    assert session_ids(run)


@pytest.mark.parametrize("status", [429, 500, 502, 503])
def test_throttling_and_server_errors_are_retried(conviva, tmp_path: Path, status: int) -> None:
    config = base_config(conviva)
    conviva.faults.add(
        Fault("status", path=CONTENT, status=status, times=2, headers={"Retry-After": "0"})
    )

    run = run_cli(TAP_EXE, config, tmp_path, streams=CONTENT_SESSIONS)

    assert run.returncode == 0, run.logs[-2000:]
    retries = run.log_lines("content_sessions: try ")
    assert len(retries) == 2
    assert all(f"HTTP {status}" in line for line in retries)
    assert set(session_ids(run)) == expected_ids(conviva, config)
    assert_no_secret(
        run.logs, SECRET, base64.b64encode(f"emulator-client:{SECRET}".encode()).decode()
    )


@pytest.mark.parametrize("kind", ["malformed", "drop"])
def test_broken_answers_are_retried(conviva, kind: str) -> None:
    config = base_config(conviva, retry_initial_wait_seconds=0.01)
    conviva.faults.add(Fault(kind, path=CONTENT, times=1))

    run = run_tap(TapConvivaSessions, config, streams=CONTENT_SESSIONS)

    first, second = content_requests(conviva)[:2]
    assert first.query == second.query  # the same window asked again
    assert set(session_ids(run)) == expected_ids(conviva, config)


def test_retries_give_up_with_the_api_message_and_keep_finished_windows(conviva) -> None:
    # Each 503 asks for 2 s (Retry-After): tries at about 0, 2 and 4 s, and a fourth would
    # start at 6 s, past the 5 s budget.
    config = base_config(conviva, window_minutes=60, retry_budget_seconds=5, **ONE_AT_A_TIME)
    conviva.faults.add(
        Fault("status", path=CONTENT, status=503, skip=1, times=None, headers={"Retry-After": "2"})
    )

    with pytest.raises(Exception, match="HTTP 503") as raised:
        run_tap(TapConvivaSessions, config, streams=CONTENT_SESSIONS)

    assert SECRET not in str(raised.value)
    assert len(content_requests(conviva)) == 1 + 3
    assert "retry_budget_seconds" in str(raised.value)
    assert urlsplit(conviva.url).netloc in str(raised.value)


class Answer:
    def __init__(self, headers: dict[str, str]) -> None:
        self.headers = headers


class ThrottledError(Exception):
    def __init__(self, headers: dict[str, str]) -> None:
        self.response = Answer(headers)


def content_stream(**settings: Any) -> ConvivaStream:
    config = {
        "client_id": "c",
        "client_secret": "s",
        "start_date": "2026-11-01T00:00:00Z",
        **settings,
    }
    stream = TapConvivaSessions(config=config).streams["content_sessions"]
    assert isinstance(stream, ConvivaStream)
    return stream


def test_waits_follow_retry_after_else_grow_exponentially() -> None:
    waits = content_stream().backoff_wait_generator()
    waits.send(None)
    observed = [waits.send(ThrottledError({})) for _ in range(6)]
    # From retry_initial_wait_seconds (5 s by default), doubling up to 60 s, plus 0..10 %.
    for wait, base in zip(observed, [5, 10, 20, 40, 60, 60], strict=True):
        assert base <= wait <= base * 1.1
    assert waits.send(ThrottledError({"Retry-After": "7"})) == 7
    # The default budget outlasts the 5-minute throttling window (3000 requests per 5 minutes).
    assert settings.CONFIG_SCHEMA["properties"]["retry_budget_seconds"]["default"] > 300


def test_retry_after_as_an_http_date_is_honoured() -> None:
    waits = content_stream().backoff_wait_generator()
    waits.send(None)
    when = email.utils.format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    assert 28 <= waits.send(ThrottledError({"Retry-After": when})) <= 30
    past = email.utils.format_datetime(datetime.now(UTC) - timedelta(seconds=30), usegmt=True)
    assert waits.send(ThrottledError({"Retry-After": past})) == 0


def test_a_wait_past_the_budget_ends_the_retries() -> None:
    waits = content_stream(retry_budget_seconds=3).backoff_wait_generator()
    waits.send(None)
    assert waits.send(ThrottledError({"Retry-After": "2"})) == 2
    with pytest.raises(StopIteration):
        waits.send(ThrottledError({"Retry-After": "5"}))
    never = content_stream(retry_budget_seconds=0).backoff_wait_generator()
    never.send(None)
    with pytest.raises(StopIteration):
        never.send(ThrottledError({}))
