"""The settings, and the checks that stop a bad configuration before any request is made."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from singer_sdk import typing as th

from tap_vbrick_webcast.timefmt import parse_utc

PAGE_SIZE_RANGE = (50, 500)  # search `size`; real-time `count` allows 1..500

CONFIG_SCHEMA = th.PropertiesList(
    th.Property(
        "api_url",
        th.URIType,
        required=True,
        title="Rev URL",
        description="Your Rev tenant's base URL, e.g. https://yourcompany.rev.vbrick.com",
    ),
    th.Property(
        "api_key",
        th.StringType,
        title="API key",
        description="Rev user API key (with `secret`); or use `username` and `password`",
    ),
    th.Property(
        "secret",
        th.StringType,
        secret=True,
        title="API secret",
        description="Secret of the Rev API key",
    ),
    th.Property(
        "username",
        th.StringType,
        title="Username",
        description="Rev username (with `password`); or use `api_key` and `secret`",
    ),
    th.Property(
        "password",
        th.StringType,
        secret=True,
        title="Password",
        description="Password of the Rev user",
    ),
    th.Property(
        "start_date",
        th.DateTimeType,
        required=True,
        title="Start date",
        description="Sync webcasts that start on or after this date (UTC if no zone is given)",
    ),
    th.Property(
        "end_date",
        th.DateTimeType,
        title="End date",
        description="Sync webcasts that start on or before this date (default: now)",
    ),
    th.Property(
        "webcast_ids",
        th.ArrayType(th.StringType),
        title="Webcast ids",
        description="Only these webcasts (ids); the others the search finds are skipped",
    ),
    th.Property(
        "run_numbers",
        th.ArrayType(th.IntegerType),
        default=[0],
        title="Run numbers",
        description="Runs to report: 0 is the main event, others are pre-production runs",
    ),
    th.Property(
        "include_realtime",
        th.BooleanType,
        default=False,
        title="Include real-time attendees",
        description=(
            "Also sync webcast_realtime_attendees for webcasts in progress (Rev allows 2 of "
            "these calls a minute: each page waits its turn)"
        ),
    ),
    th.Property(
        "page_size",
        th.IntegerType,
        default=500,
        title="Page size",
        description="Webcasts per search page and real-time attendees per page, 50..500",
    ),
).to_dict()


def config_errors(config: dict[str, Any]) -> list[str]:
    """Every problem with the settings, each naming the setting and what is expected."""
    errors: list[str] = []
    url = str(config.get("api_url") or "")
    parts = urlsplit(url)
    if url and (parts.scheme not in ("http", "https") or not parts.netloc):
        errors.append(
            "api_url must be an http(s) URL such as https://yourcompany.rev.vbrick.com, "
            f"not {url!r}"
        )
    errors.extend(_credential_errors(config))
    start = _date(config, "start_date", errors)
    end = _date(config, "end_date", errors)
    if start and end and end < start:
        errors.append("end_date must not be before start_date")
    runs = config.get("run_numbers", [0])
    if not isinstance(runs, list) or not runs:
        errors.append("run_numbers must list at least one run number (0 is the main event)")
    elif any(not isinstance(r, int) or isinstance(r, bool) or r < 0 for r in runs):
        errors.append(f"run_numbers must be whole numbers 0 or above, not {runs!r}")
    ids = config.get("webcast_ids")
    if ids is not None and (
        not isinstance(ids, list) or not all(isinstance(i, str) and i for i in ids)
    ):
        errors.append("webcast_ids must be a list of webcast ids (strings)")
    size = config.get("page_size", 500)
    low, high = PAGE_SIZE_RANGE
    if not isinstance(size, int) or isinstance(size, bool) or not low <= size <= high:
        errors.append(f"page_size must be between {low} and {high} (Rev's limits), not {size!r}")
    return errors


def _credential_errors(config: dict[str, Any]) -> list[str]:
    pairs = {"api_key": "secret", "username": "password"}
    complete = []
    errors = []
    for first, second in pairs.items():
        has_first, has_second = bool(config.get(first)), bool(config.get(second))
        if has_first and has_second:
            complete.append(first)
        elif has_first or has_second:
            given, missing = (first, second) if has_first else (second, first)
            errors.append(f"{given} is set but {missing} is missing: give both, or neither")
    if len(complete) > 1:
        errors.append(
            "give either api_key and secret or username and password, not both: the tap "
            "must know which login to use"
        )
    elif not complete and not errors:
        errors.append("credentials are missing: give api_key and secret, or username and password")
    return errors


def _date(config: dict[str, Any], name: str, errors: list[str]) -> datetime | None:
    value = config.get(name)
    if value in (None, ""):
        return None
    try:
        return parse_utc(str(value))
    except ValueError:
        errors.append(f"{name} must be an ISO 8601 date or date-time, not {value!r}")
        return None
