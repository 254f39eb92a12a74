"""The latency option holds each answer on its way back, side by side, never the control
endpoints, and the fault switches keep working under it.

Wall-clock checks are lower bounds (an answer held L seconds arrives no sooner than L), or upper
bounds far from what they rule out (answers held one after another), so a loaded machine passes.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from flask import Flask, jsonify

from emulators import EmulatorServer, Fault
from emulators.latency import Latency


def _app(handled_at: list[float]) -> Flask:
    app = Flask("tiny")

    @app.get("/items")
    def items():  # type: ignore[no-untyped-def]
        handled_at.append(time.monotonic())
        return jsonify({"result": list(range(50))})

    return app


@pytest.fixture
def handled_at() -> list[float]:
    return []


def _server(handled_at: list[float], latency: float, spread: float = 0.0) -> EmulatorServer:
    return EmulatorServer(
        "tiny", app=_app(handled_at), latency=latency, latency_spread=spread, seed=7
    )


@pytest.fixture
def held(handled_at: list[float]) -> Iterator[EmulatorServer]:
    with _server(handled_at, latency=0.4) as server:
        yield server


def _timed_get(url: str, timeout: float = 30) -> tuple[float, requests.Response]:
    started = time.monotonic()
    answer = requests.get(url, timeout=timeout)
    return time.monotonic() - started, answer


def test_an_answer_is_held_for_the_latency(held: EmulatorServer) -> None:
    elapsed, answer = _timed_get(f"{held.url}/items")
    assert answer.status_code == 200
    assert answer.json()["result"][-1] == 49
    assert elapsed >= 0.4


def test_the_app_handles_the_request_on_arrival_and_the_answer_waits(
    held: EmulatorServer, handled_at: list[float]
) -> None:
    # Handled first, then held: a vendor's rate limiter sees the request when it arrives.
    requests.get(f"{held.url}/items", timeout=30)
    answered_at = time.monotonic()
    assert answered_at - handled_at[0] >= 0.4


def test_concurrent_answers_are_held_side_by_side(held: EmulatorServer) -> None:
    count, latency = 10, 0.4
    barrier = threading.Barrier(count)

    def one(_: int) -> tuple[float, int]:
        barrier.wait()
        elapsed, answer = _timed_get(f"{held.url}/items")
        return elapsed, answer.status_code

    started = time.monotonic()
    with ThreadPoolExecutor(count) as pool:
        results = list(pool.map(one, range(count)))
    total = time.monotonic() - started
    assert [status for _, status in results] == [200] * count
    assert all(elapsed >= latency for elapsed, _ in results)
    # Held one after another they would take count * latency (4 s).
    assert total < count * latency / 2


def test_the_spread_stays_within_its_bounds_and_repeats_with_the_seed() -> None:
    latency = Latency(0.1, 0.2, seed=1)
    draws = [latency.draw() for _ in range(2000)]
    assert all(0.1 <= d <= 0.3 for d in draws)
    assert min(draws) < 0.12  # the whole spread is used
    assert max(draws) > 0.28
    again = Latency(0.1, 0.2, seed=1)
    assert [again.draw() for _ in range(2000)] == draws
    other = Latency(0.1, 0.2, seed=2)
    assert [other.draw() for _ in range(2000)] != draws
    assert Latency(0.25).draw() == 0.25
    with pytest.raises(ValueError, match=">= 0"):
        Latency(-0.1)


def test_each_answer_waits_its_own_draw_of_the_spread(handled_at: list[float]) -> None:
    with _server(handled_at, latency=0.05, spread=0.4) as server:
        twin = Latency(0.05, 0.4, seed=server.latency.seed)
        expected = [twin.draw() for _ in range(5)]
        for delay in expected:
            elapsed, answer = _timed_get(f"{server.url}/items")
            assert answer.status_code == 200
            assert elapsed >= delay
    assert len(set(expected)) == 5


def test_control_endpoints_are_not_held(handled_at: list[float]) -> None:
    with _server(handled_at, latency=3.0) as server:
        for path in ("stats", "requests", "faults"):
            elapsed, answer = _timed_get(f"{server.url}/_emulator/{path}")
            assert answer.status_code == 200
            assert elapsed < 1.5, path  # held, it would take 3 s


def test_faults_keep_working_with_latency(held: EmulatorServer) -> None:
    url = f"{held.url}/items"
    held.faults.add(Fault("status", path="/items", status=503, headers={"Retry-After": "2"}))
    elapsed, answer = _timed_get(url)
    assert (answer.status_code, answer.headers["Retry-After"]) == (503, "2")
    assert elapsed >= 0.4

    held.faults.add(Fault("malformed", path="/items"))
    elapsed, answer = _timed_get(url)
    assert answer.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        json.loads(answer.text)
    assert elapsed >= 0.4

    held.faults.add(Fault("slow", path="/items", delay=0.3))
    elapsed, answer = _timed_get(url)
    assert answer.status_code == 200
    assert elapsed >= 0.7

    held.faults.add(Fault("drop", path="/items"))
    started = time.monotonic()
    with pytest.raises(requests.ConnectionError):
        requests.get(url, timeout=30)
    assert time.monotonic() - started >= 0.4
    assert held.stats()["statuses"] == {"200": 2, "503": 1}
