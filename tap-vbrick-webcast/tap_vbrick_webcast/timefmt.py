"""One spelling for every timestamp (UTC, milliseconds, ``Z``) so bookmarks compare as strings,
and Rev's .NET TimeSpan durations (``[d.]hh:mm:ss[.fffffff]``) as seconds."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

_CANONICAL = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
_LONG_FRACTION = re.compile(r"(\.\d{6})\d+")
_TIMESPAN = re.compile(r"^(-)?(?:(\d+)\.)?(\d+):(\d\d):(\d\d)(?:\.(\d+))?$")


def format_utc(value: datetime) -> str:
    """``YYYY-MM-DDTHH:MM:SS.mmmZ``; a naive datetime is taken as UTC."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def parse_utc(text: str) -> datetime:
    """An ISO 8601 date or date-time; without a zone it is UTC. ValueError if it is not one."""
    cleaned = _LONG_FRACTION.sub(r"\1", text.strip().replace("z", "Z"))
    value = datetime.fromisoformat(cleaned)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def canonical_utc(text: str) -> str:
    """Any ISO 8601 timestamp in the one spelling (fast when it already is)."""
    if _CANONICAL.match(text):
        return text
    return format_utc(parse_utc(text))


def plus_one_millisecond(text: str) -> str:
    return format_utc(parse_utc(text) + timedelta(milliseconds=1))


def minus_one_millisecond(text: str) -> str:
    return format_utc(parse_utc(text) - timedelta(milliseconds=1))


def timespan_seconds(text: object) -> float | None:
    """Seconds of a TimeSpan text such as ``01:02:03``, ``1.02:03:04.5000000``; None if absent
    or not a TimeSpan."""
    if not isinstance(text, str):
        return None
    match = _TIMESPAN.match(text.strip())
    if match is None:
        return None
    sign, days, hours, minutes, seconds, fraction = match.groups()
    total = int(days or 0) * 86400 + int(hours) * 3600 + int(minutes) * 60 + int(seconds)
    if fraction:
        total += int(fraction) / 10 ** len(fraction)
    return -total if sign else float(total)
