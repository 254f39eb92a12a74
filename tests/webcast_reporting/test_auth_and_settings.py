"""Login sessions (renewed before two hours, once more on returnCode 11) and bad settings
stopping the tap before its first request."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import requests
from singer_sdk.exceptions import ConfigValidationError
from testkit import assert_no_secret, run_cli
from webcast_reporting.helpers import TAP, config, printed, seen

from emulators import EmulatorServer, Fault
from emulators.webcasts import DEFAULT_PASSWORD, DEFAULT_USERNAME
from tap_webcast_reporting import auth
from tap_webcast_reporting.auth import WebcastsSession
from tap_webcast_reporting.tap import TapWebcastReporting


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def session_for(server: EmulatorServer, password: str = DEFAULT_PASSWORD) -> WebcastsSession:
    return WebcastsSession(
        api_url=f"{server.url}/api", username=DEFAULT_USERNAME, password=password, timeout=10
    )


def report_call(server: EmulatorServer, session: WebcastsSession) -> str:
    request = requests.Request(
        "GET", f"{server.url}/api/reporting/timezones", params={"ver": "2.0"}
    ).prepare()
    return requests.Session().send(session(request), timeout=10).text


def test_session_is_renewed_before_its_two_hours_are_up(
    server: EmulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = Clock()
    monkeypatch.setattr(auth.time, "monotonic", clock)
    session = session_for(server)
    assert "<timezone_id>GMT</timezone_id>" in report_call(server, session)
    assert session.logins == 1
    clock.now += 3600
    server.state.advance(3600)
    report_call(server, session)
    assert session.logins == 1  # an hour in: the same session
    clock.now += 3400
    server.state.advance(3400)  # 7,000 s: inside the renewal margin, before the API's 7,200
    assert "<timezone_id>GMT</timezone_id>" in report_call(server, session)
    assert session.logins == 2
    assert "<returnCode>11</returnCode>" not in report_call(server, session)


def test_expired_session_mid_sync_logs_in_again(tmp_path: Path, server: EmulatorServer) -> None:
    before = server.state.logins
    server.state.answer_code(11, "/eventlist")  # the session died between two calls
    run = seen(run_cli(TAP, config(server.url, event_ids=["2227117"]), tmp_path))
    assert run.returncode == 0, run.logs[-2000:]
    assert server.state.logins - before == 2
    assert run.log_lines("session refused; logging in again")


def test_wrong_password_is_a_clear_error_without_the_password(
    tmp_path: Path, server: EmulatorServer
) -> None:
    wrong = "Wr0ng-Secret-Value"
    run = seen(run_cli(TAP, config(server.url, password=wrong), tmp_path))
    assert run.returncode != 0
    assert "login as 'emulator-user' refused: returnCode 0" in run.logs
    assert "check username and password" in run.logs
    assert wrong not in printed(run)
    assert not server.requests.matching("/reporting/")


def test_login_over_a_dead_network_names_no_url(tmp_path: Path, server: EmulatorServer) -> None:
    """The login is retried inside the retry contract (waits 0.1, 0.2, 0.4 s: four tries in the
    budget of 1 s), and the error names the login's host and path, never its query."""
    server.faults.add(Fault("drop", path="/login", times=None))
    cfg = config(server.url, retry_initial_wait_seconds=0.1, retry_budget_seconds=1)
    run = seen(run_cli(TAP, cfg, tmp_path))
    assert run.returncode != 0
    host = server.url.split("//", 1)[1]
    final = run.log_lines("gave up on")
    assert final, run.logs[-2000:]
    assert f"gave up on {host} after" in final[-1]
    assert f"{host}/api/login: could not connect" in final[-1]
    assert "retry_budget_seconds (now 1 s)" in final[-1]
    assert "?" not in final[-1]
    assert len(run.log_lines("failed (GET " + host + "/api/login: could not connect")) >= 2
    assert_no_secret(printed(run), DEFAULT_PASSWORD)
    assert 3 <= len(server.requests.matching("/login")) <= 4


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (
            {"include_domains": ["a.com"], "exclude_domains": ["b.com"]},
            "include_domains and exclude_domains cannot be used together",
        ),
        ({"timezone": "Mars/Olympus_Mons"}, "timezone: time zone 'Mars/Olympus_Mons' is unknown"),
        ({"start_date": "2026-02-01", "end_date": "2026-01-01"}, "start_date is after end_date"),
        ({"report_format": "pdf"}, "'pdf' is not one of ['xml', 'json', 'csv']"),
        ({"max_reports_per_hour": 0}, "max_reports_per_hour must be at least 1"),
        ({"password": None}, "'password' is a required property"),
        ({"request_timeout": 0}, "0 is less than the minimum of 1 in config['request_timeout']"),
        (
            {"max_concurrent_requests": 2},
            "2 is greater than the maximum of 1 in config['max_concurrent_requests']",
        ),
        ({"api_url": "ftp://x"}, "'ftp://x' does not match '^https?://' in config['api_url']"),
        (  # it was accepted, and crashed at the first retry (issue 9)
            {"retry_initial_wait_seconds": -1},
            "-1 is less than the minimum of 0 in config['retry_initial_wait_seconds']",
        ),
    ],
)
def test_bad_settings_stop_the_tap_before_any_request(
    tmp_path: Path, server: EmulatorServer, settings: dict, message: str
) -> None:
    cfg = config(server.url, **settings)
    cfg = {k: v for k, v in cfg.items() if v is not None}
    run = seen(run_cli(TAP, cfg, tmp_path))
    assert run.returncode != 0
    assert message in run.logs
    assert len(server.requests) == 0


