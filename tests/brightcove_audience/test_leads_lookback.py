"""Issue 9: leads get the same configurable look-back as view events. Only processed data is
served, and nothing says leads are processed in the order they were created: a lead served
after a sync, with a created_at under that sync's bookmark, must still be read."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from brightcove_audience.helpers import ACCOUNTS, TAP, tap_config
from testkit import PgTarget, TapOutput, run_cli, run_tap, tap_executable

from emulators import EmulatorServer
from tap_brightcove_audience.tap import TapBrightcoveAudience as Tap

A, B = ACCOUNTS


def from_asked(server: EmulatorServer, account: str) -> int:
    [asked] = server.requests.matching(f"/accounts/{account}/leads")
    return int(asked.arg("from") or 0)


def ms(text: str) -> int:
    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000)


def lead_keys(run: TapOutput, account: str) -> set[str]:
    return {r["lead_key"] for r in run.records["leads"] if r["account_id"] == account}


@pytest.mark.postgres
def test_a_lead_served_late_is_read_by_the_next_syncs_lookback(
    server: EmulatorServer, tmp_path: Path, pg_target: PgTarget
) -> None:
    size = server.state.leads[A].timeline.size
    # The second and third newest leads of A (12 and 24 hours before the newest) are served
    # late: after a sync that already read the newest one.
    late = server.state.hold_leads(A, [size - 2, size - 3])
    config = tap_config(server.url)

    def sync(state: dict | None) -> TapOutput:
        server.requests.clear()
        return run_cli(tap_executable(TAP), config, tmp_path, state=state)

    first = sync(None)
    assert first.returncode == 0, first.logs[-3000:]
    bookmark = first.bookmark("leads", account_id=A)
    assert all(created < bookmark for created in late)
    assert not {r["created_at"] for r in first.records["leads"]} & set(late)
    pg_target.load(first, tmp_path)

    second = sync(first.state)  # still not served
    assert second.returncode == 0
    lookback = timedelta(hours=48).total_seconds() * 1000
    assert from_asked(server, A) == ms(bookmark) - lookback
    # A healthy sync reads the leads of the look-back again: upserts on their key.
    assert lead_keys(second, A) <= lead_keys(first, A)
    assert lead_keys(second, A)
    pg_target.load(second, tmp_path)

    server.state.release_leads()
    third = sync(second.state)
    assert third.returncode == 0
    assert from_asked(server, A) == ms(second.bookmark("leads", account_id=A)) - lookback
    assert set(late) <= {r["created_at"] for r in third.records["leads"]}
    assert third.bookmark("leads", account_id=A) == bookmark
    pg_target.load(third, tmp_path)

    counts = pg_target.key_counts("leads", "lead_key")
    assert set(counts.values()) == {1}
    assert len(counts) == 2 * size  # every lead of both accounts, the late ones included


def test_the_leads_lookback_is_a_setting_and_never_reaches_before_start_date(
    server: EmulatorServer,
) -> None:
    config = tap_config(server.url, account_ids=[A], leads_lookback_hours=6)
    first = run_tap(Tap, config, streams=["leads"])
    bookmark = first.bookmark("leads", account_id=A)
    server.requests.clear()
    run_tap(Tap, config, state=first.state, streams=["leads"])
    assert from_asked(server, A) == ms(bookmark) - 6 * 3_600_000

    # A bookmark within the look-back of start_date: from is start_date.
    early = {"bookmarks": {"leads": {"partitions": [
        {"context": {"account_id": A}, "replication_key": "created_at",
         "replication_key_value": "2026-01-01T03:00:00.000Z"}
    ]}}}  # fmt: skip
    server.requests.clear()
    run_tap(Tap, config, state=early, streams=["leads"])
    assert from_asked(server, A) == ms("2026-01-01T00:00:00.000Z")
