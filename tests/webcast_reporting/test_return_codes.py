"""Every return code does what the issue says: success is 1 whatever the HTTP status; 10 skips
the event (permanent: not owed); 11 logs in again once; 50/60 are retried; 51 (invalid data in
this event's report) owes the event; 0 and 70-74 stop with a clear error."""

from __future__ import annotations

from pathlib import Path

import pytest
from testkit import run_cli
from webcast_reporting.helpers import TAP, config, seen

from emulators import EmulatorServer, Fault

EVENT = "2227117"
OTHER = "2227118"
FATAL = {
    0: "general error",
    70: "insecure tags",
    71: "invalid version number",
    72: "missing or invalid input parameters",
    73: "ambiguous platform",
    74: "could not be identified",
}


def test_code_10_skips_the_event_with_a_warning_and_goes_on(
    tmp_path: Path, server: EmulatorServer
) -> None:
    server.state.answer_code(10, "/report/", event_id=EVENT)
    run = seen(run_cli(TAP, config(server.url, event_ids=[EVENT, OTHER]), tmp_path))
    assert run.returncode == 0, run.logs[-2000:]
    assert {r["event_id"] for r in run.records["event_reports"]} == {OTHER}
    warning = run.log_lines("Skipping event 2227117")
    assert warning
    assert "returnCode 10" in warning[0]
    partitions = run.state["bookmarks"]["event_reports"]["partitions"]
    bookmarked = [p["context"]["event_id"] for p in partitions if "replication_key_value" in p]
    assert bookmarked == [OTHER]  # the skipped event is asked for again next run
    assert "owed" not in run.state["bookmarks"]["event_reports"]  # permanent: not owed


@pytest.mark.parametrize("fmt", ["xml", "csv"])
def test_code_51_owes_that_event_and_the_sync_goes_on(
    tmp_path: Path, server: EmulatorServer, fmt: str
) -> None:
    """51, "invalid data in the report", is about one event's report: owed, never the end of
    every later sync (it stopped the sync before issue 9)."""
    server.state.answer_code(51, "/report/", event_id=EVENT)
    cfg = config(server.url, event_ids=[EVENT, OTHER], report_format=fmt, timezone="GMT")
    run = seen(run_cli(TAP, cfg, tmp_path))
    assert run.returncode == 0, run.logs[-2000:]
    assert {r["event_id"] for r in run.records["event_reports"]} == {OTHER}
    [owed] = run.state["bookmarks"]["event_reports"]["owed"]
    assert owed["item"] == {"event_id": EVENT, "is_expired": False}
    assert "returnCode 51" in owed["reason"]
    assert len(server.requests.matching("/report/")) == 2  # never retried


def test_code_11_logs_in_again_once_and_the_report_succeeds(
    tmp_path: Path, server: EmulatorServer
) -> None:
    logins = server.state.logins
    server.state.answer_code(11, "/report/")
    run = seen(run_cli(TAP, config(server.url, event_ids=[EVENT]), tmp_path))
    assert run.returncode == 0, run.logs[-2000:]
    assert len(run.records["registrants"]) == 12
    assert server.state.logins - logins == 2
    assert len(server.requests.matching("/report/")) == 2


def test_code_11_right_after_a_new_login_is_an_error(
    tmp_path: Path, server: EmulatorServer
) -> None:
    server.state.answer_code(11, "/report/", times=2)
    run = seen(run_cli(TAP, config(server.url, event_ids=[EVENT]), tmp_path))
    assert run.returncode != 0
    assert "event 2227117" in run.logs
    assert "right after a new login" in run.logs
    assert len(server.requests.matching("/report/")) == 2  # never a loop of logins


@pytest.mark.parametrize("code", [50, 60])
def test_codes_50_and_60_are_retried_with_backoff(
    tmp_path: Path, server: EmulatorServer, code: int
) -> None:
    server.state.answer_code(code, "/report/", times=2)
    run = seen(run_cli(TAP, config(server.url, event_ids=[EVENT]), tmp_path))
    assert run.returncode == 0, run.logs[-2000:]
    assert len(run.records["registrants"]) == 12
    assert len(server.requests.matching("/report/")) == 3
    # One warning a retry (backoff also logs each at INFO, through the SDK's request_decorator).
    warnings = [line for line in run.log_lines(f"returnCode {code}") if "WARNING" in line]
    assert len(warnings) == 2


def test_code_50_that_persists_ends_when_the_retry_budget_is_spent(
    tmp_path: Path, server: EmulatorServer
) -> None:
    """Waits of 0.5 and 1 s fit the budget of 3 s, the next (2 s) would not: three tries."""
    server.state.answer_code(50, "/report/", times=None)
    cfg = config(
        server.url, event_ids=[EVENT], retry_initial_wait_seconds=0.5, retry_budget_seconds=3
    )
    run = seen(run_cli(TAP, cfg, tmp_path))
    assert run.returncode != 0
    assert len(server.requests.matching("/report/")) == 3
    assert "not available" in run.logs
    final = run.log_lines("gave up on")
    assert final
    assert "returnCode 50" in final[-1]
    assert "retry_budget_seconds (now 3 s)" in final[-1]


@pytest.mark.parametrize(("code", "meaning"), sorted(FATAL.items()))
@pytest.mark.parametrize("fmt", ["xml", "csv"])
def test_fatal_codes_stop_with_the_event_and_the_meaning(
    tmp_path: Path, server: EmulatorServer, code: int, meaning: str, fmt: str
) -> None:
    server.state.answer_code(code, "/report/")
    cfg = config(server.url, event_ids=[EVENT], report_format=fmt, timezone="GMT")
    run = seen(run_cli(TAP, cfg, tmp_path))
    assert run.returncode != 0
    errors = [line for line in run.logs.splitlines() if f"returnCode {code}" in line]
    assert errors, run.logs[-2000:]
    assert "event 2227117" in errors[0]
    assert meaning in errors[0]
    assert len(server.requests.matching("/report/")) == 1  # never retried


def test_success_is_the_return_code_whatever_the_http_status(
    tmp_path: Path, server: EmulatorServer
) -> None:
    body = '<convey_api version="2.0"><result><returnCode>72</returnCode></result></convey_api>'
    server.faults.add(
        Fault("status", path="/report/", status=200, body=body, content_type="application/xml")
    )
    run = seen(run_cli(TAP, config(server.url, event_ids=[EVENT]), tmp_path))
    assert run.returncode != 0
    assert "returnCode 72" in run.logs


def test_a_cut_report_is_fetched_again_and_nothing_is_emitted_twice(
    tmp_path: Path, server: EmulatorServer
) -> None:
    server.faults.add(Fault("malformed", path="/report/"))
    run = seen(run_cli(TAP, config(server.url, event_ids=[EVENT]), tmp_path))
    assert run.returncode == 0, run.logs[-2000:]
    emails = [r["email"] for r in run.records["registrants"]]
    assert len(emails) == 12 == len(set(emails))
    assert len(server.requests.matching("/report/")) == 2
    assert run.log_lines("ended early")


def test_a_dropped_connection_on_the_event_list_is_retried(
    tmp_path: Path, server: EmulatorServer
) -> None:
    server.faults.add(Fault("drop", path="/eventlist"))
    run = seen(run_cli(TAP, config(server.url, event_ids=[EVENT]), tmp_path))
    assert run.returncode == 0, run.logs[-2000:]
    assert len(server.requests.matching("/eventlist")) == 2
