"""Brightcove's documented limits, on by default: 50 requests a second per account and per client
IP, past which the Audience API answers 429 REQUEST_THROTTLED_ERROR with ``Retry-After: 1``.

Bursts are sent from threads. Exact counts freeze the limiters' clocks, so every request of a
burst falls in one second however slow the machine; the real-clock test only counts answers.
"""

from __future__ import annotations

import http.client
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from emulators import EmulatorServer
from emulators.brightcove.throttle import SlidingWindow

ACCOUNT, OTHER = "1486906377", "57838016001"
THROTTLED_BODY = [
    {
        "error_code": "REQUEST_THROTTLED_ERROR",
        "message": "The user has exceeded the rate limiting policy",
    }
]


class FrozenClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def start() -> Iterator[Callable[..., EmulatorServer]]:
    started: list[EmulatorServer] = []

    def start(**options: object) -> EmulatorServer:
        started.append(EmulatorServer("brightcove", size=30, **options).start())
        return started[-1]

    yield start
    for server in started:
        server.stop()


def _freeze(server: EmulatorServer) -> FrozenClock:
    clock = FrozenClock()
    server.state.account_calls.clock = clock
    server.state.ip_calls.clock = clock
    return clock


def _token(server: EmulatorServer) -> str:
    answer = requests.post(
        f"{server.url}/v4/access_token",
        auth=("emulator-client", "emulator-secret"),
        data={"grant_type": "client_credentials"},
        timeout=30,
    )
    return str(answer.json()["access_token"])


def _burst(server: EmulatorServer, accounts: list[str]) -> list[requests.Response]:
    """One request per account named, all at once from threads (one connection each)."""
    headers = {"Authorization": f"Bearer {_token(server)}"}
    workers = min(len(accounts), 32)
    barrier = threading.Barrier(workers)  # the first pool-full starts together

    def one(index: int) -> requests.Response:
        if index < workers:
            barrier.wait(timeout=60)
        url = f"{server.url}/v1/accounts/{accounts[index]}/view_events"
        return requests.get(url, headers=headers, timeout=60)

    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(one, range(len(accounts))))


def _statuses(answers: list[requests.Response]) -> dict[int, int]:
    counts: dict[int, int] = {}
    for answer in answers:
        counts[answer.status_code] = counts.get(answer.status_code, 0) + 1
    return counts


def _assert_brightcove_429(answers: list[requests.Response]) -> None:
    for answer in answers:
        if answer.status_code == 429:
            assert answer.headers["Retry-After"] == "1"
            assert answer.json() == THROTTLED_BODY


def test_both_limits_are_on_by_default_at_50_a_second(
    start: Callable[..., EmulatorServer],
) -> None:
    server = start()
    assert (server.state.rate_limit, server.state.ip_rate_limit) == (50, 50)
    _freeze(server)
    answers = _burst(server, [ACCOUNT] * 60)
    assert _statuses(answers) == {200: 50, 429: 10}
    _assert_brightcove_429(answers)


def test_per_account_limit_answers_429_past_50_in_one_second(
    start: Callable[..., EmulatorServer],
) -> None:
    server = start(ip_rate_limit=None)
    clock = _freeze(server)
    answers = _burst(server, [ACCOUNT] * 50 + [OTHER] * 70)
    by_account = {
        account: _statuses([a for a in answers if f"/{account}/" in a.url])
        for account in (ACCOUNT, OTHER)
    }
    # 50 in the second is within the limit; each account has its own 50.
    assert by_account == {ACCOUNT: {200: 50}, OTHER: {200: 50, 429: 20}}
    _assert_brightcove_429(answers)
    assert server.stats()["throttled"] == 20
    clock.now += 1.0  # the window slides past the burst
    assert _statuses(_burst(server, [OTHER] * 5)) == {200: 5}


def test_per_ip_limit_answers_429_past_50_in_one_second_whatever_the_account(
    start: Callable[..., EmulatorServer],
) -> None:
    server = start(rate_limit=None)
    clock = _freeze(server)
    within = _burst(server, [ACCOUNT] * 25 + [OTHER] * 25)
    assert _statuses(within) == {200: 50}
    past = _burst(server, [ACCOUNT] * 10 + [OTHER] * 10)
    assert _statuses(past) == {429: 20}
    _assert_brightcove_429(past)
    # Unauthenticated calls count too (the limit is the client's, before its token is read).
    assert requests.get(f"{server.url}/v1/accounts/{ACCOUNT}/leads", timeout=30).status_code == 429
    # Another client IP has its own 50.
    assert _get_from("127.0.0.2", server, _token(server)) == 200
    clock.now += 1.0
    assert _statuses(_burst(server, [ACCOUNT] * 5)) == {200: 5}


def _get_from(source_ip: str, server: EmulatorServer, token: str) -> int:
    connection = http.client.HTTPConnection(
        "127.0.0.1", server.port, timeout=30, source_address=(source_ip, 0)
    )
    try:
        connection.request(
            "GET",
            f"/v1/accounts/{ACCOUNT}/view_events",
            headers={"Authorization": f"Bearer {token}"},
        )
    except OSError as exc:
        pytest.skip(f"cannot send from {source_ip} on this machine: {exc}")
    try:
        return connection.getresponse().status
    finally:
        connection.close()


def test_none_switches_each_limit_off(start: Callable[..., EmulatorServer]) -> None:
    server = start(rate_limit=None, ip_rate_limit=None)
    _freeze(server)
    assert _statuses(_burst(server, [ACCOUNT] * 120)) == {200: 120}


def test_the_token_endpoint_counts_in_neither_limit(
    start: Callable[..., EmulatorServer],
) -> None:
    server = start(rate_limit=1, ip_rate_limit=1)
    _freeze(server)
    tokens = [_token(server) for _ in range(5)]
    assert len(set(tokens)) == 5
    assert _statuses(_burst(server, [ACCOUNT] * 3)) == {200: 1, 429: 2}


def test_a_real_burst_is_cut_at_50_a_second(start: Callable[..., EmulatorServer]) -> None:
    server = start()
    count = 200
    started = time.monotonic()
    answers = _burst(server, [ACCOUNT] * count)
    elapsed = time.monotonic() - started
    statuses = _statuses(answers)
    assert set(statuses) <= {200, 429}
    _assert_brightcove_429(answers)
    # However long the burst took: the first 50 pass, and never more than 50 in any second.
    assert statuses[200] >= 50
    assert statuses[200] <= 50 * (int(elapsed) + 1)
    assert statuses.get(429, 0) > 0 or elapsed > count / 50
    time.sleep(1.1)  # Retry-After: 1, and a little
    assert _statuses(_burst(server, [ACCOUNT])) == {200: 1}


def test_the_window_slides_and_refusals_do_not_count() -> None:
    clock = FrozenClock()
    window = SlidingWindow(seconds=1.0, clock=clock)
    assert [window.admit("a", 3) for _ in range(5)] == [True, True, True, False, False]
    assert window.admit("b", 3)  # its own window
    clock.now += 0.5
    assert not window.admit("a", 3)
    clock.now += 0.5  # the first three are a second old: out of the window
    assert [window.admit("a", 3) for _ in range(4)] == [True, True, True, False]
    assert all(window.admit("a", None) for _ in range(10))
