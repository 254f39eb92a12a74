"""tap-vbrick-webcast: 100,000 attendee sessions (100 webcasts of 1,000 sessions, two report pages
each) from the Rev emulator, beside the same pages fetched and decoded with requests + json."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from bench.case import JSON_FLOOR_RATIO_GOAL, BenchCase
from bench.floor_http import floor_session

WEBCASTS = 100
SESSIONS_PER_WEBCAST = 1000
START_DATE = "2020-01-01T00:00:00Z"
# Rev's documented limit for GET calls (nearly all of the tap's): 24,000 per minute.
DOCUMENTED_RATE = 24_000 / 60


def config(url: str) -> dict[str, Any]:
    return {
        "api_url": url,
        "api_key": "emulator-api-key",
        "secret": "emulator-secret",
        "start_date": START_DATE,
    }


def floor(url: str) -> Iterator[dict[str, Any]]:
    """Log in, scroll the webcast search, then each webcast's report; yield the sessions."""
    http = floor_session()
    login = http.post(
        f"{url}/api/v2/authenticate",
        json={"apiKey": "emulator-api-key", "secret": "emulator-secret"},
        timeout=60,
    )
    http.headers["Authorization"] = f"VBrick {login.json()['token']}"
    ids: list[str] = []
    body: dict[str, Any] = {"startDate": START_DATE, "sortField": "startDate", "size": 500}
    while True:
        page = http.post(f"{url}/api/v2/search/scheduled-events", json=body, timeout=60).json()
        ids.extend(event["id"] for event in page["events"])
        if not page.get("scrollId") or not page["events"]:
            break
        body = {**body, "scrollId": page["scrollId"]}
    for event_id in ids:
        params: dict[str, Any] = {"runNumber": 0}
        while True:
            report = http.get(
                f"{url}/api/v2/scheduled-events/{event_id}/post-event-report",
                params=params,
                timeout=60,
            ).json()
            yield from report["sessions"]
            if not report.get("scrollId") or not report["sessions"]:
                break
            params = {"runNumber": 0, "scrollId": report["scrollId"]}


CASES = [
    BenchCase(
        name="tap-vbrick-webcast webcast_attendee_sessions",
        label="vbrick attendee_sessions",
        vendor="vbrick",
        tap="tap-vbrick-webcast",
        streams=["webcast_attendee_sessions"],
        config=config,
        floor="bench.tap_vbrick_webcast:floor",
        emulator_options={
            "size": WEBCASTS,
            "in_progress": 0,
            "upcoming": 0,
            "sessions_per_webcast": SESSIONS_PER_WEBCAST,
            # Every report page rendered before the emulator listens: generating a page of 500
            # sessions costs the emulator some 15 ms of CPU, which on 2 shared cores would be
            # what the runs measure (and a tap or floor that waits on it uses more CPU).
            "prerender_reports": True,
        },
        documented_rate=DOCUMENTED_RATE,
        unthrottled_options={"rate_limits": {}},
        floor_ratio_goal=JSON_FLOOR_RATIO_GOAL,
    )
]
