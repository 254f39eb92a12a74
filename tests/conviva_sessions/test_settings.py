"""Bad or contradictory settings stop the tap before its first request, naming them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from conviva_sessions.helpers import CONTENT_SESSIONS, TAP_EXE, base_config
from singer_sdk.exceptions import ConfigValidationError
from testkit import assert_no_secret, run_cli

from tap_conviva_sessions import settings


def _config(conviva, **overrides: Any) -> dict[str, Any]:
    return base_config(conviva, **overrides)


@pytest.mark.parametrize(
    ("overrides", "named"),
    [
        (
            {"filter_id": "9876543210", "dimension_filters": {"device_os": ["Android"]}},
            ["filter_id", "dimension_filters"],
        ),
        (
            {"filter_id": "9876543210", "custom_tag_filters": {"age": ["65"]}},
            ["filter_id", "custom_tag_filters"],
        ),
        ({"page_size": 2000}, ["page_size"]),
        ({"window_minutes": 181}, ["window_minutes"]),
        ({"window_minutes": 0}, ["window_minutes"]),
        ({"status_filters": {"is_great": True}}, ["status_filters"]),
        ({"dimension_filters": {"limit": ["5"]}}, ["dimension_filters", "limit"]),
        ({"client_secret": None}, ["client_secret"]),
    ],
)
def test_bad_settings_stop_before_any_request(conviva, tmp_path: Path, overrides, named) -> None:
    config = {k: v for k, v in _config(conviva, **overrides).items() if v is not None}

    run = run_cli(TAP_EXE, config, tmp_path)

    assert run.returncode != 0
    errors = "\n".join(line for line in run.logs.splitlines() if "ERROR" in line)
    for name in named:
        assert name in errors
    assert len(conviva.requests) == 0


def test_end_before_start_names_both(conviva, tmp_path: Path) -> None:
    config = _config(conviva)
    config["end_date"], config["start_date"] = config["start_date"], config["end_date"]

    run = run_cli(TAP_EXE, config, tmp_path)

    assert run.returncode != 0
    assert f"end_date ({config['end_date']}) must be after start_date" in run.logs
    assert len(conviva.requests) == 0


def test_an_end_date_in_the_future_stops_at_the_complete_minutes(conviva, tmp_path: Path) -> None:
    config = _config(conviva, end_offset_minutes=10)
    # A day after the real now: the emulator's pinned clock (PINNED_NOW, yesterday) plus a day
    # is in the past for most of the day.
    config["end_date"] = (datetime.now(UTC) + timedelta(days=1)).isoformat()

    run = run_cli(TAP_EXE, config, tmp_path, streams=CONTENT_SESSIONS)

    assert run.returncode == 0, run.logs[-2000:]
    assert "is later than now less end_offset_minutes" in run.logs
    last_end = max(r.arg("end_date") or "" for r in conviva.requests.matching("/sessions/content"))
    assert datetime.fromisoformat(last_end) <= datetime.now().astimezone() - timedelta(minutes=10)


def test_a_rule_over_several_settings_never_quotes_the_secret(conviva, tmp_path: Path) -> None:
    secret = "s3cret-value-that-must-not-leak"
    config = _config(
        conviva,
        client_secret=secret,
        filter_id="9876543210",
        dimension_filters={"device_os": ["Android"]},
        custom_tag_filters={"age": ["65"]},
        page_size=0,
    )

    with pytest.raises(ConfigValidationError) as raised:
        settings.check(config)
    errors = raised.value.errors
    assert any("filter_id cannot be combined" in e for e in errors)
    assert any("config['page_size']" in e for e in errors)
    assert_no_secret("\n".join([str(raised.value), *errors]), secret)

    run = run_cli(TAP_EXE, config, tmp_path)

    assert run.returncode != 0
    assert "filter_id cannot be combined" in run.logs
    assert_no_secret(run.logs, secret)
    assert len(conviva.requests) == 0


def test_an_empty_filter_object_may_go_with_a_saved_filter() -> None:
    config = {
        "client_id": "c",
        "client_secret": "s",
        "start_date": "2026-11-01T00:00:00Z",
        "filter_id": "9876543210",
        "dimension_filters": {},
        "custom_tag_filters": {},
    }
    assert settings.schema_errors(config) == []
    assert settings.problems(config) == []
