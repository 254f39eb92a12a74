"""Issue 9, rule 1: every assumption the tap makes about the Audience API, played the other
plausible way by an emulator switch (``state.variants``, see emulators/brightcove/variants.py),
and the tap noticing: it fails loudly (the account owed, with a warning naming the answer) or
falls back to the safe side (no record lost, one warning). The README's "Assumptions" table
names each test."""

from __future__ import annotations

import time
from typing import Any

import pytest
from brightcove_audience.helpers import ACCOUNTS, tap_config
from testkit import TapOutput, run_tap

from emulators import EmulatorServer, Fault
from tap_brightcove_audience.errors import UnreadableStreamError
from tap_brightcove_audience.tap import TapBrightcoveAudience as Tap

A, B = ACCOUNTS
#: A lasting bad answer gives up after about a second.
QUICK = {"retry_budget_seconds": 1, "retry_initial_wait_seconds": 0.05}


def owed(run: TapOutput, stream: str) -> dict[str, str]:
    """account -> reason, for the accounts the last state owes for ``stream``."""
    entry = run.state.get("bookmarks", {}).get(stream, {})
    return {o["item"]["account_id"]: o["reason"] for o in entry.get("owed", [])}


def view_events(server: EmulatorServer, **settings: Any) -> TapOutput:
    config = tap_config(server.url, **{**QUICK, **settings})
    return run_tap(Tap, config, streams=["view_events"])


def switch(server: EmulatorServer, **variants: Any) -> None:
    for name, value in variants.items():
        setattr(server.state.variants, name, value)


def test_records_not_sorted_as_asked_owe_the_account(server: EmulatorServer) -> None:
    switch(server, sort="-created_at")  # an API ignoring sort=updated_at
    run = view_events(server)
    reasons = owed(run, "view_events")
    assert set(reasons) == {A, B}
    assert all("did not sort as asked" in r for r in reasons.values())
    assert len(run.records["view_events"]) == 2  # the first record of each, then it stopped


def test_a_count_of_the_page_instead_of_the_query_owes_the_account(
    server: EmulatorServer,
) -> None:
    switch(server, count="page", accounts=frozenset({A}))
    run = view_events(server)
    assert "count is not the number of records matching the query" in owed(run, "view_events")[A]
    asked = server.requests.matching(f"/accounts/{A}/view_events")
    assert [r.arg("offset") for r in asked] == ["0", "100"]  # a full first page: one more
    assert len([r for r in run.records["view_events"] if r["account_id"] == B]) == 300


def test_a_count_equal_to_a_full_first_page_is_checked_with_one_more_page(
    server: EmulatorServer,
) -> None:
    # The documented count, exactly one page of it: the page after is empty, nothing owed.
    run = run_tap(Tap, tap_config(server.url, account_ids=[A], page_size=60), streams=["leads"])
    assert len(run.records["leads"]) == 60
    assert [r.arg("offset") for r in server.requests.matching("/leads")] == ["0", "60"]
    assert owed(run, "leads") == {}


def test_an_answer_without_count_is_retried_then_owed(server: EmulatorServer) -> None:
    switch(server, count="missing", accounts=frozenset({A}))
    run = view_events(server)
    assert "count is None" in owed(run, "view_events")[A]
    assert len(server.requests.matching(f"/accounts/{A}/view_events")) > 2  # retried
    assert not [r for r in run.records["view_events"] if r["account_id"] == A]


def test_records_without_the_keys_timestamp_are_retried_then_owed(
    server: EmulatorServer,
) -> None:
    body = '{"count": 1, "limit": 100, "offset": 0, "result": [{"video_id": "1"}]}'
    path = f"/accounts/{A}/view_events"
    server.faults.add(Fault("status", path=path, status=200, body=body, times=None))
    run = view_events(server)
    assert "a record without created_at" in owed(run, "view_events")[A]
    assert not [r for r in run.records["view_events"] if r["account_id"] == A]


@pytest.mark.parametrize("written", ["offset", "naive"])
def test_timestamps_in_another_zone_or_without_one_give_the_same_records(
    server: EmulatorServer, written: str
) -> None:
    documented = view_events(server)
    switch(server, timestamps=written)
    other = view_events(server)
    assert other.records["view_events"] == documented.records["view_events"]
    assert other.state == documented.state
    notices = other.log_lines("carries no time zone: read as UTC")
    assert len(notices) == (1 if written == "naive" else 0)


def test_timestamps_as_numbers_are_retried_then_owed(server: EmulatorServer) -> None:
    switch(server, timestamps="epoch_ms", accounts=frozenset({A}))
    run = view_events(server)
    assert "is not an ISO 8601 timestamp" in owed(run, "view_events")[A]


def test_numbers_sent_as_text_are_retried_then_owed(server: EmulatorServer) -> None:
    switch(server, numbers="text", accounts=frozenset({A}))
    run = view_events(server)
    assert "watched '" in owed(run, "view_events")[A]
    assert "is not an integer" in owed(run, "view_events")[A]


