"""Each vendor's documented limit is on by default and refused in the vendor's own words
(Brightcove's: test_brightcove_rate_limits.py). The budgets are too large to spend in a test, so
the defaults are read from the state and the refusal is played with a small budget."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
import requests

from emulators import EmulatorServer, conviva, vbrick, webcasts


@pytest.fixture
def start() -> Iterator[Callable[..., EmulatorServer]]:
    started: list[EmulatorServer] = []

    def start(vendor: str, **options: object) -> EmulatorServer:
        started.append(EmulatorServer(vendor, **options).start())
        return started[-1]

    yield start
    for server in started:
        server.stop()


def test_conviva_allows_3000_requests_per_5_minutes_per_ip_by_default() -> None:
    limiter = conviva.create_app(size=10).extensions["emulator_state"].rate_limiter
    assert (limiter.requests, limiter.seconds) == (3000, 300.0)


@pytest.mark.parametrize("budget", [(2, 300.0), [2, 300]])  # a JSON list (--options) too
def test_conviva_answers_429_with_its_own_body(
    start: Callable[..., EmulatorServer], budget: object
) -> None:
    server = start("conviva", size=10, rate_limit=budget)
    url = f"{server.url}/insights/3.0/sessions"
    auth = ("emulator-client", "emulator-secret")
    answers = [requests.get(url, auth=auth, timeout=30) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert answers[2].json() == {"message": "Too Many Requests"}
    assert server.stats()["throttled"] == 1


def test_conviva_limit_switched_off(start: Callable[..., EmulatorServer]) -> None:
    server = start("conviva", size=10, rate_limit=None)
    assert server.state.rate_limiter is None
    url = f"{server.url}/insights/3.0/sessions"
    auth = ("emulator-client", "emulator-secret")
    assert {requests.get(url, auth=auth, timeout=30).status_code for _ in range(5)} == {200}


def test_vbrick_budgets_are_the_official_clients_per_minute_by_default() -> None:
    state = vbrick.create_app(size=4).extensions["emulator_state"]
    assert state.rate_limits == {"GET": 24000, "POST": 3600, "realtime": 2}
    assert state.rate_window_seconds == 60.0


def test_vbrick_answers_429_with_its_own_body(start: Callable[..., EmulatorServer]) -> None:
    server = start("vbrick", size=4, rate_limits={"GET": 1, "POST": 3600, "realtime": 2})
    url = f"{server.url}/api/v2/user/session"
    first, second = (requests.get(url, timeout=30) for _ in range(2))
    assert first.status_code == 401  # counted before the session is checked
    assert second.status_code == 429
    assert second.json() == {"code": "TooManyRequests", "detail": "Too Many Requests"}
    assert 1 <= int(second.headers["Retry-After"]) <= 60


def test_vbrick_takes_lists_for_its_set_options() -> None:
    state = vbrick.create_app(
        size=4, forbidden=["a"], missing=["b"], drop_fields={"comments": ["commentId"]}
    ).extensions["emulator_state"]
    assert state.forbidden == {"a"}
    assert state.missing == {"b"}
    assert state.drop_fields == {"comments": {"commentId"}}


def test_webcasts_quotas_are_the_pages_by_default() -> None:
    quotas = webcasts.create_app(size=5).extensions["emulator_state"].quotas
    assert (quotas.per_hour, quotas.expired_per_hour) == (1000, 50)
