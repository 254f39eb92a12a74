"""Records, keys and state: what a user of the tap depends on."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from brightcove_audience.helpers import ACCOUNTS, tap_config
from testkit import run_tap, start_emulator

from emulators import EmulatorServer, Fault
from tap_brightcove_audience.tap import TapBrightcoveAudience as Tap


def _emulator_count(server: EmulatorServer, kind: str, account: str) -> int:
    collection = getattr(server.state, kind)[account]
    return collection.timeline.size


def test_every_record_once_with_account_and_key(server: EmulatorServer) -> None:
    result = run_tap(Tap, tap_config(server.url, page_size=37))
    assert result.error is None
    for stream, key in (("view_events", "view_event_key"), ("leads", "lead_key")):
        records = result.records[stream]
        expected = sum(_emulator_count(server, stream, a) for a in ACCOUNTS)
        assert len(records) == expected
        keys = Counter(r[key] for r in records)
        assert keys.most_common(1)[0][1] == 1, "a key appears twice across pages"
        assert {r["account_id"] for r in records} == set(ACCOUNTS)


def test_records_are_utc_and_requested_sorted_on_the_replication_key(
    server: EmulatorServer,
) -> None:
    result = run_tap(Tap, tap_config(server.url), streams=["view_events"])
    for account in ACCOUNTS:
        records = result.records["view_events"]
        updated = [r["updated_at"] for r in records if r["account_id"] == account]
        assert updated == sorted(updated)
        assert all(v.endswith("Z") and len(v) == 24 for v in updated)
    asked = server.requests.matching("/view_events")
    assert {r.arg("sort") for r in asked} == {"updated_at"}
    assert {r.arg("limit") for r in asked} == {"100"}
    leads = server.requests.matching("/leads")
    assert leads == []  # not selected, not requested


def test_state_is_kept_per_account(server: EmulatorServer) -> None:
    result = run_tap(Tap, tap_config(server.url))
    for stream, field in (("view_events", "updated_at"), ("leads", "created_at")):
        for account in ACCOUNTS:
            newest = max(r[field] for r in result.records[stream] if r["account_id"] == account)
            assert result.bookmark(stream, account_id=account) == newest


def test_key_is_the_same_on_every_sync(server: EmulatorServer) -> None:
    config = tap_config(server.url, account_ids=ACCOUNTS[:1])
    first_run, second_run = run_tap(Tap, config), run_tap(Tap, config)
    first = {r["view_event_key"]: r["created_at"] for r in first_run.records["view_events"]}
    second = {r["view_event_key"]: r["created_at"] for r in second_run.records["view_events"]}
    assert first == second


def test_second_run_reads_from_bookmark_minus_lookback(server: EmulatorServer) -> None:
    config = tap_config(server.url, account_ids=ACCOUNTS[:1], view_events_lookback_hours=48)
    first = run_tap(Tap, config, streams=["view_events"])
    bookmark = first.bookmark("view_events", account_id=ACCOUNTS[0])
    assert bookmark is not None
    processed = server.state.process(ACCOUNTS[0], count=4)
    server.requests.clear()

    second = run_tap(Tap, config, state=first.state, streams=["view_events"])

    assert second.error is None
    floor = datetime.fromisoformat(bookmark.replace("Z", "+00:00")) - timedelta(hours=48)
    floor_text = floor.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    records = second.records["view_events"]
    assert records, "the look-back window and the processed events are read again"
    assert min(r["updated_at"] for r in records) >= floor_text
    assert len(records) < len(first.records["view_events"])
    # The events processed since are re-emitted with the key they had.
    first_keys = {r["view_event_key"] for r in first.records["view_events"]}
    newest = sorted(records, key=lambda r: r["updated_at"])[-len(set(processed)) :]
    assert {r["view_event_key"] for r in newest} <= first_keys
    [asked, *_] = server.requests.matching("/view_events")
    assert int(asked.arg("from") or 0) == int(floor.timestamp() * 1000)
    assert second.bookmark("view_events", account_id=ACCOUNTS[0]) > bookmark


def test_where_settings_reach_the_api(server: EmulatorServer) -> None:
    config = tap_config(
        server.url, view_events_where="player_id==V1s6NOwRx,BkgFuzyhg", leads_where="country==US"
    )
    result = run_tap(Tap, config)
    assert {r["player_id"] for r in result.records["view_events"]} == {"V1s6NOwRx", "BkgFuzyhg"}
    assert {r["country"] for r in result.records["leads"]} == {"US"}
    assert {r.arg("where") for r in server.requests.matching("/leads")} == {"country==US"}


@pytest.fixture(scope="module")
def ten_thousand() -> Iterator[EmulatorServer]:
    server = start_emulator("brightcove", size=10_000, accounts=["1486906377"])
    yield server
    server.stop()


def test_syncs_ten_thousand_view_events_each_once(ten_thousand: EmulatorServer) -> None:
    config = tap_config(ten_thousand.url, account_ids=["1486906377"])
    result = run_tap(Tap, config, streams=["view_events"])
    assert result.error is None
    records = result.records["view_events"]
    keys = [r["view_event_key"] for r in records]
    assert len(keys) == 10_000
    assert len(set(keys)) == 10_000
    assert len({r["created_at"] for r in records}) == 10_000
    assert len(ten_thousand.requests.matching("/view_events")) == 100


def test_undocumented_fields_are_left_out_and_booleans_made_booleans(
    server: EmulatorServer, caplog: pytest.LogCaptureFixture
) -> None:
    record = {
        "created_at": "2026-01-02T01:00:00+01:00",
        "updated_at": "2026-01-02T00:30:00Z",
        "video_id": "1",
        "is_synced": "true",
        "brand_new_field": 1,
    }
    body = json.dumps({"count": 1, "limit": 100, "offset": 0, "result": [record]})
    server.faults.add(Fault("status", path="/view_events", status=200, body=body))
    config = tap_config(server.url, account_ids=ACCOUNTS[:1])
    result = run_tap(Tap, config, streams=["view_events"])
    [emitted] = result.records["view_events"]
    assert "brand_new_field" not in emitted
    assert emitted["is_synced"] is True
    assert emitted["created_at"] == "2026-01-02T00:00:00.000Z"  # made UTC
    assert emitted["updated_at"] == "2026-01-02T00:30:00.000Z"
    assert emitted["player_id"] is None  # a documented field the answer left out
    assert "leaving out fields the schema does not describe: brand_new_field" in caplog.text


def test_deselected_fields_are_not_requested_but_keys_stay_whole(server: EmulatorServer) -> None:
    config = tap_config(server.url, account_ids=ACCOUNTS[:1])
    catalog = Tap(config=config).catalog_dict
    for entry in catalog["streams"]:
        for md in entry["metadata"]:
            if md["breadcrumb"] in (["properties", "video_name"], ["properties", "page_url"]):
                md["metadata"]["selected"] = False
    full = run_tap(Tap, config, streams=["view_events"])
    assert all(r.arg("fields") is None for r in server.requests.matching("/view_events"))
    server.requests.clear()
    narrow = run_tap(Tap, config, streams=["view_events"], catalog=catalog)
    assert narrow.error is None
    [asked, *_] = server.requests.matching("/view_events")
    fields = (asked.arg("fields") or "").split(",")
    assert "video_name" not in fields
    assert {"page_url", "created_at", "updated_at", "watched"} <= set(fields)  # key, bookmark
    assert all("video_name" not in r and "page_url" not in r for r in narrow.records["view_events"])
    assert [r["view_event_key"] for r in narrow.records["view_events"]] == [
        r["view_event_key"] for r in full.records["view_events"]
    ]
