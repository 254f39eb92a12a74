"""The owed items (owed.py, the same in the four taps): what is owed, paid, carried from the
state, dropped after max_owed_syncs; and which failures make an item owed (owed_reason)."""

from __future__ import annotations

import importlib
import logging
from types import ModuleType

import pytest
import requests
from singer_sdk.exceptions import RetriableAPIError

PACKAGES = (
    "tap_brightcove_audience",
    "tap_conviva_sessions",
    "tap_vbrick_webcast",
    "tap_webcast_reporting",
)
LOG = logging.getLogger("test-owed")


@pytest.fixture(params=PACKAGES)
def tap(request: pytest.FixtureRequest) -> tuple[ModuleType, ModuleType, ModuleType]:
    package = request.param
    return tuple(  # type: ignore[return-value]
        importlib.import_module(f"{package}.{name}") for name in ("owed", "client", "errors")
    )


def test_an_item_owed_is_kept_in_the_state_and_paid_later(tap, caplog) -> None:
    owed, _client, _errors = tap
    state: dict = {}
    items = owed.OwedItems("things", state, max_syncs=3, logger=LOG)
    with caplog.at_level(logging.INFO, logger="test-owed"):
        items.owe({"id": "a"}, "HTTP 500")
        items.owe({"id": "b"}, "not the documented shape")
    assert [o["item"] for o in state["owed"]] == [{"id": "a"}, {"id": "b"}]
    assert state["owed"][0]["syncs"] == 1
    assert "things: skipped id=a, owed to the next sync (HTTP 500)" in caplog.text

    next_sync = owed.OwedItems("things", state, max_syncs=3, logger=LOG)
    assert next_sync.due() == [{"id": "a"}, {"id": "b"}]
    next_sync.paid({"id": "a"})
    next_sync.owe({"id": "b"}, "HTTP 500 again")
    assert [(o["item"], o["syncs"]) for o in state["owed"]] == [({"id": "b"}, 2)]

    third = owed.OwedItems("things", state, max_syncs=3, logger=LOG)
    third.paid({"id": "b"})
    assert "owed" not in state


def test_an_item_owed_too_long_is_dropped_with_an_error(tap, caplog) -> None:
    owed, _client, _errors = tap
    state: dict = {}
    for _ in range(2):
        owed.OwedItems("things", state, max_syncs=2, logger=LOG).owe({"id": "a"}, "HTTP 500")
    assert state["owed"][0]["syncs"] == 2
    with caplog.at_level(logging.ERROR, logger="test-owed"):
        owed.OwedItems("things", state, max_syncs=2, logger=LOG).owe({"id": "a"}, "HTTP 500")
    assert "owed" not in state
    (record,) = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert "id=a is no longer owed: it failed in 3 syncs in a row (max_owed_syncs)" in (
        record.getMessage()
    )


def test_the_summary_counts_streams_that_did_not_run(tap, caplog) -> None:
    owed, _client, errors = tap
    tap_state = {
        "bookmarks": {
            "idle": {"owed": [{"item": {"id": "z"}, "reason": "r", "since": "s", "syncs": 1}]}
        }
    }
    ledger = owed.OwedLedger(max_syncs=5, fail=True, state=tap_state, logger=LOG)
    ledger.expected = {"things", "idle"}
    ledger.of("things", {}).owe({"id": "a"}, "HTTP 500")
    ledger.stream_finished("things")
    with pytest.raises(errors.OwedItemsError, match="2 item"), caplog.at_level(logging.WARNING):
        ledger.stream_finished("idle")
    assert "Owed to the next sync: 2 item(s): things: id=a (HTTP 500); idle: id=z (r)" in (
        caplog.text
    )


def answer(status: int) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response.url = "https://api.example.com/x"
    return response


def test_only_answers_about_an_item_make_it_owed(tap) -> None:
    _owed, client, errors = tap
    exhausted = errors.RetriesExhaustedError
    server_error = RetriableAPIError("HTTP 500 for this item", answer(500))
    assert client.owed_reason(exhausted("gave up", server_error)) == "HTTP 500 for this item"
    throttled = RetriableAPIError("HTTP 429", answer(429))
    assert client.owed_reason(exhausted("gave up", throttled)) is None
    down = errors.NoAnswerError("GET api.example.com/x: could not connect", "https://x")
    assert client.owed_reason(exhausted("gave up", down)) is None
    unavailable = errors.ApiUnavailableError("the service is unavailable")
    assert client.owed_reason(exhausted("gave up", unavailable)) is None
