"""Bad settings stop the tap before its first request, naming the setting."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from singer_sdk.exceptions import ConfigValidationError
from testkit import run_cli, tap_executable
from vbrick_webcast.helpers import config_for

from emulators import EmulatorServer
from tap_vbrick_webcast.tap import TapVbrickWebcast

CASES: list[tuple[dict[str, Any], str]] = [
    ({"api_key": None, "secret": None}, "credentials are missing"),
    ({"secret": None}, "api_key is set but secret is missing"),
    ({"api_key": None}, "secret is set but api_key is missing"),
    ({"username": "someone", "password": "pw"}, "not both"),
    ({"api_key": None, "secret": None, "username": "someone"}, "password is missing"),
    ({"page_size": 10}, "10 is less than the minimum of 50 in config['page_size']"),
    ({"page_size": 501}, "501 is greater than the maximum of 500 in config['page_size']"),
    ({"run_numbers": []}, "[] should be non-empty in config['run_numbers']"),
    ({"run_numbers": [0, -1]}, "-1 is less than the minimum of 0 in config['run_numbers'][1]"),
    ({"end_date": "2019-01-01T00:00:00Z"}, "end_date must not be before start_date"),
    ({"start_date": "yesterday"}, "start_date"),
    ({"api_url": "rev.example.com"}, "api_url"),
    ({"start_date": None}, "start_date"),
]


@pytest.mark.parametrize(("overrides", "expected"), CASES)
def test_bad_settings_fail_before_any_request(
    small_rev: EmulatorServer, overrides: dict[str, Any], expected: str
) -> None:
    config = config_for(small_rev, **{k: v for k, v in overrides.items() if v is not None})
    for name, value in overrides.items():
        if value is None:
            config.pop(name, None)
    with pytest.raises(ConfigValidationError) as caught:
        TapVbrickWebcast(config=config)
    assert any(expected in error for error in caught.value.errors), caught.value.errors
    assert len(small_rev.requests) == 0


def test_the_cli_reports_bad_settings_and_exits(small_rev: EmulatorServer, tmp_path: Path) -> None:
    config = config_for(small_rev, page_size=5)
    output = run_cli(tap_executable("tap-vbrick-webcast"), config, tmp_path, timeout=60)
    assert output.returncode != 0
    assert "5 is less than the minimum of 50 in config['page_size']" in output.logs
    assert output.messages == []
    assert len(small_rev.requests) == 0


def test_good_settings_with_either_login_pass(small_rev: EmulatorServer) -> None:
    TapVbrickWebcast(config=config_for(small_rev, run_numbers=[0, 1], end_date="2030-01-01"))
    TapVbrickWebcast(
        config=config_for(
            small_rev,
            api_key=None,
            secret=None,
            username="u",
            password="p",
            start_date="2026-01-01",
        )
    )
    assert len(small_rev.requests) == 0


def test_a_credential_rule_never_quotes_the_secret_or_the_password(
    small_rev: EmulatorServer,
) -> None:
    # Both pairs: the "not both" rule fails on the whole config, which holds both secrets; a
    # setting of the wrong type quotes its value, here the password.
    config = config_for(
        small_rev,
        secret="s3cr3t-never-in-errors",
        username="someone",
        password="pa55-never-in-errors",
        page_size="pa55-never-in-errors",
    )
    with pytest.raises(ConfigValidationError) as caught:
        TapVbrickWebcast(config=config)
    errors = caught.value.errors
    assert any("not both" in error for error in errors), errors
    assert any("in config['page_size']" in error for error in errors), errors
    for text in (str(caught.value), *errors):
        assert "s3cr3t-never-in-errors" not in text
        assert "pa55-never-in-errors" not in text
    assert len(small_rev.requests) == 0


def test_discovery_needs_no_credentials() -> None:
    tap = TapVbrickWebcast(config={}, validate_config=False)
    assert len(tap.catalog_dict["streams"]) == 7


@pytest.mark.parametrize("name", ["secret", "password"])
def test_a_secret_of_the_wrong_type_is_never_echoed(small_rev: EmulatorServer, name: str) -> None:
    # jsonschema quotes the value ("123456789 is not of type 'string'"): masked.
    overrides: dict[str, Any] = (
        {"secret": 123456789}
        if name == "secret"
        else {"api_key": None, "secret": None, "username": "someone", "password": 123456789}
    )
    with pytest.raises(ConfigValidationError) as caught:
        TapVbrickWebcast(config=config_for(small_rev, **overrides))
    assert any(f"in config['{name}']" in error for error in caught.value.errors)
    for text in (str(caught.value), *caught.value.errors):
        assert "123456789" not in text