def test_fields_not_honoured_are_said_once_and_left_out(server: EmulatorServer) -> None:
    config = tap_config(server.url, account_ids=[A])
    catalog = Tap(config=config).catalog_dict
    for entry in catalog["streams"]:
        for md in entry["metadata"]:
            if md["breadcrumb"] == ["properties", "video_name"]:
                md["metadata"]["selected"] = False
    honoured = run_tap(Tap, config, streams=["view_events"], catalog=catalog)
    switch(server, fields=False)
    ignored = run_tap(Tap, config, streams=["view_events"], catalog=catalog)
    assert ignored.records["view_events"] == honoured.records["view_events"]
    (line,) = ignored.log_lines("the API sent fields it was not asked for (video_name)")
    assert "WARNING" in line


def test_a_where_filter_the_api_does_not_apply_owes_the_account(
    server: EmulatorServer,
) -> None:
    switch(server, where="ignored", accounts=frozenset({A}))
    run = view_events(server, view_events_where="player_id==V1s6NOwRx,BkgFuzyhg")
    reason = owed(run, "view_events")[A]
    assert "did not apply the view_events_where filter" in reason
    assert "where player_id==V1s6NOwRx,BkgFuzyhg" in reason
    assert {r["player_id"] for r in run.records["view_events"]} == {"V1s6NOwRx", "BkgFuzyhg"}


def test_bare_or_values_refused_by_the_api_end_the_sync_with_its_words(
    server: EmulatorServer,
) -> None:
    # The docs write video_id==1,2; an API wanting video_id==1,video_id==2 answers 400 for
    # every account: the settings are wrong for the whole stream.
    switch(server, where="strict")
    config = tap_config(server.url, view_events_where="player_id==V1s6NOwRx,BkgFuzyhg")
    run = run_tap(Tap, config, streams=["view_events"], expect_error=True)
    assert isinstance(run.error, UnreadableStreamError)
    assert "HTTP 400 BAD_REQUEST_ERROR: where: expected field==value" in str(run.error)
    assert owed(run, "view_events") == {}


def test_a_limit_capped_by_the_api_loses_nothing_and_is_said_once(
    server: EmulatorServer,
) -> None:
    switch(server, limit_cap=40)
    run = view_events(server, account_ids=[A])
    assert len(run.records["view_events"]) == 300
    assert not run.duplicates("view_events", "view_event_key")
    assert len(server.requests.matching("/view_events")) == 8  # 40 a page
    (line,) = run.log_lines("the API serves at most 40 records a page (page_size is 100)")
    assert "WARNING" in line


def test_leads_not_filtered_by_from_and_to_are_said_and_kept(server: EmulatorServer) -> None:
    config = tap_config(server.url, account_ids=[A])
    first = run_tap(Tap, config, streams=["leads"])
    switch(server, lead_range=False)
    second = run_tap(Tap, config, state=first.state, streams=["leads"])
    (line,) = second.log_lines("outside the from/to asked for")
    assert "it does not filter leads on created_at as assumed" in line
    assert len(second.records["leads"]) == 60  # every lead again: upserts, none lost
    assert second.bookmark("leads", account_id=A) == first.bookmark("leads", account_id=A)


def test_bounds_that_exclude_from_and_to_lose_nothing_thanks_to_the_lookback(
    server: EmulatorServer,
) -> None:
    switch(server, bounds="exclusive")
    config = tap_config(server.url, account_ids=[A])
    first = run_tap(Tap, config, streams=["view_events"])
    server.state.process(A, count=5)
    second = run_tap(Tap, config, state=first.state, streams=["view_events"])
    keys = {r["view_event_key"] for r in [*first.records["view_events"], *second.records[
        "view_events"]]}  # fmt: skip
    assert len(keys) == 300
    # The bookmark record itself, at from's very instant, comes back: the look-back starts
    # 48 hours before it.
    assert first.bookmark("view_events", account_id=A) <= max(
        r["updated_at"] for r in second.records["view_events"]
    )


def test_a_key_field_that_changes_cannot_be_seen_by_the_tap(server: EmulatorServer) -> None:
    # The tap cannot tell from the answers that a key field changed: the old version of the
    # record is gone from the API. This pins what happens (README: "Assumptions"): a view
    # event processed again gets a new key, so a warehouse holds it twice.
    switch(server, key_drift="page_url")
    config = tap_config(server.url, account_ids=[A])
    first = run_tap(Tap, config, streams=["view_events"])
    changed = set(server.state.process(A, count=3))
    time.sleep(0.01)  # processed "now" plus up to 2 ms: all before the next sync's `to`
    second = run_tap(Tap, config, state=first.state, streams=["view_events"])
    before = {r["view_event_key"] for r in first.records["view_events"]}
    moved = sorted(second.records["view_events"], key=lambda r: r["updated_at"])[-len(changed) :]
    assert all(r["page_url"].endswith("#v2") for r in moved)
    assert not {r["view_event_key"] for r in moved} & before


def test_an_error_body_that_is_not_the_documented_array_is_named_by_its_http_reason(
    server: EmulatorServer,
) -> None:
    # A proxy's page instead of [{"error_code", "message"}]: the HTTP reason names it.
    path = f"/accounts/{A}/view_events"
    page = "<html><body>Forbidden by policy</body></html>"
    server.faults.add(
        Fault("status", path=path, status=403, body=page, content_type="text/html", times=None)
    )
    run = view_events(server)
    assert "HTTP 403 UNKNOWN_ERROR: Forbidden (GET" in owed(run, "view_events")[A]
    assert len(server.requests.matching(path)) == 1  # an undocumented 4xx: not retried
