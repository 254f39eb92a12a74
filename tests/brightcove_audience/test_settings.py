"""Each bad setting stops the tap before its first request, with a message naming it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from brightcove_audience.helpers import CLIENT_SECRET, TAP, tap_config
from singer_sdk.exceptions import ConfigValidationError
from testkit import run_cli, tap_executable

from emulators import EmulatorServer
from tap_brightcove_audience.tap import TapBrightcoveAudience

BAD_SETTINGS: list[tuple[str, dict[str, Any], str]] = [
    ("client_id", {"client_id": None}, "'client_id' is a required property"),
    ("client_id", {"client_id": "  "}, "client_id: must not be empty"),
    ("client_secret", {"client_secret": None}, "'client_secret' is a required property"),
    ("account_ids", {"account_ids": []}, "account_ids: give at least one"),
    ("account_ids", {"account_ids": "1486906377"}, "in config['account_ids']"),
    ("account_ids", {"account_ids": ["abc"]}, "in config['account_ids'][0]"),
    ("account_ids", {"account_ids": ["1", "1"]}, "account_ids: an account id is listed twice"),
    ("start_date", {"start_date": None}, "'start_date' is a required property"),
    ("start_date", {"start_date": "01/02/2026"}, "start_date: '01/02/2026' is not a date"),
    ("start_date", {"start_date": "2999-01-01"}, "start_date: '2999-01-01' is in the future"),
    ("api_url", {"api_url": "audience.api.brightcove.com"}, "api_url: "),
    ("oauth_url", {"oauth_url": "ftp://oauth"}, "oauth_url: 'ftp://oauth' is not an http(s) URL"),
    ("page_size", {"page_size": 101}, "101 is greater than the maximum of 100"),
    ("page_size", {"page_size": 0}, "in config['page_size']"),
    ("view_events_where", {"view_events_where": "colour==red"}, "unknown field 'colour'"),
    ("view_events_where", {"view_events_where": "video_id=1"}, "'video_id=1' is not field==value"),
    ("leads_where", {"leads_where": "video_name==x"}, "leads_where: unknown field 'video_name'"),
    ("view_events_lookback_hours", {"view_events_lookback_hours": -1}, "less than the minimum"),
    ("request_timeout", {"request_timeout": 0}, "0 is less than the minimum of 1"),
    ("retry_budget_seconds", {"retry_budget_seconds": -1}, "in config['retry_budget_seconds']"),
    ("retry_initial_wait_seconds", {"retry_initial_wait_seconds": "1s"}, "is not of type 'number'"),
    ("max_requests_per_second", {"max_requests_per_second": 0}, "less than or equal to the min"),
    ("max_concurrent_requests", {"max_concurrent_requests": 65}, "greater than the maximum of 64"),
    ("fail_on_owed", {"fail_on_owed": "yes"}, "is not of type 'boolean'"),
]  # fmt: skip


@pytest.mark.parametrize(("setting", "change", "expected"), BAD_SETTINGS)
def test_bad_setting_is_named_and_nothing_is_requested(
    server: EmulatorServer, setting: str, change: dict[str, Any], expected: str
) -> None:
    with pytest.raises(ConfigValidationError) as caught:
        TapBrightcoveAudience(config=tap_config(server.url, **change))
    errors = caught.value.errors
    assert any(expected in e for e in errors), errors
    assert all(setting in e for e in errors if expected in e)
    assert len(server.requests) == 0


def test_secret_value_never_appears_in_a_validation_error(server: EmulatorServer) -> None:
    with pytest.raises(ConfigValidationError) as caught:
        TapBrightcoveAudience(config=tap_config(server.url, client_secret=12345678901))
    assert any("client_secret" in e for e in caught.value.errors)
    assert not any("12345678901" in e for e in caught.value.errors)


def test_a_secret_quoted_by_another_setting_is_masked(server: EmulatorServer) -> None:
    # The secret pasted into the wrong setting: the errors name the setting, never the value.
    with pytest.raises(ConfigValidationError) as caught:
        TapBrightcoveAudience(
            config=tap_config(server.url, api_url=CLIENT_SECRET, leads_where=CLIENT_SECRET)
        )
    errors = caught.value.errors
    assert any(e.startswith("api_url: '***' is not an http(s) URL") for e in errors), errors
    assert any(e.startswith("leads_where: ") for e in errors), errors
    assert not any(CLIENT_SECRET in e for e in errors)
    assert CLIENT_SECRET not in str(caught.value)
    assert len(server.requests) == 0


def test_the_shared_request_settings_and_their_defaults() -> None:
    about = TapBrightcoveAudience.config_jsonschema["properties"]
    defaults = {name: about[name].get("default") for name in about}
    assert defaults["request_timeout"] == 60
    assert defaults["retry_budget_seconds"] == 600
    assert defaults["retry_initial_wait_seconds"] == 1
    assert defaults["max_requests_per_second"] == 45  # 10 % under the documented 50
    assert defaults["max_concurrent_requests"] == 12
    assert defaults["fail_on_owed"] is False
    assert about["client_secret"]["secret"] is True


def test_the_command_line_exits_with_the_setting_named(
    server: EmulatorServer, tmp_path: Path
) -> None:
    config = tap_config(server.url, page_size=500)
    run = run_cli(tap_executable(TAP), config, tmp_path, timeout=60)
    assert run.returncode == 1
    assert "500 is greater than the maximum of 100 in config['page_size']" in run.logs
    assert CLIENT_SECRET not in run.logs + json.dumps(run.messages)
    assert len(server.requests) == 0
