"""concurrency.py (the same in the four taps): the gate every try passes, and the requests sent
ahead. On fake clocks and events: nothing here waits on the real time."""

from __future__ import annotations

import importlib
import threading
import typing as t
from concurrent.futures import wait
from decimal import Decimal
from pathlib import Path

import pytest
from singer_sdk.helpers._util import read_json_file

PACKAGES = (
    "tap_brightcove_audience",
    "tap_conviva_sessions",
    "tap_vbrick_webcast",
    "tap_webcast_reporting",
)


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@pytest.fixture(params=PACKAGES)
def concurrency(request: pytest.FixtureRequest) -> t.Any:
    return importlib.import_module(f"{request.param}.concurrency")


def test_a_429_holds_every_try_that_follows_and_each_takes_its_turn_again(
    concurrency: t.Any,
) -> None:
    clock = FakeClock()
    pacer = concurrency.RequestPacer(4, clock=clock, sleep=clock.sleep)
    gate = concurrency.RequestGate(2, pacer, clock=clock, sleep=clock.sleep)
    with gate.slot():
        pass
    gate.throttled(3.0)  # another request was answered 429, Retry-After 3
    with gate.slot():
        pass
    # The 3 s hold, then the pace's turn (0.25 s after the try before it, long past).
    assert clock.slept == [3.0]
    with gate.slot():
        pass
    assert clock.slept == [3.0, 0.25]
    gate.close()
    with pytest.raises(concurrency.RunClosedError), gate.slot():
        pass


def test_a_pace_written_with_decimals_in_the_config_file_is_kept(
    concurrency: t.Any, tmp_path: Path
) -> None:
    # The SDK reads a config file's 2.5 as a Decimal (a partition's share of a vendor limit).
    config = tmp_path / "config.json"
    config.write_text('{"max_requests_per_second": 2.5}')
    per_second = read_json_file(config)["max_requests_per_second"]
    assert isinstance(per_second, Decimal)
    clock = FakeClock()
    pacer = concurrency.RequestPacer(per_second, clock=clock, sleep=clock.sleep)
    pacer.wait()
    pacer.wait()
    assert clock.slept == [pytest.approx(0.4)]


def test_answers_sent_ahead_are_taken_in_the_readers_order(concurrency: t.Any) -> None:
    pool = concurrency.WorkerPool(2, "test")
    ahead = concurrency.Lookahead(pool, depth=2)
    assert ahead.offer("a", lambda: "answer a")
    assert ahead.offer("b", lambda: 1 / 0)
    assert not ahead.offer("c", lambda: "c")  # no room: depth 2
    wait(list(ahead.jobs.values()), timeout=30)  # both answered on the workers
    assert ahead.take("a", lambda: "sent again") == "answer a"
    with pytest.raises(ZeroDivisionError):  # raised where it is taken, as if sent there
        ahead.take("b", lambda: "sent again")
    assert ahead.take("c", lambda: "sent here") == "sent here"  # not sent ahead: sent now
    assert ahead.used == 2


def test_without_workers_nothing_is_sent_ahead(concurrency: t.Any) -> None:
    ahead = concurrency.Lookahead(None, depth=8)
    assert not ahead.offer("a", lambda: "a")
    assert ahead.take("a", lambda: "sent here") == "sent here"


def test_a_request_dropped_while_in_flight_stops_at_its_next_try(concurrency: t.Any) -> None:
    gate = concurrency.RequestGate(2, concurrency.RequestPacer(None))
    ahead = concurrency.Lookahead(concurrency.WorkerPool(1, "test"), depth=4)
    started, dropped = threading.Event(), threading.Event()

    def send() -> str:
        started.set()  # the worker may start before offer() has stored the job
        assert dropped.wait(30)
        with gate.slot():  # its next try
            return "answer nobody reads"

    ahead.offer("a", send)
    assert started.wait(30)
    job = ahead.jobs["a"]
    ahead.keep_only(lambda key: False)
    dropped.set()
    with pytest.raises(concurrency.RunClosedError):
        job.result(timeout=30)
