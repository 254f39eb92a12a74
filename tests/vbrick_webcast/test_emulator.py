"""The Rev emulator keeps Rev's documented behaviour: the demo and the tests rely on it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from flask import jsonify
from testkit import start_emulator

from emulators import EmulatorServer
from emulators.vbrick.app import create_app
from emulators.vbrick.data import Catalog


@pytest.fixture
def rev() -> Iterator[EmulatorServer]:
    server = start_emulator("vbrick", size=3, in_progress=1, upcoming=0, sessions_per_webcast=600)
    try:
        yield server
    finally:
        server.stop()


def login(server: EmulatorServer) -> dict[str, str]:
    body = {"apiKey": "emulator-api-key", "secret": "emulator-secret"}
    answer = requests.post(f"{server.url}/api/v2/authenticate", json=body, timeout=5)
    assert answer.status_code == 200
    return {"Authorization": f"VBrick {answer.json()['token']}"}


def search(server: EmulatorServer, headers: dict[str, str], **body: object) -> requests.Response:
    return requests.post(
        f"{server.url}/api/v2/search/scheduled-events", json=body, headers=headers, timeout=5
    )


def test_same_seed_same_data() -> None:
    with (
        EmulatorServer("vbrick", seed=7, anchor=1_700_000_000) as a,
        EmulatorServer("vbrick", seed=7, anchor=1_700_000_000) as b,
    ):
        bodies = [
            search(s, login(s), startDate="2020-01-01T00:00:00Z", sortField="startDate").json()
            for s in (a, b)
        ]
    assert bodies[0]["events"] == bodies[1]["events"]
    assert bodies[0]["total"] == 40


def test_every_call_needs_a_live_session(rev: EmulatorServer) -> None:
    assert search(rev, {}, startDate="2020-01-01T00:00:00Z").status_code == 401
    headers = login(rev)
    assert search(rev, headers, startDate="2020-01-01T00:00:00Z").status_code == 200
    rev.state.expire_tokens()
    answer = search(rev, headers, startDate="2020-01-01T00:00:00Z")
    assert answer.status_code == 401
    assert answer.json()["code"] == "Unauthorized"


def test_extend_session_moves_the_expiration(rev: EmulatorServer) -> None:
    headers = login(rev)
    token = headers["Authorization"].split()[1]
    before = rev.state.tokens[token]
    answer = requests.post(f"{rev.url}/api/v2/user/extend-session", headers=headers, timeout=5)
    assert answer.status_code == 200
    assert rev.state.tokens[token] >= before
    assert answer.json()["expiration"].endswith("Z")


def test_repeated_failed_logins_lock_the_user_out(rev: EmulatorServer) -> None:
    url = f"{rev.url}/api/v2/authenticate"
    wrong = {"apiKey": "emulator-api-key", "secret": "nope"}
    codes = [requests.post(url, json=wrong, timeout=5).status_code for _ in range(5)]
    assert codes == [401] * 5
    right = {"apiKey": "emulator-api-key", "secret": "emulator-secret"}
    locked = requests.post(url, json=right, timeout=5)
    assert locked.status_code == 401
    assert "locked" in locked.json()["detail"]


def test_scrolls_only_move_forward_and_expire(rev: EmulatorServer) -> None:
    headers = login(rev)
    event_id = search(rev, headers, startDate="2020-01-01T00:00:00Z").json()["events"][0]["id"]
    url = f"{rev.url}/api/v2/scheduled-events/{event_id}/post-event-report"
    first = requests.get(url, params={"runNumber": 0}, headers=headers, timeout=5).json()
    assert len(first["sessions"]) == 500
    assert first["totalSessions"] == 600
    scroll = first["scrollId"]
    second = requests.get(
        url, params={"runNumber": 0, "scrollId": scroll}, headers=headers, timeout=5
    )
    assert len(second.json()["sessions"]) == 100
    assert "scrollId" not in second.json()
    reused = requests.get(
        url, params={"runNumber": 0, "scrollId": scroll}, headers=headers, timeout=5
    )
    assert reused.status_code == 408
    unknown = requests.get(
        url, params={"runNumber": 0, "scrollId": "nope"}, headers=headers, timeout=5
    )
    assert unknown.status_code == 400
    assert unknown.json()["errorDescription"] == "Invalid scrollId"
    rev.state.scroll_ttl_seconds = 0
    again = requests.get(url, params={"runNumber": 0}, headers=headers, timeout=5).json()
    expired = requests.get(
        url, params={"runNumber": 0, "scrollId": again["scrollId"]}, headers=headers, timeout=5
    )
    assert expired.status_code == 408


def test_poll_results_of_a_run_that_never_happened_is_an_empty_body(rev: EmulatorServer) -> None:
    headers = login(rev)
    event_id = search(rev, headers, startDate="2020-01-01T00:00:00Z").json()["events"][0]["id"]
    url = f"{rev.url}/api/v2/scheduled-events/{event_id}/poll-results"
    answer = requests.get(url, params={"runNumber": 5}, headers=headers, timeout=5)
    assert answer.status_code == 200
    assert answer.content == b""


def test_search_limits_and_window(rev: EmulatorServer) -> None:
    headers = login(rev)
    assert search(rev, headers, startDate="2020-01-01T00:00:00Z", size=10).status_code == 400
    assert search(rev, headers).status_code == 400  # at least one search term
    backwards = search(
        rev, headers, startDate="2030-01-01T00:00:00Z", endDate="2020-01-01T00:00:00Z"
    )
    assert backwards.status_code == 400


def test_realtime_attendees_keep_vbricks_pace(rev: EmulatorServer) -> None:
    headers = login(rev)
    events = search(rev, headers, startDate="2020-01-01T00:00:00Z", sortField="startDate").json()
    running = events["events"][-1]["id"]
    over = events["events"][0]["id"]
    url = f"{rev.url}/api/v2/scheduled-events/{{}}/real-time/attendees"
    body = {"attendeeDetails": "All", "count": 10}
    answers = [
        requests.post(url.format(running), json=body, headers=headers, timeout=5) for _ in range(3)
    ]
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert int(answers[2].headers["Retry-After"]) > 0
    rev.state.rate_limits["realtime"] = 100
    not_running = requests.post(url.format(over), json=body, headers=headers, timeout=5)
    assert not_running.status_code == 400


def test_forbidden_and_missing_webcasts(rev: EmulatorServer) -> None:
    headers = login(rev)
    event_id = search(rev, headers, startDate="2020-01-01T00:00:00Z").json()["events"][0]["id"]
    rev.state.forbidden.add(event_id)
    url = f"{rev.url}/api/v2/scheduled-events/{{}}/comments"
    assert requests.get(url.format(event_id), headers=headers, timeout=5).status_code == 403
    missing = event_id[:-12] + "0000000000ff"
    assert requests.get(url.format(missing), headers=headers, timeout=5).status_code == 404


# -- the report pages' JSON, cached, is jsonify's (issue 10) ------------------------------------


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"totals_on_first_page_only": True},
        {"drop_fields": {"sessions": ["email", "polls"]}},
        {"prerender_reports": True},
    ],
)
def test_report_pages_are_jsonify_byte_for_byte_and_the_same_again(options: dict) -> None:
    app = create_app(size=3, in_progress=0, upcoming=0, sessions_per_webcast=1100, **options)
    state = app.extensions["emulator_state"]
    client = app.test_client()
    token = client.post(
        "/api/v2/authenticate", json={"apiKey": "emulator-api-key", "secret": "emulator-secret"}
    ).get_json()["token"]
    headers = {"Authorization": f"VBrick {token}"}
    catalog = Catalog(state)
    pages = 0
    for i in range(3):
        w = catalog.webcast(i)
        for _ in range(2):  # the second time from the cache of report pages
            offset, scroll_id = 0, None
            while True:
                query = {"runNumber": 0, **({"scrollId": scroll_id} if scroll_id else {})}
                answer = client.get(
                    f"/api/v2/scheduled-events/{w.id}/post-event-report",
                    query_string=query,
                    headers=headers,
                )
                end = min(1100, offset + 500)
                payload = (
                    {}
                    if offset and state.totals_on_first_page_only
                    else catalog.report_totals(w, 0)
                )
                payload["sessions"] = [
                    catalog.drop("sessions", catalog.session(w, 0, k)) for k in range(offset, end)
                ]
                scroll_id = answer.get_json().get("scrollId")
                if scroll_id:
                    payload["scrollId"] = scroll_id
                with app.app_context():
                    expected = jsonify(payload)
                assert answer.get_data() == expected.get_data()
                assert answer.mimetype == expected.mimetype
                pages += 1
                offset = end
                if not scroll_id:
                    break
    assert pages == 3 * 2 * 3
