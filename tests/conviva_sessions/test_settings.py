"""Bad or contradictory settings stop the tap before its first request, naming them."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from conviva_testkit import base_config


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
def test_bad_settings_stop_before_any_request(conviva, run_cli, overrides, named) -> None:
    config = {k: v for k, v in _config(conviva, **overrides).items() if v is not None}

    run = run_cli(config, streams=None)

    assert run.returncode != 0
    errors = "\n".join(line for line in run.stderr.splitlines() if "ERROR" in line)
    for name in named:
        assert name in errors
    assert len(conviva.requests) == 0


def test_end_before_start_names_both(conviva, run_cli) -> None:
    config = _config(conviva)
    config["end_date"], config["start_date"] = config["start_date"], config["end_date"]

    run = run_cli(config, streams=None)

    assert run.returncode != 0
    assert f"end_date ({config['end_date']}) must be after start_date" in run.stderr
    assert len(conviva.requests) == 0


def test_an_end_date_in_the_future_stops_at_the_complete_minutes(conviva, run_cli) -> None:
    config = _config(conviva, end_offset_minutes=10)
    config["end_date"] = (
        datetime.fromisoformat(config["end_date"]) + timedelta(days=1)
    ).isoformat()

    run = run_cli(config)

    assert run.returncode == 0, run.stderr[-2000:]
    assert "is later than now less end_offset_minutes" in run.stderr
    last_end = max(r.arg("end_date") or "" for r in conviva.requests.matching("/sessions/content"))
    assert datetime.fromisoformat(last_end) <= datetime.now().astimezone() - timedelta(minutes=10)
