"""Several requests in flight (issue 10): the same records, order and state as one request at a
time; a 429 holds the whole run; a refused token is renewed once for every request in flight."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import pytest
from brightcove_audience.helpers import ACCOUNTS, ONE_AT_A_TIME, tap_config
from testkit import TapOutput, run_tap, start_emulator

from emulators import EmulatorServer, Fault
from tap_brightcove_audience.tap import TapBrightcoveAudience as Tap

ONE_ACCOUNT = ACCOUNTS[:1]
#: Every answer comes 50 ms after its request, so that pages asked for ahead are in flight
#: together; the API's rate limits are the documented ones.
LATENCY = 0.05


@pytest.fixture(scope="module")
def emulator() -> Iterator[EmulatorServer]:
    server = start_emulator("brightcove", size=300, latency=LATENCY)
    yield server
    server.stop()


def _most_in_flight(server: EmulatorServer, held: float) -> int:
    """The most pages that arrived within one answer's hold of each other."""
    arrivals = sorted(r.at for r in server.requests.matching("/v1/"))
    return max(sum(1 for b in arrivals if a <= b < a + held) for a in arrivals)


def _records_in_order(output: TapOutput) -> dict[str, list[tuple[str, str]]]:
    keys = {"view_events": "view_event_key", "leads": "lead_key"}
    return {
        stream: [(r["account_id"], r[keys[stream]]) for r in records]
        for stream, records in output.records.items()
    }


def test_concurrency_gives_the_records_order_and_state_of_one_request_at_a_time(
    server: EmulatorServer,
) -> None:
    one = run_tap(Tap, tap_config(server.url, page_size=10, **ONE_AT_A_TIME))
    sequential_requests = len(server.requests.matching("/v1/"))
    assert _most_in_flight(server, LATENCY) == 1
    server.reset()

    many = run_tap(Tap, tap_config(server.url, page_size=10, max_concurrent_requests=8))

    assert _most_in_flight(server, LATENCY) >= 3  # pages and accounts were asked for ahead
    assert len(server.requests.matching("/v1/")) == sequential_requests  # none asked twice
    assert server.stats()["throttled"] == 0
    assert _records_in_order(many) == _records_in_order(one)
    assert len(many.records["view_events"]) == 600
    assert many.state == one.state
    assert many.states == one.states  # every STATE on the way too: the same resumable points


def test_a_429_under_concurrency_holds_every_request_for_its_retry_after(
    server: EmulatorServer,
) -> None:
    # The 21st page refused: the stream goes on reading the pages before it and asks for more
    # ahead (up to 64 with 32 in flight), which without the run-wide hold would go out while
    # the API asked to wait.
    server.faults.add(
        Fault("status", path="/view_events", status=429, headers={"Retry-After": "3"}, skip=20)
    )
    config = tap_config(
        server.url, account_ids=ONE_ACCOUNT, page_size=2, max_concurrent_requests=32
    )

    result = run_tap(Tap, config, streams=["view_events"])

    keys = [r["view_event_key"] for r in result.records["view_events"]]
    assert len(keys) == len(set(keys)) == 300
    asked = server.requests.matching("/view_events")
    [(offset, times)] = [o for o in Counter(r.arg("offset") for r in asked).items() if o[1] > 1]
    assert times == 2  # the throttled page, asked again: no other page was refused
    throttled, again = [r for r in asked if r.arg("offset") == offset]
    assert again.at - throttled.at >= 3.0
    # No request of the run started while the API's wait ran (those already in flight at the
    # 429 had arrived before it), instead of each page retrying on its own.
    held = [r for r in asked if throttled.at + 0.5 < r.at < throttled.at + 2.9]
    assert held == []
    assert len(result.log_lines("429 REQUEST_THROTTLED_ERROR")) == 1
    assert server.stats()["throttled"] == 1  # the API's own limit was never reached


def test_a_token_refused_under_concurrency_is_renewed_once_for_every_request_in_flight(
    server: EmulatorServer,
) -> None:
    server.state.expire_tokens(after_requests=5)  # mid-sync, with pages in flight
    config = tap_config(server.url, account_ids=ONE_ACCOUNT, page_size=10)

    result = run_tap(Tap, config, streams=["view_events"])

    keys = [r["view_event_key"] for r in result.records["view_events"]]
    assert len(keys) == len(set(keys)) == 300
    assert len(server.requests.matching("/v4/access_token", "POST")) == 2
    refused = result.log_lines("401 UNAUTHORIZED_ERROR")
    assert len(refused) >= 2  # several requests in flight carried the expired token...
    assert len(result.log_lines("token refused (401), fetching a new one")) == 1  # ...one renewal
