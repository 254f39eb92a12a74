"""``server.stats()`` and ``/_emulator/stats`` count the answers to vendor paths by status, every
429 as throttled (the vendor's own or a fault's), and are zeroed on request."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from flask import Flask, jsonify

from emulators import EmulatorServer, Fault


def _app() -> Flask:
    app = Flask("tiny")

    @app.get("/items")
    def items():  # type: ignore[no-untyped-def]
        return jsonify({"result": [1, 2, 3]})

    return app


@pytest.fixture(scope="module")
def server() -> Iterator[EmulatorServer]:
    with EmulatorServer("tiny", app=_app()) as srv:
        yield srv


@pytest.fixture(autouse=True)
def _reset(server: EmulatorServer) -> None:
    server.reset()


def _get(server: EmulatorServer, path: str) -> int:
    return requests.get(f"{server.url}{path}", timeout=10).status_code


def test_answers_are_counted_by_status_and_429s_as_throttled(server: EmulatorServer) -> None:
    server.faults.add(Fault("status", path="/items", skip=2, times=2, status=429))
    # A fault sees only the requests the faults before it let through.
    server.faults.add(Fault("status", path="/items", skip=2, times=1, status=500))
    codes = [_get(server, "/items") for _ in range(6)] + [_get(server, "/nowhere")]
    assert codes == [200, 200, 429, 429, 500, 200, 404]
    expected = {
        "requests": 7,
        "throttled": 2,
        "statuses": {"200": 3, "404": 1, "429": 2, "500": 1},
    }
    assert server.stats() == expected
    assert requests.get(f"{server.url}/_emulator/stats", timeout=10).json() == expected


def test_control_endpoints_are_not_counted(server: EmulatorServer) -> None:
    _get(server, "/items")
    for path in ("stats", "requests", "faults", "nothing-here"):
        requests.get(f"{server.url}/_emulator/{path}", timeout=10)
    assert server.stats() == {"requests": 1, "throttled": 0, "statuses": {"200": 1}}


def test_a_dropped_connection_is_a_request_without_a_status(server: EmulatorServer) -> None:
    server.faults.add(Fault("drop", path="/items"))
    with pytest.raises(requests.ConnectionError):
        _get(server, "/items")
    assert server.stats() == {"requests": 1, "throttled": 0, "statuses": {}}


def test_delete_and_reset_zero_the_counts(server: EmulatorServer) -> None:
    zero = {"requests": 0, "throttled": 0, "statuses": {}}
    server.faults.add(Fault("status", path="/items", status=429))
    _get(server, "/items")
    _get(server, "/items")
    assert server.stats()["requests"] == 2
    cleared = requests.delete(f"{server.url}/_emulator/stats", timeout=10)
    assert cleared.json() == {"cleared": True}
    assert server.stats() == zero
    _get(server, "/items")
    assert server.stats()["statuses"] == {"200": 1}
    server.reset()
    assert requests.get(f"{server.url}/_emulator/stats", timeout=10).json() == zero


def test_concurrent_answers_are_all_counted(server: EmulatorServer) -> None:
    server.faults.add(Fault("status", path="/items", times=50, status=429))
    with ThreadPoolExecutor(20) as pool:
        codes = list(pool.map(lambda _: _get(server, "/items"), range(200)))
    assert codes.count(429) == 50
    assert server.stats() == {
        "requests": 200,
        "throttled": 50,
        "statuses": {"200": 150, "429": 50},
    }


def test_held_answers_are_counted_with_their_status() -> None:
    with EmulatorServer("tiny", app=_app(), latency=0.1) as held:
        held.faults.add(Fault("status", path="/items", status=429))
        assert [_get(held, "/items") for _ in range(2)] == [429, 200]
        assert held.stats() == {"requests": 2, "throttled": 1, "statuses": {"200": 1, "429": 1}}


def test_the_vendors_own_429_counts_as_throttled() -> None:
    with EmulatorServer("brightcove", size=30, rate_limit=1) as brightcove:
        token = requests.post(
            f"{brightcove.url}/v4/access_token",
            auth=("emulator-client", "emulator-secret"),
            data={"grant_type": "client_credentials"},
            timeout=10,
        ).json()["access_token"]
        url = f"{brightcove.url}/v1/accounts/1486906377/leads"
        headers = {"Authorization": f"Bearer {token}"}
        codes = [requests.get(url, headers=headers, timeout=10).status_code for _ in range(2)]
        assert codes == [200, 429]
        assert brightcove.stats() == {
            "requests": 3,
            "throttled": 1,
            "statuses": {"200": 2, "429": 1},
        }
