"""Owed event reports (issue 9): one bad event's report never blocks the others and is never
forgotten. After its retries it is skipped with a warning and owed (kept in the state); the next
sync asks for it first; once it recovers, its records arrive once. Answers the docs call
permanent (returnCode 10, an expired event inside its 48 hours) are skipped, not owed. Progress
is saved after each event, so a killed sync does not ask for the reports it finished again."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from testkit import PgTarget, TapOutput, run_cli
from webcast_reporting.helpers import TAP, config, seen

from emulators import EmulatorServer

SIZE = 12
#: Events 2227118.. each broken one way (the emulator's switches), 2227117 whole.
BROKEN = {
    "2227118": "unrepairable",  # vendor XML no repair settles: owed at once, never retried
    "2227119": "html",  # an HTML page with HTTP 200: retried, then owed
    "2227120": "no_viewers",  # a report without <viewers>: retried, then owed
    "2227121": "no_timezone",  # times whose zone cannot be told: owed at once
    "2227122": "error_without_code",  # a failure answer without returnCode: retried, owed
}
PER_EVENT_LIMIT = "2227123"  # answers returnCode 61 (the API's limit for one event)
OWED = [*BROKEN, PER_EVENT_LIMIT]
WHOLE = "2227117"
SAMPLES = ("123456", "20786")  # the page's samples (20786 answers returnCode 10 in XML)
# Retried answers: tries at 0, 0.1, 0.3 and 0.7 s, then owed.
FAST = {"retry_initial_wait_seconds": 0.1, "retry_budget_seconds": 1}


@pytest.fixture(scope="module")
def many() -> Iterator[EmulatorServer]:
    """Eight generated events (the last expired), twelve registrants each."""
    with EmulatorServer("webcasts", size=SIZE, events=8, expired_events=1) as server:
        yield server


def reports_asked(server: EmulatorServer, since: int = 0) -> list[str]:
    """The events whose report was asked for, in order, from the ``since``-th request on."""
    return [r.arg("ei") or "" for r in list(server.requests)[since:] if "/report/" in r.path]


def owed_items(run: TapOutput) -> dict[str, dict[str, Any]]:
    entry = run.state["bookmarks"]["event_reports"]
    return {o["item"]["event_id"]: o for o in entry.get("owed", [])}


def bookmarked(run: TapOutput) -> set[str]:
    partitions = run.state["bookmarks"]["event_reports"].get("partitions", [])
    return {p["context"]["event_id"] for p in partitions if "replication_key_value" in p}


def break_events(server: EmulatorServer) -> None:
    for event_id, kind in BROKEN.items():
        server.state.break_report(kind, event_id=event_id)
    server.state.answer_code(61, "/report/", event_id=PER_EVENT_LIMIT, times=None)


@pytest.mark.postgres
def test_broken_reports_are_owed_asked_first_and_arrive_once_when_they_recover(
    tmp_path: Path, many: EmulatorServer, pg_target: PgTarget
) -> None:
    break_events(many)
    cfg = config(many.url, **FAST)

    # Sync 1: everything else is emitted, exit 0; the broken events are owed, not bookmarked.
    first = seen(run_cli(TAP, cfg, tmp_path))
    assert first.returncode == 0, first.logs[-3000:]
    assert {r["event_id"] for r in first.records["event_reports"]} == {WHOLE, "123456"}
    assert set(owed_items(first)) == set(OWED)
    assert not bookmarked(first) & set(OWED)
    reasons = {e: o["reason"] for e, o in owed_items(first).items()}
    assert "broken at line" in reasons["2227118"]
    assert "an HTML page" in reasons["2227119"]
    assert "without <viewers>" in reasons["2227120"]
    assert "does not state its time zone" in reasons["2227121"]
    assert "XML without returnCode" in reasons["2227122"]
    assert "returnCode 61" in reasons[PER_EVENT_LIMIT]
    assert reports_asked(many).count("2227118") == 1  # unreadable: asking again would not help
    assert reports_asked(many).count("2227119") >= 2  # not the report's shape: asked again
    for event_id in OWED:
        assert first.log_lines(f"skipped event_id={event_id}, is_expired=False, owed")
    [summary] = first.log_lines("Owed to the next sync: 6 item(s)")
    assert "event_reports: event_id=2227118" in summary
    pg_target.load(first, tmp_path)

    # Sync 2: the owed reports are asked for first, still broken: owed for a second sync.
    before = len(many.requests)
    second = seen(run_cli(TAP, cfg, tmp_path, state=first.state))
    assert second.returncode == 0, second.logs[-3000:]
    asked = reports_asked(many, before)
    assert list(dict.fromkeys(asked))[: len(OWED)] == OWED  # owed first, then the rest
    assert asked[-1] == "20786"  # returnCode 10 (permanent): asked again, never owed
    assert "event_reports" not in second.records
    assert {e: o["syncs"] for e, o in owed_items(second).items()} == dict.fromkeys(OWED, 2)
    pg_target.load(second, tmp_path)

    # Sync 3: recovered: asked first, records arrive once, nothing owed, bookmarks set.
    many.state.mend_reports()
    many.state.scripted.clear()
    before = len(many.requests)
    third = seen(run_cli(TAP, cfg, tmp_path, state=second.state))
    assert third.returncode == 0, third.logs[-3000:]
    assert reports_asked(many, before) == [*OWED, "20786"]
    assert {r["event_id"] for r in third.records["event_reports"]} == set(OWED)
    assert not owed_items(third)
    assert bookmarked(third) == {WHOLE, "123456", *OWED}
    assert third.log_lines("Nothing is owed")
    for stream, key in (
        ("registrants", ("event_id", "email")),
        ("viewing_sessions", ("event_id", "email", "session_number")),
    ):
        assert not third.duplicates(stream, *key)  # no record twice within one sync
    pg_target.load(third, tmp_path)

    counts = pg_target.key_counts("registrants", "event_id", "email")
    assert set(counts.values()) == {1}  # every key once
    per_event: dict[str, int] = {}
    for event_id, _email in counts:
        per_event[event_id] = per_event.get(event_id, 0) + 1
    assert per_event == {"123456": 6, WHOLE: SIZE, **dict.fromkeys(OWED, SIZE)}
    reports = pg_target.key_counts("event_reports", "event_id")
    assert set(reports) == {("123456",), (WHOLE,), *((e,) for e in OWED)}


def test_a_sync_with_one_permanently_broken_event_emits_the_rest_and_says_what_is_owed(
    tmp_path: Path, server: EmulatorServer
) -> None:
    server.state.break_report("unrepairable", event_id="2227118")
    cfg = config(server.url, event_ids=["123456", "2227117", "2227118"])
    run = seen(run_cli(TAP, cfg, tmp_path))
    assert run.returncode == 0, run.logs[-3000:]
    assert {r["event_id"] for r in run.records["event_reports"]} == {"123456", "2227117"}
    assert len(run.records["registrants"]) == 6 + 12
    assert set(owed_items(run)) == {"2227118"}
    [summary] = run.log_lines("Owed to the next sync: 1 item(s)")
    assert "event_id=2227118, is_expired=False" in summary

    failing = seen(run_cli(TAP, {**cfg, "fail_on_owed": True}, tmp_path))
    assert failing.returncode == 1
    assert failing.log_lines("1 item(s) owed and fail_on_owed is set")
    assert failing.messages[-1]["type"] == "STATE"
    assert set(owed_items(failing)) == {"2227118"}
    assert len(failing.records["registrants"]) == 6 + 12


def test_an_event_owed_for_more_than_max_owed_syncs_is_dropped_with_an_error(
    tmp_path: Path, server: EmulatorServer
) -> None:
    server.state.break_report("unrepairable", event_id="2227118")
    cfg = config(server.url, event_ids=["2227117", "2227118"], max_owed_syncs=1)
    first = seen(run_cli(TAP, cfg, tmp_path))
    assert set(owed_items(first)) == {"2227118"}
    second = seen(run_cli(TAP, cfg, tmp_path, state=first.state))
    assert second.returncode == 0, second.logs[-3000:]
    [error] = [line for line in second.error_lines() if "no longer owed" in line]
    assert "event_id=2227118, is_expired=False is no longer owed: it failed in 2 syncs" in error
    assert not owed_items(second)
    assert second.log_lines("Nothing is owed")


def test_an_owed_event_gone_from_the_list_is_owed_again_with_why(
    tmp_path: Path, server: EmulatorServer
) -> None:
    owed = {"item": {"event_id": "999", "is_expired": False}, "reason": "HTTP 503"}
    state = {
        "bookmarks": {
            "event_reports": {"owed": [{**owed, "since": "2026-01-01T00:00:00Z", "syncs": 1}]}
        }
    }
    run = seen(run_cli(TAP, config(server.url, event_ids=["2227117"]), tmp_path, state=state))
    assert run.returncode == 0, run.logs[-3000:]
    [entry] = owed_items(run).values()
    assert entry["syncs"] == 2
    assert "no longer in the account's event list" in entry["reason"]


def test_permanent_answers_are_skipped_not_owed(tmp_path: Path, server: EmulatorServer) -> None:
    """returnCode 10 on an event owed before takes it off the owed items; returnCode 61 on an
    expired event (its one report in 48 hours) skips it without owing it."""
    owed = {"item": {"event_id": "20786", "is_expired": False}, "reason": "HTTP 503"}
    state = {
        "bookmarks": {
            "event_reports": {"owed": [{**owed, "since": "2026-01-01T00:00:00Z", "syncs": 1}]}
        }
    }
    server.state.answer_code(61, "/expiredreport/", event_id="2227119")
    cfg = config(server.url, event_ids=["20786", "2227119"], include_expired=True)
    run = seen(run_cli(TAP, cfg, tmp_path, state=state))
    assert run.returncode == 0, run.logs[-3000:]
    assert run.log_lines("Event 20786 is no longer owed: returnCode 10 is permanent")
    assert run.log_lines("Skipping expired event 2227119")
    assert not owed_items(run)
    assert run.log_lines("Nothing is owed")


def test_a_killed_sync_does_not_ask_again_for_the_reports_it_finished(
    tmp_path: Path, server: EmulatorServer
) -> None:
    """A STATE follows each event's report: a sync killed after the first event resumes with
    the others; the first is not asked for again (its quota is not spent twice)."""
    events = ["123456", "2227117", "2227118"]
    cfg = config(server.url, event_ids=events)

    def first_event_saved(messages: list[dict[str, Any]]) -> bool:
        last = messages[-1]
        if last["type"] != "STATE":
            return False
        entry = last["value"].get("bookmarks", {}).get("event_reports", {})
        return any("replication_key_value" in p for p in entry.get("partitions", []))

    killed = run_cli(TAP, cfg, tmp_path, stop_after=first_event_saved, stop_signal=signal.SIGKILL)
    assert killed.returncode == -signal.SIGKILL
    assert bookmarked(killed) == {"123456"}
    before = len(server.requests)
    resumed = seen(run_cli(TAP, cfg, tmp_path, state=killed.state))
    assert resumed.returncode == 0, resumed.logs[-3000:]
    assert reports_asked(server, before) == ["2227117", "2227118"]
    assert {r["event_id"] for r in resumed.records["event_reports"]} == {"2227117", "2227118"}
