"""The Brightcove emulator behaves as the Audience API documents: tokens, errors, parameters,
data that keeps changing, and pages computed on demand at any size."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest
import requests
from brightcove_audience.helpers import CLIENT_ID, CLIENT_SECRET
from testkit import start_emulator

from emulators import EmulatorServer, Fault


def token(server: EmulatorServer, **form: str) -> dict:
    answer = requests.post(
        f"{server.url}/v4/access_token",
        auth=(CLIENT_ID, CLIENT_SECRET),
        data={"grant_type": "client_credentials", **form},
        timeout=5,
    )
    answer.raise_for_status()
    return answer.json()


def get(server: EmulatorServer, resource: str, account: str = "1486906377", **params: object):
    bearer = token(server)["access_token"]
    return requests.get(
        f"{server.url}/v1/accounts/{account}/{resource}",
        params=params,
        headers={"Authorization": f"Bearer {bearer}"},
        timeout=10,
    )


def test_token_needs_basic_client_credentials(server: EmulatorServer) -> None:
    reply = token(server)
    assert reply["token_type"] == "Bearer"
    assert reply["expires_in"] == 300
    wrong = requests.post(
        f"{server.url}/v4/access_token",
        auth=(CLIENT_ID, "wrong"),
        data={"grant_type": "client_credentials"},
        timeout=5,
    )
    assert wrong.status_code == 401
    assert wrong.json()["error"] == "invalid_client"
    no_grant = requests.post(
        f"{server.url}/v4/access_token", auth=(CLIENT_ID, CLIENT_SECRET), timeout=5
    )
    assert no_grant.status_code == 400
    assert token(server, expires_in="5")["expires_in"] == 5


def test_api_refuses_missing_and_expired_tokens(server: EmulatorServer) -> None:
    url = f"{server.url}/v1/accounts/1486906377/view_events"
    missing = requests.get(url, timeout=5)
    assert missing.status_code == 401
    assert missing.json() == [{"error_code": "UNAUTHORIZED_ERROR", "message": "Permission denied"}]
    bearer = token(server)["access_token"]
    headers = {"Authorization": f"Bearer {bearer}"}
    server.state.expire_tokens(after_requests=1)
    assert requests.get(url, headers=headers, timeout=5).status_code == 200
    assert requests.get(url, headers=headers, timeout=5).status_code == 401


def test_limit_above_100_is_a_400_with_the_documented_body(server: EmulatorServer) -> None:
    answer = get(server, "view_events", limit=101)
    assert answer.status_code == 400
    [error] = answer.json()
    assert error["error_code"] == "BAD_REQUEST_ERROR"
    assert "limit" in error["message"]


def test_status_faults_answer_brightcove_error_bodies(server: EmulatorServer) -> None:
    server.faults.add(Fault("status", path="/view_events", status=504))
    answer = get(server, "view_events")
    assert answer.status_code == 504
    assert answer.json()[0]["error_code"] == "GATEWAY_TIMEOUT_ERROR"


def test_paging_covers_count_once_in_sort_order(server: EmulatorServer) -> None:
    seen: list[dict] = []
    offset = 0
    while True:
        page = get(server, "view_events", limit=100, offset=offset, sort="updated_at").json()
        seen += page["result"]
        offset += len(page["result"])
        if offset >= page["count"]:
            break
    assert len(seen) == page["count"] == 300
    updated = [r["updated_at"] for r in seen]
    assert updated == sorted(updated)
    assert len({r["created_at"] for r in seen}) == 300
    descending = get(server, "view_events", limit=5, sort="-updated_at").json()["result"]
    assert [r["updated_at"] for r in descending] == sorted(updated, reverse=True)[:5]


def test_where_and_or_and_fields(server: EmulatorServer) -> None:
    everything = get(server, "view_events", limit=100).json()["count"]
    players = get(server, "view_events", where="player_id==V1s6NOwRx,BkgFuzyhg", limit=100)
    body = players.json()
    assert 0 < body["count"] < everything
    assert {r["player_id"] for r in body["result"]} <= {"V1s6NOwRx", "BkgFuzyhg"}
    narrowed = get(
        server, "view_events", where="player_id==V1s6NOwRx,BkgFuzyhg;is_synced==false"
    ).json()
    assert narrowed["count"] <= body["count"]
    only = get(server, "leads", fields="email_address,created_at", limit=3).json()["result"]
    assert all(set(r) == {"email_address", "created_at"} for r in only)
    unknown = get(server, "view_events", where="colour==red")
    assert unknown.status_code == 400
    assert "colour" in unknown.json()[0]["message"]


def test_from_and_to_in_every_documented_form(server: EmulatorServer) -> None:
    def count(**params: object) -> int:
        answer = get(server, "view_events", **params)
        assert answer.status_code == 200, answer.text
        return answer.json()["count"]

    total = count()
    day_ms = 86_400_000
    jan_1 = 1_767_225_600_000  # 2026-01-01T00:00:00Z
    assert count(**{"from": "2026-01-01", "to": "now"}) == total
    ten_days = count(**{"from": "2026-01-01", "to": "10d"})
    assert ten_days == count(**{"from": jan_1, "to": jan_1 + 10 * day_ms})
    assert 0 < ten_days < total
    assert count(**{"from": "-240h", "to": "2026-01-11"}) == ten_days
    assert count(**{"from": "-48h", "to": "now"}) == 0  # nothing processed lately
    bad = get(server, "view_events", **{"from": "yesterday"})
    assert bad.status_code == 400
    assert "from" in bad.json()[0]["message"]


def test_view_events_keep_being_processed(server: EmulatorServer) -> None:
    before = get(server, "view_events", limit=100, sort="-updated_at").json()
    changed = server.state.process("1486906377", count=3)
    after = get(server, "view_events", limit=100, sort="-updated_at").json()
    assert after["count"] == before["count"]  # moved, not added
    newest = after["result"][:3]
    assert all(r["updated_at"] > before["result"][0]["updated_at"] for r in newest)
    assert len(changed) == 3


@pytest.fixture(scope="module")
def huge() -> Iterator[EmulatorServer]:
    server = start_emulator("brightcove", size=5_000_000, seed=7)
    yield server
    server.stop()


def test_millions_of_records_are_served_page_by_page(huge: EmulatorServer) -> None:
    started = time.perf_counter()
    first = get(huge, "view_events", limit=100, sort="updated_at").json()
    deep = get(huge, "view_events", limit=100, offset=4_999_950, sort="updated_at").json()
    assert first["count"] == 5_000_000
    assert len(deep["result"]) == 50
    assert time.perf_counter() - started < 5


def test_same_seed_same_data_other_seed_other_data(server: EmulatorServer) -> None:
    with (
        EmulatorServer("brightcove", size=300) as twin,
        EmulatorServer("brightcove", size=300, seed=1) as other,
    ):
        mine = get(server, "leads", limit=20).json()["result"]
        assert get(twin, "leads", limit=20).json()["result"] == mine
        assert get(other, "leads", limit=20).json()["result"] != mine
    assert json.dumps(mine)


def test_records_change_between_calls_when_asked() -> None:
    with EmulatorServer("brightcove", size=300, updates_per_request=5) as busy:
        first = get(busy, "view_events", limit=100, sort="-updated_at").json()
        second = get(busy, "view_events", limit=100, sort="-updated_at").json()
    assert first["count"] == second["count"] == 300
    assert second["result"][0]["updated_at"] > first["result"][0]["updated_at"]


def test_rate_limit_answers_429_with_retry_after() -> None:
    with EmulatorServer("brightcove", size=30, rate_limit=1) as strict:
        bearer = token(strict)["access_token"]
        url = f"{strict.url}/v1/accounts/1486906377/leads"
        headers = {"Authorization": f"Bearer {bearer}"}
        codes = [requests.get(url, headers=headers, timeout=5) for _ in range(2)]
    assert [c.status_code for c in codes] == [200, 429]
    assert codes[1].headers["Retry-After"] == "1"
    assert codes[1].json()[0]["error_code"] == "REQUEST_THROTTLED_ERROR"


def test_switches_play_other_answers_for_the_accounts_named_and_reset(
    server: EmulatorServer,
) -> None:
    other = "57838016001"
    server.state.variants.count = "missing"
    server.state.variants.accounts = frozenset({other})
    assert get(server, "leads").json()["count"] == 60  # not named: as documented
    assert "count" not in get(server, "leads", account=other).json()
    server.state.refuse(other)
    assert get(server, "leads", account=other).status_code == 401
    late = server.state.hold_leads("1486906377", [58, 59])
    page = get(server, "leads", limit=100).json()
    assert page["count"] == 58
    assert not {r["created_at"] for r in page["result"]} & set(late)
    server.state.reset_switches()
    assert get(server, "leads", account=other).json()["count"] == 60
    assert get(server, "leads", limit=100).json()["count"] == 60
