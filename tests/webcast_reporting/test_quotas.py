"""Quotas: the tap's own hourly count, the API's 61/62, expired events once per 48 hours; a run
that meets a quota ends cleanly with its state saved and the next run continues."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from testkit import run_cli
from webcast_reporting.helpers import TAP, config, seen

from emulators import EmulatorServer

EVENTS = ["123456", "2227117", "2227118"]
EXPIRED = "2227119"


def reported(server: EmulatorServer) -> list[str]:
    return [r.arg("ei") or "" for r in server.requests.matching("report/")]


def test_hourly_limit_ends_the_run_cleanly_and_the_next_run_continues(
    tmp_path: Path, server: EmulatorServer
) -> None:
    cfg = config(server.url, event_ids=EVENTS, max_reports_per_hour=2)
    first = seen(run_cli(TAP, cfg, tmp_path))
    assert first.returncode == 0, first.logs[-2000:]
    assert reported(server) == EVENTS[:2]  # the third is never sent to be refused
    assert first.log_lines("2 reports an hour reached")
    assert first.log_lines("1 events left for the next run (2227118)")
    second = seen(run_cli(TAP, cfg, tmp_path, state=first.state))
    assert second.returncode == 0, second.logs[-2000:]
    assert reported(server) == EVENTS  # each event asked for exactly once over both runs
    assert {r["event_id"] for r in second.records["event_reports"]} == {"2227118"}
    emails = first.keys("registrants", "event_id", "email") + second.keys(
        "registrants", "event_id", "email"
    )
    assert len(emails) == len(set(emails)) == 6 + 12 + 12
    assert server.state.quotas.concurrent_refusals == 0  # one report in flight at a time


def test_api_quota_answer_ends_cleanly_with_state_saved(
    tmp_path: Path, server: EmulatorServer
) -> None:
    server.state.answer_code(62, "/report/", event_id="2227117")
    cfg = config(server.url, event_ids=EVENTS)
    first = seen(run_cli(TAP, cfg, tmp_path))
    assert first.returncode == 0, first.logs[-2000:]
    assert reported(server) == ["123456", "2227117"]
    assert first.log_lines("returnCode 62")
    partitions = first.state["bookmarks"]["event_reports"]["partitions"]
    assert [p["context"]["event_id"] for p in partitions if "replication_key_value" in p] == [
        "123456"
    ]
    second = seen(run_cli(TAP, cfg, tmp_path, state=first.state))
    assert second.returncode == 0, second.logs[-2000:]
    assert reported(server) == ["123456", "2227117", "2227117", "2227118"]


def test_api_quota_answer_is_waited_out_within_the_budget(
    tmp_path: Path, server: EmulatorServer
) -> None:
    server.state.answer_code(61, "/report/", event_id="2227117")
    run = seen(
        run_cli(TAP, config(server.url, event_ids=["2227117"], quota_wait_seconds=1), tmp_path)
    )
    assert run.returncode == 0, run.logs[-2000:]
    assert reported(server) == ["2227117", "2227117"]
    assert len(run.records["registrants"]) == 12
    assert run.log_lines("asking again in 1 s")


def test_unchanged_events_are_not_reported_again(tmp_path: Path, server: EmulatorServer) -> None:
    cfg = config(server.url, event_ids=EVENTS)
    first = seen(run_cli(TAP, cfg, tmp_path))
    second = seen(run_cli(TAP, cfg, tmp_path, state=first.state))
    assert second.returncode == 0
    assert reported(server) == EVENTS
    assert "event_reports" not in second.records
    assert len(second.log_lines("no registration or session since its last report")) == 3


def test_expired_events_use_their_own_request_once_per_48_hours(
    tmp_path: Path, server: EmulatorServer
) -> None:
    cfg = config(server.url, event_ids=[EXPIRED], include_expired=True)
    first = seen(run_cli(TAP, cfg, tmp_path))
    assert first.returncode == 0, first.logs[-2000:]
    assert [r.path for r in server.requests.matching("report/")] == [
        "/api/reporting/expiredreport/xml"
    ]
    assert len(first.records["registrants"]) == 12
    partition = first.state["bookmarks"]["event_reports"]["partitions"][0]
    assert partition["expired_report_at"].endswith("Z")

    # Even if the event list says it moved, the API allows one report per 48 hours.
    recent = {"context": {"event_id": EXPIRED}, "expired_report_at": _ago(hours=47)}
    second = seen(run_cli(TAP, cfg, tmp_path, state=_state(recent)))
    assert second.returncode == 0
    assert len(server.requests.matching("report/")) == 1
    assert second.log_lines("one report per 48 hours")

    old = {"context": {"event_id": EXPIRED}, "expired_report_at": _ago(hours=49)}
    server.state.quotas._expired_last.clear()  # the emulator's clock has not moved 48 hours
    third = seen(run_cli(TAP, cfg, tmp_path, state=_state(old)))
    assert third.returncode == 0, third.logs[-2000:]
    assert len(server.requests.matching("report/")) == 2


def test_expired_events_are_left_out_unless_asked_for(
    tmp_path: Path, server: EmulatorServer
) -> None:
    run = seen(run_cli(TAP, config(server.url, event_ids=[EXPIRED, "2227117"]), tmp_path))
    assert run.returncode == 0
    assert reported(server) == ["2227117"]
    assert run.log_lines("Event 2227119 is expired and include_expired is off")


def _ago(hours: float) -> str:
    return (datetime.now(UTC) - timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _state(partition: dict) -> dict:
    return {"bookmarks": {"event_reports": {"partitions": [partition]}}}


def test_per_event_limit_skips_only_that_event(tmp_path: Path, server: EmulatorServer) -> None:
    server.state.answer_code(61, "/report/", event_id="2227117")
    run = seen(run_cli(TAP, config(server.url, event_ids=EVENTS), tmp_path))
    assert run.returncode == 0, run.logs[-2000:]
    assert reported(server) == EVENTS
    assert {r["event_id"] for r in run.records["event_reports"]} == {"123456", "2227118"}
    # Issue 9: skipped and owed (it was skipped "until a later run" and forgotten before).
    [line] = run.log_lines("skipped event_id=2227117, is_expired=False, owed to the next sync")
    assert "returnCode 61" in line
    assert "the API's limit for this event" in line
    [owed] = run.state["bookmarks"]["event_reports"]["owed"]
    assert owed["item"] == {"event_id": "2227117", "is_expired": False}
