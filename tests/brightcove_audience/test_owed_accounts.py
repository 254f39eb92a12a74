"""Issue 9, rule 2, run as the command line: an account whose answers stay wrong after their
retries is skipped with a warning and owed, the other accounts sync; the next sync asks for it
first; once it answers, its records arrive, once each in PostgreSQL. Answers the docs call
permanent (400, 404) skip the account without owing it.

Each test runs broken -> broken -> recovered syncs, the state of each fed to the next, with
``account_ids`` [B, A] and A broken: A asked first afterwards shows the owed order."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from brightcove_audience.helpers import ACCOUNTS, TAP, tap_config
from testkit import PgTarget, TapOutput, run_cli, tap_executable

from emulators import EmulatorServer, Fault

A, B = ACCOUNTS  # A is the account that breaks
#: Short retries: a lasting failure gives up after about a second.
QUICK = {"retry_budget_seconds": 1, "retry_initial_wait_seconds": 0.05}


def sync(
    server: EmulatorServer, tmp_path: Path, state: dict[str, Any] | None, **settings: Any
) -> TapOutput:
    server.requests.clear()
    config = tap_config(server.url, account_ids=[B, A], **{**QUICK, **settings})
    return run_cli(tap_executable(TAP), config, tmp_path, state=state)


def accounts_asked(server: EmulatorServer, stream: str) -> list[str]:
    """The accounts of the stream's requests, in the order asked (repeats folded)."""
    order: list[str] = []
    for asked in server.requests.matching(f"/{stream}"):
        account = asked.path.split("/")[3]
        if not order or order[-1] != account:
            order.append(account)
    return order


def owed(run: TapOutput, stream: str) -> list[dict[str, Any]]:
    return list(run.state.get("bookmarks", {}).get(stream, {}).get("owed", []))


def expected_keys(server: EmulatorServer, stream: str) -> int:
    return sum(getattr(server.state, stream)[a].timeline.size for a in ACCOUNTS)


def assert_each_key_once(pg: PgTarget, server: EmulatorServer) -> None:
    for stream, key in (("view_events", "view_event_key"), ("leads", "lead_key")):
        counts = pg.key_counts(stream, key)
        assert set(counts.values()) == {1}, f"{stream}: a key loaded twice"
        assert len(counts) == expected_keys(server, stream), stream
        rows = pg.query(
            f'SELECT account_id, count(*) FROM "{pg.schema}"."{stream}" GROUP BY account_id'  # noqa: S608
        )
        assert dict(rows) == {a: getattr(server.state, stream)[a].timeline.size for a in ACCOUNTS}


def paging_that_does_not_add_up(server: EmulatorServer) -> None:
    # A's API ignores offset: every page is the first one again.
    server.state.variants.offset = False
    server.state.variants.accounts = frozenset({A})


A_VIEW_EVENTS = f"/accounts/{A}/view_events"
BREAKS: dict[str, Callable[[EmulatorServer], object]] = {
    "a lasting 5xx": lambda s: s.faults.add(
        Fault("status", path=A_VIEW_EVENTS, status=500, times=None)
    ),
    "a 200 that is not the documented page": lambda s: s.faults.add(
        Fault("status", path=A_VIEW_EVENTS, status=200, body="{}", times=None)
    ),
    "an undocumented 4xx (403)": lambda s: s.faults.add(
        Fault("status", path=A_VIEW_EVENTS, status=403, times=None)
    ),
    "a token refused for this account (401 twice)": lambda s: s.state.refuse(A),
    "paging that does not add up (offset ignored)": paging_that_does_not_add_up,
}
#: What the owed reason says for each break.
REASONS = {
    "a lasting 5xx": "HTTP 500 INTERNAL_ERROR",
    "a 200 that is not the documented page": "no list of records in result",
    "an undocumented 4xx (403)": "HTTP 403",
    "a token refused for this account (401 twice)": "again with a new token",
    "paging that does not add up (offset ignored)": "did not sort as asked",
}


def heal(server: EmulatorServer) -> None:
    server.faults.clear()
    server.state.reset_switches()


@pytest.mark.postgres
@pytest.mark.parametrize("broken", list(BREAKS))
def test_an_account_whose_answers_stay_wrong_is_owed_then_asked_first(
    server: EmulatorServer, tmp_path: Path, pg_target: PgTarget, broken: str
) -> None:
    BREAKS[broken](server)

    first = sync(server, tmp_path, None)
    assert first.returncode == 0, first.logs[-3000:]
    assert accounts_asked(server, "view_events") == [B, A]
    [item] = owed(first, "view_events")
    assert item["item"] == {"account_id": A}
    assert item["syncs"] == 1
    assert REASONS[broken] in item["reason"]
    # A refused token is refused for A's leads too; the other breaks hit A's view events.
    leads_too = broken.startswith("a token refused")
    assert [o["item"] for o in owed(first, "leads")] == ([{"account_id": A}] if leads_too else [])
    assert first.log_lines(f"view_events: skipped account_id={A}, owed to the next sync")
    (summary,) = first.log_lines(f"Owed to the next sync: {2 if leads_too else 1} item(s)")
    assert f"view_events: account_id={A}" in summary
    # Everything else arrives: B's view events and leads, A's leads.
    assert len([r for r in first.records["view_events"] if r["account_id"] == B]) == 300
    leads = {r["account_id"] for r in first.records["leads"]}
    assert leads == ({B} if leads_too else {A, B})
    pg_target.load(first, tmp_path)

    second = sync(server, tmp_path, first.state)
    assert second.returncode == 0, second.logs[-3000:]
    assert accounts_asked(server, "view_events") == [A, B]  # the owed account first
    [item] = owed(second, "view_events")
    assert item["item"] == {"account_id": A}
    assert item["syncs"] == 2
    pg_target.load(second, tmp_path)

    heal(server)
    third = sync(server, tmp_path, second.state)
    assert third.returncode == 0, third.logs[-3000:]
    assert accounts_asked(server, "view_events") == [A, B]
    assert owed(third, "view_events") == []
    assert third.log_lines(f"view_events: account_id={A}, owed before, is fetched")
    assert third.log_lines("Nothing is owed: every item of this sync was fetched")
    assert not third.duplicates("view_events", "view_event_key")  # none twice in one sync
    assert third.bookmark("view_events", account_id=A) is not None
    pg_target.load(third, tmp_path)
    assert_each_key_once(pg_target, server)


