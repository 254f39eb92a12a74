"""Bad settings stop the tap before its first request, naming the setting."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from singer_sdk.exceptions import ConfigValidationError
from vbrick_webcast.tapkit import config_for

from emulators import EmulatorServer
from tap_vbrick_webcast.tap import TapVbrickWebcast

CASES: list[tuple[dict[str, Any], str]] = [
    ({"api_key": None, "secret": None}, "credentials are missing"),
    ({"secret": None}, "api_key is set but secret is missing"),
    ({"api_key": None}, "secret is set but api_key is missing"),
    ({"username": "someone", "password": "pw"}, "not both"),
    ({"api_key": None, "secret": None, "username": "someone"}, "password is missing"),
    ({"page_size": 10}, "page_size must be between 50 and 500"),
    ({"page_size": 501}, "page_size must be between 50 and 500"),
    ({"run_numbers": []}, "run_numbers must list at least one"),
    ({"run_numbers": [0, -1]}, "run_numbers must be whole numbers 0 or above"),
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
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    exe = Path(sys.executable).with_name("tap-vbrick-webcast")
    proc = subprocess.run(
        [str(exe), "--config", str(path)], capture_output=True, text=True, timeout=60, check=False
    )
    assert proc.returncode != 0
    assert "page_size must be between 50 and 500" in proc.stderr
    assert proc.stdout == ""
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
