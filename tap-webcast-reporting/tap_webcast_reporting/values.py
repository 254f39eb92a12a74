"""The report's values as typed data: local ``MM/DD/YYYY hh:mm:ss AM`` times in the report's
time zone to UTC ISO 8601, ``hh:mm:ss`` and millisecond durations to seconds, ``66.7%`` to a
number, counts to integers, ``on``/``off`` to booleans."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

REPORT_TIME = "%m/%d/%Y %I:%M:%S %p"
LIST_TIME = "%Y-%m-%d %H:%M:%S"  # the event list's event_expiry (UTC, ASSUMED)
ISO_UTC = "%Y-%m-%dT%H:%M:%SZ"


@lru_cache(maxsize=64)
def zone(name: str) -> ZoneInfo:
    """The time zone of a webcasts.com time zone id (Java ids; ``GMT`` and friends included)."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"time zone {name!r} is unknown to this Python (tzdata)") from exc


_REPORT_TIME = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4}) (\d{1,2}):(\d{2}):(\d{2}) ([AaPp][Mm])")


def local_to_utc(value: str | None, tz: ZoneInfo) -> str | None:
    """``11/04/2014 02:39:43 PM`` in ``tz`` as ``2014-11-04T19:39:43Z``; blank is None.

    (A regular expression rather than strptime: this runs for every time of every viewer.)"""
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    match = _REPORT_TIME.fullmatch(value)
    if match is None:
        raise ValueError(f"{value!r} is not a report time ({REPORT_TIME})")
    month, day, year, hour, minute, second, half = match.groups()
    hour_24 = int(hour) % 12 + (12 if half in ("PM", "pm", "Pm", "pM") else 0)
    local = datetime(int(year), int(month), int(day), hour_24, int(minute), int(second), tzinfo=tz)
    u = local.astimezone(UTC)
    return f"{u.year:04d}-{u.month:02d}-{u.day:02d}T{u.hour:02d}:{u.minute:02d}:{u.second:02d}Z"


def utc_text_to_iso(value: str | None) -> str | None:
    """``2019-07-24 15:39:40`` (UTC) as ``2019-07-24T15:39:40Z``."""
    if not value or not value.strip():
        return None
    return datetime.strptime(value.strip(), LIST_TIME).strftime(ISO_UTC)


def epoch_ms_to_iso(value: str | None) -> str | None:
    if not value or not value.strip():
        return None
    return datetime.fromtimestamp(int(value) / 1000, UTC).strftime(ISO_UTC)


def hhmmss_to_seconds(value: str | None) -> int | None:
    if value is None or not value.strip():
        return None
    hours, minutes, seconds = value.strip().split(":")
    return int(hours) * 3600 + int(minutes) * 60 + int(seconds)


def ms_to_seconds(value: str | int | None) -> float | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return int(value) / 1000


def percent(value: str | None) -> float | None:
    """``66.7%`` as 66.7 (the percentage, not the fraction)."""
    if value is None or not value.strip():
        return None
    return float(value.strip().rstrip("%"))


def integer(value: str | int | None) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return int(value)


def on_off(value: str | bool | None) -> bool | None:
    if isinstance(value, bool) or value is None:
        return value
    value = value.strip().lower()
    return None if not value else value == "on"


def text(value: str | None) -> str | None:
    """Text with the layout whitespace around it removed; blank is None."""
    if value is None:
        return None
    value = value.strip()
    return value or None


def pipe_list(value: str | None) -> list[str]:
    return [v for v in (value or "").split("|") if v]
