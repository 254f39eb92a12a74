"""The Conviva emulator keeps the API's documented rules (the demo and the tests rely on it)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from conviva_sessions.helpers import (
    CONTENT_SESSIONS,
    SECRET,
    base_config,
    conviva_emulator,
    emulator_now,
    epoch_ms,
    minute_floor,
    session_ids,
)
from testkit import run_tap

from emulators import EmulatorServer
from tap_conviva_sessions.tap import TapConvivaSessions

HOUR_MS = 3_600_000


@pytest.fixture(scope="module")
def api() -> Iterator[tuple[EmulatorServer, requests.Session, int]]:
    with conviva_emulator(size=5_000) as server:
        http = requests.Session()
        http.auth = ("emulator-client", SECRET)
        yield server, http, epoch_ms(minute_floor(emulator_now(server)))


def get(api, path: str, **params: object) -> requests.Response:
    server, http, _now = api
    return http.get(f"{server.url}/insights/3.0/sessions{path}", params=params, timeout=30)


def test_basic_auth_is_required(api) -> None:
    server, _http, _now = api
    answer = requests.get(f"{server.url}/insights/3.0/sessions", auth=("x", "y"), timeout=30)
    assert answer.status_code == 401
    assert answer.json() == {"message": "Unauthorized"}


@pytest.mark.parametrize(
    ("params", "status", "words"),
    [
        ({"start_epoch_ms": -4 * HOUR_MS, "end_epoch_ms": 0}, 422, "3 hours"),
        (
            {"start_epoch_ms": -32 * 24 * HOUR_MS, "end_epoch_ms": -32 * 24 * HOUR_MS + 60_000},
            422,
            "31 days",
        ),
        ({"start_epoch_ms": -HOUR_MS, "end_epoch": 0}, 400, "one time-range format"),
        ({"limit": 1501}, 400, "limit"),
        ({"days": 2}, 400, "viewer"),
        ({"device_os": "Android", "filter_id": "9876543210"}, 400, "only one type of filter"),
        ({"no_such_dimension": "x"}, 400, "Unknown dimension"),
    ],
)
def test_documented_limits_are_enforced(api, params: dict, status: int, words: str) -> None:
    now = api[2]
    shifted = {k: (now + v if k.endswith("epoch_ms") else v) for k, v in params.items()}
    if "end_epoch" in shifted:
        shifted["end_epoch"] = now // 1000
    answer = get(api, "/content", **shifted)
    assert answer.status_code == status
    assert words in answer.json()["message"]


def test_limit_caps_the_sample_and_the_sample_is_stable(api) -> None:
    now = api[2]
    params = {"start_epoch_ms": now - 3 * HOUR_MS, "end_epoch_ms": now, "limit": 25}
    first = get(api, "/content", **params).json()["sessions"]
    again = get(api, "/content", **params).json()["sessions"]
    assert len(first) == 25
    assert first == again
    default = get(api, "/content", start_epoch_ms=now - 3 * HOUR_MS, end_epoch_ms=now)
    assert len(default.json()["sessions"]) == 50


def test_start_is_inclusive_and_end_exclusive(api) -> None:
    server, _http, now = api
    session = get(api, "/content", start_epoch_ms=now - HOUR_MS, end_epoch_ms=now, limit=1).json()[
        "sessions"
    ][0]
    start = session["timestamps"]["start"]["epoch_ms"]
    end = session["timestamps"]["end"]["epoch_ms"]
    ids_at = server.state.session_ids
    assert session["conviva_session_id"] in ids_at("content", end, end + 60_000)  # ends at start
    assert session["conviva_session_id"] not in ids_at("content", start - 60_000, start)


def test_or_within_a_dimension_and_across_is_and(api) -> None:
    now = api[2]
    answer = get(
        api,
        "/content",
        start_epoch_ms=now - HOUR_MS,
        end_epoch_ms=now,
        limit=500,
        device_os=["Android", "Roku"],
        tag_subscription="free",
    ).json()["sessions"]
    assert answer
    assert {s["device_info"]["os"] for s in answer} == {"Android", "Roku"}
    assert {s["tags"]["custom_tags"]["subscription"] for s in answer} == {"free"}


def test_accounts_without_ads_or_viewer_module() -> None:
    with conviva_emulator(size=100, ad_insights=False, viewer_module=False) as server:
        http = requests.Session()
        http.auth = ("emulator-client", SECRET)
        base = f"{server.url}/insights/3.0/sessions"
        paths = [p["path"] for p in http.get(base, timeout=30).json()["sessions"]]
        assert paths == ["/insights/3.0/sessions/content"]
        assert http.get(f"{base}/ad", timeout=30).status_code == 403
        assert (
            http.get(f"{base}/content/viewer", params={"viewer_id": "v"}, timeout=30).status_code
            == 403
        )
        session = http.get(f"{base}/content", params={"limit": 1}, timeout=30).json()["sessions"]
        assert all("viewer_id" not in s for s in session)


def test_the_rate_limit_answers_429_and_the_tap_waits_it_out() -> None:
    with conviva_emulator(size=3_000, rate_limit=(6, 1.0)) as server:
        config = base_config(server, window_minutes=10, retry_initial_wait_seconds=0.5)
        run = run_tap(TapConvivaSessions, config, streams=CONTENT_SESSIONS)
        answered = len(server.requests.matching("/sessions/content"))
        windows = 18  # three hours in ten-minute windows (none full)
        assert answered > windows  # some were refused with 429 and asked again
        assert len(session_ids(run)) == len(set(session_ids(run))) > 0
