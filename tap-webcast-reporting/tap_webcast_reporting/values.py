"""The report's values as typed data: local ``MM/DD/YYYY hh:mm:ss AM`` times in the report's
time zone to UTC ISO 8601, ``hh:mm:ss`` and millisecond durations to seconds, ``66.7%`` to a
number, counts to integers, ``on``/``off`` to booleans; and which time zone a report's times are
in, from what the report itself says (:func:`report_zone`). Every converter raises ValueError
(or TypeError) for a value it does not expect; the report readers then keep the raw text."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any
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


# -- the zone a report's times are in ---------------------------------------------------------

#: What a report calls GMT (its default zone) or UTC, lower case: zone ids and Java's names.
GMT_NAMES = frozenset(
    {
        "gmt",
        "utc",
        "uct",
        "z",
        "zulu",
        "universal",
        "greenwich",
        "greenwich mean time",
        "coordinated universal time",
        "etc/gmt",
        "etc/gmt0",
        "etc/gmt+0",
        "etc/gmt-0",
        "gmt0",
        "etc/utc",
        "etc/uct",
        "etc/universal",
        "etc/zulu",
        "etc/greenwich",
    }
)
#: Java's long names (what ``currentTimeZone`` holds: "Eastern Standard Time") of common zones
#: whose name's initials are not the zone's abbreviation, or that name another zone than the
#: one asked for.
LONG_NAMES = {
    "eastern standard time": "America/New_York",
    "central standard time": "America/Chicago",
    "mountain standard time": "America/Denver",
    "pacific standard time": "America/Los_Angeles",
    "india standard time": "Asia/Kolkata",
    "central european time": "Europe/Paris",
    "central european standard time": "Europe/Paris",
    "eastern european time": "Europe/Athens",
    "japan standard time": "Asia/Tokyo",
    "australian eastern standard time": "Australia/Sydney",
}
_SAMPLE_YEARS = (2000, 2010, 2020, 2026)


@lru_cache(maxsize=64)
def _names_of(key: str) -> frozenset[str]:
    """The lower-case names a zone goes by: its id and its abbreviations over the years."""
    tz = zone(key)
    names = {key.lower()}
    for year in _SAMPLE_YEARS:
        for month in (1, 7):
            abbreviation = datetime(year, month, 15, 12, tzinfo=tz).tzname()
            if abbreviation:
                names.add(abbreviation.lower())
    names.update(name for name, zone_id in LONG_NAMES.items() if zone_id == key)
    return frozenset(names)


@lru_cache(maxsize=64)
def gmt_equivalent(key: str) -> bool:
    """Whether a zone is GMT all year, every year sampled (GMT, UTC, Africa/Abidjan...)."""
    tz = zone(key)
    return all(
        datetime(year, month, 15, 12, tzinfo=tz).utcoffset() == timedelta(0)
        for year in _SAMPLE_YEARS
        for month in (1, 7)
    )


def _names(stated: str, key: str) -> bool:
    """Whether ``stated`` (an id, an abbreviation or a Java long name) names zone ``key``."""
    name = " ".join(stated.lower().split())
    names = _names_of(key)
    if name in names:
        return True
    words = name.split()
    return len(words) > 1 and "".join(w[0] for w in words) in names


def report_zone(stated: str | None, asked: str) -> tuple[ZoneInfo, str | None]:
    """The zone a report's times are in, from what it says (``currentTimeZone``), and a note
    when that is not the zone asked for. The API writes its times in the zone asked for, or,
    when it does not take the time zone parameter, in GMT ("Defaults to GMT if undefined").

    Raises ValueError when the report does not say and the two would differ."""
    if not stated or not stated.strip():
        if gmt_equivalent(asked):
            return zone(asked), None
        raise ValueError(
            f"the report does not state its time zone, and timezone is {asked!r}: its times "
            "may be in that zone or in GMT, the API's default, so they are not converted"
        )
    stated = stated.strip()
    gmt_name = " ".join(stated.lower().split()) in GMT_NAMES
    if gmt_name and gmt_equivalent(asked):
        return zone(asked), None
    if _names(stated, asked):
        if gmt_name and not gmt_equivalent(asked):
            return zone(asked), (
                f"the report states {stated!r}, a name of {asked!r} and of GMT, the API's "
                f"default: its times are read as {asked!r}, as asked"
            )
        return zone(asked), None
    if gmt_name:
        return zone("GMT"), (
            f"the report states {stated!r}, not the timezone setting {asked!r}: the API wrote "
            "its times in GMT, its default (it did not take the time zone parameter), so they "
            "are converted from GMT"
        )
    try:
        named = zone(stated)
    except ValueError:
        named = None
    if named is None and " ".join(stated.lower().split()) in LONG_NAMES:
        named = zone(LONG_NAMES[" ".join(stated.lower().split())])
    if named is not None:
        return named, (
            f"the report states {stated!r}, not the timezone setting {asked!r}: its times are "
            f"converted from {named.key}"
        )
    # Neither the zone asked for by any name the tap knows, nor GMT: the API writes only those
    # two, so this is the zone asked for under a name the tap does not know.
    return zone(asked), (
        f"the report states {stated!r}, a name the tap does not know; it is not GMT's, so its "
        f"times are read as the zone asked for, {asked!r}"
    )


# -- values ------------------------------------------------------------------------------------

#: What the converters below raise for a value they do not expect.
UNEXPECTED = (ValueError, TypeError, ArithmeticError)


def lenient(convert: Callable[[Any], Any], raw: Any, name: str, unparsed: dict[str, str]) -> Any:
    """``convert(raw)``; for a value it does not expect, None, with ``raw`` kept as text in
    ``unparsed`` under ``name`` (the record's ``unparsed_values``)."""
    try:
        return convert(raw)
    except UNEXPECTED:
        unparsed[name] = raw if isinstance(raw, str) else repr(raw)
        return None


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


#: Every ``mm:ss`` of an hour, as a report writes them.
_MINUTES_SECONDS = frozenset(f"{m:02d}:{s:02d}" for m in range(60) for s in range(60))
#: How many local hours a converter remembers before it starts afresh.
_HOURS_KEPT = 100_000


def utc_converter(tz: ZoneInfo) -> Callable[[str | None], str | None]:
    """``lambda value: local_to_utc(value, tz)``, the same results and errors, faster for the
    many times of one report (this runs for every time of every viewer).

    A time in the report's own layout (``MM/DD/YYYY hh:mm:ss AM``, 22 characters) is converted
    from its hour: the UTC of that local hour is worked out once with :func:`local_to_utc`, then
    its minutes and seconds are carried over unchanged. That holds only when the whole hour has
    one offset of whole hours (no daylight saving change within it, not +05:30): for any other
    hour, and any other form, every time goes through :func:`local_to_utc`."""
    hours: dict[str, str] = {}  # "MM/DD/YYYY hh: AM" -> "YYYY-MM-DDThh:" ("": not carried over)

    def convert(value: str | None) -> str | None:
        if value is not None and len(value) == 22:
            minutes_seconds = value[14:19]
            if minutes_seconds in _MINUTES_SECONDS:
                hour = value[:14] + value[19:]
                utc_hour = hours.get(hour)
                if utc_hour is None:
                    if len(hours) >= _HOURS_KEPT:
                        hours.clear()
                    utc_hour = hours[hour] = _utc_hour(hour, tz)
                if utc_hour:
                    return utc_hour + minutes_seconds + "Z"
        return local_to_utc(value, tz)

    return convert


def _utc_hour(hour: str, tz: ZoneInfo) -> str:
    """``YYYY-MM-DDThh:`` of a local hour (``MM/DD/YYYY hh:`` + `` AM``) when each of its times
    is that plus its own ``mm:ss``; else "" (and local_to_utc converts them one by one)."""
    first, last = hour[:14] + "00:00" + hour[14:], hour[:14] + "59:59" + hour[14:]
    if _REPORT_TIME.fullmatch(first) is None:  # another layout (22 characters by chance)
        return ""
    try:
        start, end = local_to_utc(first, tz), local_to_utc(last, tz)
    except UNEXPECTED:  # no such day: local_to_utc says so for each time of it
        return ""
    assert start is not None
    assert end is not None
    if start[14:] == "00:00Z" and end[14:] == "59:59Z" and start[:14] == end[:14]:
        return start[:14]
    return ""


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


def true_false(value: str | None) -> bool | None:
    """The event list's ``true``/``false`` (blank: None); any other value is unexpected."""
    if value is None or not value.strip():
        return None
    word = value.strip().lower()
    if word not in ("true", "false"):
        raise ValueError(f"{value!r} is neither true nor false")
    return word == "true"


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