@pytest.mark.postgres
def test_an_answer_the_docs_call_permanent_skips_the_account_without_owing_it(
    server: EmulatorServer, tmp_path: Path, pg_target: PgTarget
) -> None:
    # 404 RESOURCE_NOT_FOUND "The URL does not exist" for A (e.g. an account id that is not
    # one): A is skipped with a warning, nothing is owed, B and the leads sync.
    server.faults.add(Fault("status", path=A_VIEW_EVENTS, status=404, times=None))

    first = sync(server, tmp_path, None)
    assert first.returncode == 0, first.logs[-3000:]
    (line,) = first.log_lines(f"view_events: account {A} skipped in this sync")
    assert "HTTP 404 RESOURCE_NOT_FOUND" in line
    assert "not owed" in line
    assert owed(first, "view_events") == []
    assert first.bookmark("view_events", account_id=A) is None
    assert len(server.requests.matching(A_VIEW_EVENTS)) == 1  # not retried
    assert first.log_lines("Nothing is owed")
    pg_target.load(first, tmp_path)

    second = sync(server, tmp_path, first.state)
    assert second.returncode == 0
    assert accounts_asked(server, "view_events") == [B, A]  # not owed: not asked first
    assert owed(second, "view_events") == []
    pg_target.load(second, tmp_path)

    heal(server)
    third = sync(server, tmp_path, second.state)
    assert third.returncode == 0
    assert len([r for r in third.records["view_events"] if r["account_id"] == A]) == 300
    pg_target.load(third, tmp_path)
    assert_each_key_once(pg_target, server)


def test_every_account_answered_permanently_ends_the_sync(
    server: EmulatorServer, tmp_path: Path
) -> None:
    # No account of the stream can be read: the settings are wrong, not one account.
    server.faults.add(Fault("status", path="/view_events", status=404, times=None))
    run = sync(server, tmp_path, None)
    assert run.returncode == 1
    line = run.log_lines("view_events: no account could be read")[-1]
    assert f"/v1/accounts/{A}/view_events" in line
    assert f"/v1/accounts/{B}/view_events" in line
    assert not run.records["view_events"]


def test_fail_on_owed_and_an_account_owed_past_max_owed_syncs(
    server: EmulatorServer, tmp_path: Path
) -> None:
    server.faults.add(Fault("status", path=A_VIEW_EVENTS, status=500, times=None))
    settings = {"fail_on_owed": True, "max_owed_syncs": 1}

    first = sync(server, tmp_path, None, **settings)
    assert first.returncode == 1  # owed, and fail_on_owed: a red job, the state written
    assert first.log_lines("1 item(s) owed and fail_on_owed is set")
    assert first.messages[-1]["type"] == "STATE"
    [item] = owed(first, "view_events")
    assert item["item"] == {"account_id": A}
    assert len([r for r in first.records["view_events"] if r["account_id"] == B]) == 300
    assert len(first.records["leads"]) == expected_keys(server, "leads")

    second = sync(server, tmp_path, first.state, **settings)
    (dropped,) = [line for line in second.error_lines() if "is no longer owed" in line]
    assert f"view_events: account_id={A} is no longer owed: it failed in 2 syncs" in dropped
    assert "max_owed_syncs" in dropped
    assert second.log_lines(f"account {A} stays in account_ids")
    assert owed(second, "view_events") == []
    assert second.returncode == 0  # nothing owed any more


def test_the_whole_api_failing_still_ends_the_sync_and_owes_nothing(
    server: EmulatorServer, tmp_path: Path
) -> None:
    # Throttling past the budget is the API's, not one account's: the sync ends (rule of
    # the retry contract), its state saved, no account owed.
    server.faults.add(
        Fault(
            "status",
            path=A_VIEW_EVENTS,
            status=429,
            headers={"Retry-After": "30"},
            times=None,
        )
    )
    run = sync(server, tmp_path, None)
    assert run.returncode == 1
    assert run.log_lines("gave up on")
    assert owed(run, "view_events") == []
    assert len([r for r in run.records["view_events"] if r["account_id"] == B]) == 300
    assert run.bookmark("view_events", account_id=B) is not None
