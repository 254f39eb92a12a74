"""The Rev emulator keeps Rev's documented behaviour: the demo and the tests rely on it."""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Iterator

import pytest
import requests
from flask import jsonify
from testkit import start_emulator

from emulators import EmulatorServer
from emulators.datagen import iso_ms as general_iso_ms
from emulators.vbrick import data
from emulators.vbrick.app import create_app
from emulators.vbrick.data import Catalog
from emulators.vbrick.state import VbrickState


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


# -- the emulator made cheaper serves the same data (issue 10) ---------------------------------

#: sha256 of the data the emulator generated before it was made cheaper (git 07fcf25): webcasts,
#: sessions of runs 0 and 1, totals, comments, polls, questions and real-time attendees.
DATA_DIGEST = "d6a11a30eca3da0d6268e65d9c09dde9d1056a93ba67ed70ff054b9a699a9895"


def test_the_generated_data_is_the_data_served_before() -> None:
    state = VbrickState(
        seed=42, size=60, anchor=1_780_000_000.0, in_progress=2, upcoming=2, large_webcasts=3
    )
    catalog = Catalog(state)
    digest = hashlib.sha256()
    for i in range(60):
        w = catalog.webcast(i)
        out: list[object] = [catalog.event(w)]
        for run in (0, 1):
            count = min(catalog.session_count(w, run), 120)
            out += [catalog.session(w, run, k) for k in range(count)]
            out += [catalog.report_totals(w, run), catalog.comments(w, run)]
            out += [catalog.polls(w, run), catalog.questions(w, run)]
        out += [catalog.realtime_attendee(w, k, d) for k in range(5) for d in ("All", "Base")]
        digest.update(json.dumps(out).encode())
    assert digest.hexdigest() == DATA_DIGEST


def test_the_quick_formatters_write_the_general_rules_texts() -> None:
    draw = random.Random(10)
    anchor = 1_780_000_000.0
    for _ in range(200_000):
        ts = anchor - draw.randint(0, 2000) * 43200.0 + draw.randint(0, 4000) / 1000
        ts += draw.choice((0.0, draw.random() * 1e4, -draw.random(), draw.randint(60, 7200)))
        assert data.iso_ms(ts) == general_iso_ms(ts), ts
        seconds = draw.choice((draw.randint(60, 7200), round(draw.random() * 7200, 3)))
        for value in (seconds, seconds * draw.random(), draw.random() * 200_000, -draw.random()):
            assert data.timespan(value) == data.timespan_text(value), value
    for ts in (0.0, -0.5, -1.0000005, 0.0000005, 0.0000015, 1.9999995, 59.9999999, 1e9 + 0.9999996):
        assert data.iso_ms(ts) == general_iso_ms(ts), ts


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
