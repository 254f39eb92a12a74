"""The shared fault switches and request recorder behave as every tap's tests rely on."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest
import requests
from flask import Flask, jsonify

from emulators import EmulatorServer, Fault
from emulators.recorder import redact_query


def _app() -> Flask:
    app = Flask("tiny")

    @app.get("/items")
    def items():  # type: ignore[no-untyped-def]
        return jsonify({"result": list(range(50))})

    return app


@pytest.fixture(scope="module")
def server() -> Iterator[EmulatorServer]:
    with EmulatorServer("tiny", app=_app()) as srv:
        yield srv


@pytest.fixture(autouse=True)
def _reset(server: EmulatorServer) -> None:
    server.reset()


def test_status_fault_skips_then_hits_then_is_spent(server: EmulatorServer) -> None:
    server.faults.add(
        Fault("status", path="/items", skip=1, times=2, status=429, headers={"Retry-After": "3"})
    )
    codes = [requests.get(f"{server.url}/items", timeout=5) for _ in range(4)]
    assert [r.status_code for r in codes] == [200, 429, 429, 200]
    assert codes[1].headers["Retry-After"] == "3"
    assert len(server.requests.matching("/items")) == 4


def test_drop_closes_the_connection_without_an_answer(server: EmulatorServer) -> None:
    server.faults.add(Fault("drop", path="/items"))
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{server.url}/items", timeout=5)
    assert requests.get(f"{server.url}/items", timeout=5).status_code == 200


def test_malformed_cuts_the_body(server: EmulatorServer) -> None:
    server.faults.add(Fault("malformed", path="/items"))
    response = requests.get(f"{server.url}/items", timeout=5)
    assert response.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.text)


def test_slow_delays_then_answers(server: EmulatorServer) -> None:
    server.faults.add(Fault("slow", path="/items", delay=0.3))
    with pytest.raises(requests.Timeout):
        requests.get(f"{server.url}/items", timeout=0.1)


def test_faults_over_http_control_endpoint(server: EmulatorServer) -> None:
    created = requests.post(
        f"{server.url}/_emulator/faults",
        json={"kind": "status", "status": 504, "times": 1},
        timeout=5,
    )
    assert created.status_code == 200
    assert requests.get(f"{server.url}/items", timeout=5).status_code == 504
    assert (
        requests.post(
            f"{server.url}/_emulator/faults", json={"kind": "nope"}, timeout=5
        ).status_code
        == 400
    )
    logged = requests.get(f"{server.url}/_emulator/requests", timeout=5).json()
    assert [r["path"] for r in logged] == ["/items"]


def test_access_log_masks_secret_query_values(
    server: EmulatorServer, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG, logger="emulators"):
        requests.get(f"{server.url}/items?username=u&password=hunter2", timeout=5)
    assert "username=u&password=***" in caplog.text
    assert "hunter2" not in caplog.text
    assert redact_query("ui=1&apiKey=k&si=2") == "ui=1&apiKey=***&si=2"
