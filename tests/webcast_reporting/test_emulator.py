"""The webcasts.com emulator behaves as the page documents: login in XML and JSON, sessions that
expire after two hours, return codes, quotas, and data generated on demand."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator

import pytest
import requests

from emulators import EmulatorServer
from emulators.webcasts import DEFAULT_PASSWORD, DEFAULT_USERNAME


@pytest.fixture
def emu() -> Iterator[EmulatorServer]:
    with EmulatorServer(
        "webcasts", size=5, events=2, expired_events=1, max_reports_per_hour=3
    ) as srv:
        yield srv


def login(emu: EmulatorServer) -> dict[str, str]:
    text = requests.get(
        f"{emu.url}/api/login",
        params={"username": DEFAULT_USERNAME, "password": DEFAULT_PASSWORD, "ver": "2.0"},
        timeout=10,
    ).text
    si = re.search(r"<sessionid>.*?<value>(\w+)", text, re.S)
    ui = re.search(r"<userid>.*?<value>(\w+)", text, re.S)
    assert si, text
    assert ui, text
    return {"si": si[1], "ui": ui[1], "ver": "2.0"}


def code_of(text: str) -> int:
    match = re.search(r"<returnCode>\s*(\d+)", text) or re.search(r'"returnCode": (\d+)', text)
    assert match, text[:300]
    return int(match[1])


def test_login_answers_xml_and_json_and_refuses_a_bad_password(emu: EmulatorServer) -> None:
    params = {"username": DEFAULT_USERNAME, "password": DEFAULT_PASSWORD, "ver": "2.0"}
    as_json = requests.get(f"{emu.url}/api/login/json", params=params, timeout=10).json()
    assert as_json["returnCode"] == 1
    assert len(as_json["sessionid"]) == 40
    bad = requests.get(f"{emu.url}/api/login", params={**params, "password": "x"}, timeout=10)
    assert bad.status_code == 200
    assert code_of(bad.text) == 0
    old = requests.get(f"{emu.url}/api/login", params={**params, "ver": "1.0"}, timeout=10)
    assert code_of(old.text) == 71


def test_sessions_expire_after_two_hours(emu: EmulatorServer) -> None:
    auth = login(emu)
    url = f"{emu.url}/api/reporting/timezones"
    assert "<timezone_id>GMT</timezone_id>" in requests.get(url, params=auth, timeout=10).text
    emu.state.advance(7201)
    assert code_of(requests.get(url, params=auth, timeout=10).text) == 11


def test_report_formats_and_failures(emu: EmulatorServer) -> None:
    auth = login(emu)
    base = f"{emu.url}/api/reporting/report"
    xml = requests.get(f"{base}/xml", params={**auth, "ei": "2227117"}, timeout=10)
    assert xml.headers["Content-Type"] == "application/xml;charset=utf-8"
    assert xml.text.count("<viewer>") == 5
    as_json = requests.get(f"{base}/json", params={**auth, "ei": "2227117"}, timeout=10)
    assert len(json.loads(as_json.text)["data_rows"]) == 5
    csv = requests.get(
        f"{base}/csv", params={**auth, "ei": "2227117", "tz": "Nowhere/City"}, timeout=10
    )
    assert csv.text.startswith("error,description\r\n72,")
    both = {"inclu_domain": "a.com", "excl_domain": "b.com", "ei": "2227117"}
    assert code_of(requests.get(f"{base}/xml", params={**auth, **both}, timeout=10).text) == 72
    # The expired event is only served through its own request.
    assert (
        code_of(requests.get(f"{base}/xml", params={**auth, "ei": "2227118"}, timeout=10).text)
        == 10
    )


def test_the_page_samples_are_served_as_they_are(emu: EmulatorServer) -> None:
    auth = login(emu)
    base = f"{emu.url}/api/reporting/report"
    xml = requests.get(f"{base}/xml", params={**auth, "ei": "123456"}, timeout=10).text
    assert '<ra id="email"agraystone@companyx.com</ra>' in xml
    raw = requests.get(f"{base}/json", params={**auth, "ei": "20786"}, timeout=10).text
    assert '\n00:10:02",\n' in raw
    with pytest.raises(json.JSONDecodeError):
        json.loads(raw)


def test_one_report_in_flight(tmp_path: object) -> None:
    with EmulatorServer("webcasts", size=5000, events=1, expired_events=0) as big:
        auth = {**login(big), "ei": "2227117"}
        url = f"{big.url}/api/reporting/report/xml"
        first = requests.get(url, params=auth, stream=True, timeout=30)
        assert code_of(requests.get(url, params=auth, timeout=30).text) == 62
        assert first.content.count(b"<viewer>") == 5000  # read to the end: the slot is free
        first.close()
        for _ in range(50):
            if not big.state.quotas._in_flight[False]:
                break
            threading.Event().wait(0.05)
        assert code_of(requests.get(url, params=auth, timeout=30).text) == 1


def test_quotas_per_hour_and_expired_once_per_48_hours(emu: EmulatorServer) -> None:
    auth = login(emu)
    base = f"{emu.url}/api/reporting"
    event = {**auth, "ei": "2227117"}
    codes = [
        code_of(requests.get(f"{base}/report/xml", params=event, timeout=10).text) for _ in range(4)
    ]
    assert codes == [1, 1, 1, 62]  # max_reports_per_hour=3
    emu.state.advance(3601)
    event = {**login(emu), "ei": "2227117"}
    assert code_of(requests.get(f"{base}/report/xml", params=event, timeout=10).text) == 1
    expired = {**event, "ei": "2227118"}
    assert code_of(requests.get(f"{base}/expiredreport/xml", params=expired, timeout=10).text) == 1
    assert code_of(requests.get(f"{base}/expiredreport/xml", params=expired, timeout=10).text) == 61
    emu.state.advance(48 * 3600)
    expired = {**login(emu), "ei": "2227118"}
    assert code_of(requests.get(f"{base}/expiredreport/xml", params=expired, timeout=10).text) == 1


def test_data_is_generated_on_demand_and_deterministic() -> None:
    from emulators.webcasts.dataset import DataSet

    big = DataSet(seed=7, events=1, size=1_000_000, expired=0, samples=False)
    event = big.event("2227117")
    assert event is not None
    assert event.registrant_count == 1_000_000
    viewers = big.viewers(event)
    first = [next(viewers) for _ in range(3)]
    again = DataSet(seed=7, events=1, size=1_000_000, expired=0, samples=False)
    assert first == [v for _, v in zip(range(3), again.viewers(event), strict=False)]
