"""tap-webcast-reporting: one XML report of 100,000 registrants, and one of 200,000 (the peak
memory goal: under 200 MB however large the report)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from lxml import etree

from bench.case import BenchCase
from bench.floor_http import floor_session
from emulators.webcasts import DEFAULT_PASSWORD, DEFAULT_USERNAME

EVENT = "2227117"


def config(url: str) -> dict:
    return {
        "username": DEFAULT_USERNAME,
        "password": DEFAULT_PASSWORD,
        "api_url": f"{url}/api",
        "reporting_url": f"{url}/api/reporting",
        "event_ids": [EVENT],
        "timezone": "GMT",
    }


def viewer_record(viewer: etree._Element) -> dict[str, Any]:
    """The least a tap makes of one <viewer>: its values by name, nothing converted."""
    return {
        "registration_date": viewer.findtext("registration_date"),
        "registration_answers": {
            ra.get("id"): ra.text for ra in viewer.iterfind("registration_answers/ra")
        },
        "sessions": [{f.tag: f.text for f in s} for s in viewer.iterfind("sessions/session")],
        "qa": [(q.text or "").strip() for q in viewer.iterfind("qa/question")],
        "survey_responses": [
            {**sr.attrib, "value": sr.text} for sr in viewer.iterfind("survey_responses/sr")
        ],
    }


def floor(url: str) -> Iterator[dict[str, Any]]:
    """The same report fetched and walked with requests + lxml iterparse (clearing as it goes)."""
    http = floor_session()
    login = http.get(
        f"{url}/api/login",
        params={"username": DEFAULT_USERNAME, "password": DEFAULT_PASSWORD, "ver": "2.0"},
        timeout=30,
    ).text
    ui = re.search(r"<userid>.*?<value>(\w+)", login, re.S)
    si = re.search(r"<sessionid>.*?<value>(\w+)", login, re.S)
    assert ui is not None
    assert si is not None
    params = {"ui": ui[1], "si": si[1], "ver": "2.0", "ei": EVENT, "tz": "GMT"}
    response = http.get(f"{url}/api/reporting/report/xml", params=params, stream=True, timeout=300)
    response.raw.decode_content = True
    for _, viewer in etree.iterparse(response.raw, events=("end",), tag="viewer"):
        yield viewer_record(viewer)
        viewer.clear()
        while viewer.getprevious() is not None:
            del viewer.getparent()[0]


def _case(size: int) -> BenchCase:
    return BenchCase(
        name=f"tap-webcast-reporting registrants {size // 1000}k",
        label=f"webcasts registrants {size // 1000}k",
        vendor="webcasts",
        tap="tap-webcast-reporting",
        streams=["registrants"],
        config=config,
        floor="bench.tap_webcast_reporting:floor",
        emulator_options={"size": size, "events": 1, "expired_events": 0, "samples": False},
    )


CASES = [_case(100_000), _case(200_000)]