def test_time_zone_the_api_does_not_offer_stops_before_any_report(
    tmp_path: Path, server: EmulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    import emulators.webcasts.app as webcasts_app

    monkeypatch.setattr(webcasts_app, "TIMEZONES", frozenset({"GMT", "US/Eastern"}))
    run = seen(run_cli(TAP, config(server.url, timezone="Europe/Paris"), tmp_path))
    assert run.returncode != 0
    assert "timezone 'Europe/Paris' is not one of the 2 time zones the API offers" in run.logs
    assert not server.requests.matching("report/")


def test_settings_errors_never_hold_the_password(tmp_path: Path, server: EmulatorServer) -> None:
    both = config(
        server.url, include_domains=["a.com"], exclude_domains=["b.com"], max_reports_per_hour=0
    )
    run = seen(run_cli(TAP, both, tmp_path))
    assert run.returncode != 0
    assert "include_domains and exclude_domains cannot be used together" in run.logs
    assert "max_reports_per_hour must be at least 1" in run.logs  # every problem at once
    assert_no_secret(printed(run), DEFAULT_PASSWORD)
    assert len(server.requests) == 0
    with pytest.raises(ConfigValidationError) as failure:
        TapWebcastReporting(config=both)
    assert_no_secret(str(failure.value) + "\n".join(failure.value.errors), DEFAULT_PASSWORD)
    # A password of the wrong type is named by its setting, its value masked.
    number = 1234567890123
    with pytest.raises(ConfigValidationError) as failure:
        TapWebcastReporting(config=config(server.url, password=number))
    errors = "\n".join(failure.value.errors)
    assert "is not of type 'string' in config['password']" in errors
    assert str(number) not in errors


def test_discovery_needs_no_settings(tmp_path: Path) -> None:
    config_path = tmp_path / "config.json"
    config_path.write_text("{}")
    proc = subprocess.run(
        [TAP, "--config", str(config_path), "--discover"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    streams = {entry["tap_stream_id"] for entry in json.loads(proc.stdout)["streams"]}
    assert {"timezones", "events", "event_reports", "registrants"} <= streams


def test_no_metric_line_holds_the_session_id(tmp_path: Path, server: EmulatorServer) -> None:
    run = seen(run_cli(TAP, config(server.url, event_ids=["2227117"]), tmp_path))
    assert run.returncode == 0, run.logs[-2000:]
    metrics = run.log_lines("METRIC")
    durations = [line for line in metrics if "http_request_duration" in line]
    for stream in ("timezones", "events", "event_reports"):
        assert [line for line in durations if f'"stream":"{stream}"' in line], stream
    for line in metrics:
        assert "si=" not in line
        assert "?" not in line
    for _ui, si in server.state.sessions:
        assert_no_secret(printed(run), si)
