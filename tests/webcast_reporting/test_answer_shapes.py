"""Answers that are well-formed but not the documented shape (issue 9): a JSON or CSV failure
without returnCode, an HTML page, a report without its rows, an event list whose items go by
another name. Each is retried, then the event is owed (a report) or the sync ends (a list):
never an empty success. And the guesses about the report call's names (its path, the event
parameter) fail loudly when they are wrong."""

from __future__ import annotations

from pathlib import Path

import pytest
from testkit import run_cli
from webcast_reporting.helpers import TAP, config, seen

from emulators import EmulatorServer

EVENT, OTHER = "2227117", "2227118"
FAST = {"retry_initial_wait_seconds": 0.1, "retry_budget_seconds": 1, "timezone": "GMT"}


@pytest.mark.parametrize(
    ("fmt", "kind", "found"),
    [
        ("json", "error_without_code", "data_headers with Email, then data_rows, expected"),
        ("json", "no_viewers", "data_headers with Email, then data_rows, expected"),
        ("json", "html", "an HTML page"),
        ("csv", "error_without_code", "a failure without a return code"),
        ("csv", "html", "an HTML page"),
        ("xml", "error_without_code", "XML without returnCode"),
    ],
)
def test_an_answer_that_is_not_a_report_is_retried_then_owed(
    tmp_path: Path, server: EmulatorServer, fmt: str, kind: str, found: str
) -> None:
    server.state.break_report(kind, event_id=EVENT)
    cfg = config(server.url, event_ids=[EVENT, OTHER], report_format=fmt, **FAST)
    run = seen(run_cli(TAP, cfg, tmp_path))
    assert run.returncode == 0, run.logs[-3000:]
    assert {r["event_id"] for r in run.records["event_reports"]} == {OTHER}
    assert {r["event_id"] for r in run.records["registrants"]} == {OTHER}
    asked = [r.arg("ei") for r in server.requests.matching("/report/")]
    assert asked.count(EVENT) >= 2  # retried within the budget
    [owed] = run.state["bookmarks"]["event_reports"]["owed"]
    assert owed["item"] == {"event_id": EVENT, "is_expired": False}
    assert found in owed["reason"]
    [warning] = run.log_lines("event_reports: try 1 failed")
    assert f"event {EVENT}" in warning


def test_an_event_list_whose_items_go_by_another_name_fails_loudly(
    tmp_path: Path, server: EmulatorServer
) -> None:
    """The page shows one <event_info> element and nothing around it: a list of <event>
    elements would be an empty list, exit 0, every report lost. It is not the documented shape:
    retried, then the sync ends with an error naming what it found."""
    server.state.event_element = "event"
    run = seen(run_cli(TAP, config(server.url, **FAST), tmp_path))
    assert run.returncode != 0
    final = run.log_lines("gave up on")
    assert final, run.logs[-2000:]
    assert "the answer holds no <event_info> but <event>: not the documented shape" in final[-1]
    assert len(server.requests.matching("/eventlist")) >= 2
    assert not server.requests.matching("/report/")


def test_a_report_path_the_api_does_not_serve_fails_loudly(
    tmp_path: Path, server: EmulatorServer
) -> None:
    """The report's path is assumed (/report/{format}); where the API serves another, the
    tap's is answered 404: the sync stops naming the call, never an empty sync."""
    server.state.report_path = "audience"
    run = seen(run_cli(TAP, config(server.url, event_ids=[EVENT]), tmp_path))
    assert run.returncode != 0
    assert run.log_lines("event_reports call for event 2227117: HTTP 404")
    assert len(server.requests.matching("/report/")) == 1


def test_an_expired_report_path_the_api_does_not_serve_fails_loudly(
    tmp_path: Path, server: EmulatorServer
) -> None:
    server.state.expired_report_path = "expired"
    cfg = config(server.url, event_ids=["2227119"], include_expired=True)
    run = seen(run_cli(TAP, cfg, tmp_path))
    assert run.returncode != 0
    assert run.log_lines("event_reports call for event 2227119: HTTP 404")


def test_an_event_parameter_the_api_knows_by_another_name_fails_loudly(
    tmp_path: Path, server: EmulatorServer
) -> None:
    """The event parameter is assumed (ei): the API answers that a parameter is missing."""
    server.state.parameter_names["ei"] = "eventid"
    run = seen(run_cli(TAP, config(server.url, event_ids=[EVENT]), tmp_path))
    assert run.returncode != 0
    [error] = [x for x in run.logs.splitlines() if "returnCode 72" in x][:1]
    assert "event 2227117" in error
    assert "missing or invalid input parameters" in error


def test_a_csv_report_without_the_assumed_sessions_column_says_what_is_missing(
    tmp_path: Path, server: EmulatorServer
) -> None:
    """The CSV sessions column is assumed (the page shows no CSV sample): a CSV without it
    carries no sessions; each row's Total Sessions tells, and a warning counts them."""
    server.state.csv_sessions = False
    cfg = config(server.url, event_ids=[EVENT], report_format="csv", timezone="GMT")
    run = seen(run_cli(TAP, cfg, tmp_path))
    assert run.returncode == 0, run.logs[-2000:]
    assert len(run.records["registrants"]) == 12
    assert "viewing_sessions" not in run.records
    with_sessions = sum(1 for r in run.records["registrants"] if r["total_sessions"])
    assert with_sessions
    [warning] = run.log_lines("count other Total Sessions than the sessions it lists")
    assert f"Event {EVENT}: {with_sessions} registrants of the CSV report" in warning
