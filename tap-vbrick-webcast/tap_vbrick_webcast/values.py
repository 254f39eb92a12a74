"""One spelling for every timestamp (UTC, milliseconds, ``Z``) so bookmarks compare as strings,
and Rev's .NET TimeSpan durations (``[d.]hh:mm:ss[.fffffff]``) as seconds."""

from __future__ import annotations

import operator
import re
import typing as t
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta

_CANONICAL = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
_LONG_FRACTION = re.compile(r"(\.\d{6})\d+")
_OFFSET = re.compile(r"[+-]\d\d(?::?\d\d)?$")


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


#: Whether a text is in the one spelling already (which names its zone: ``Z``).
is_canonical = _CANONICAL.match
#: The one spelling with its digits as ``0``, and the digits' mapping to ``0`` (all_canonical).
_CANONICAL_SHAPE = b"0000-00-00T00:00:00.000Z"
_DIGITS_AS_ZERO = bytes.maketrans(b"123456789", b"000000000")


def all_canonical(names: tuple[str, ...]) -> Callable[[Mapping[str, t.Any]], bool]:
    """A test of a record: whether each of the fields ``names`` is there, a text, and in the one
    spelling already (ASCII digits where it has digits). The texts are joined by ``|`` (which no
    text in the one spelling holds, so the shape matches only texts of 24 characters each) and
    compared as UTF-8 with their ASCII digits as ``0`` to the shape of as many texts in the one
    spelling: one comparison instead of a match per field. A record that fails it (a field
    missing, null, another type or another spelling) takes the general rule, value by value.
    Stricter than ``is_canonical``, never looser."""
    if not names:
        return lambda record: True
    shape = b"|".join([_CANONICAL_SHAPE] * len(names))
    if len(names) == 1:
        (name,) = names

        def one(record: Mapping[str, t.Any]) -> bool:
            value = record.get(name)
            try:
                return type(value) is str and value.encode().translate(_DIGITS_AS_ZERO) == shape
            except UnicodeEncodeError:  # a lone surrogate
                return False

        return one
    values = operator.itemgetter(*names)

    def every(record: Mapping[str, t.Any]) -> bool:
        try:
            return "|".join(values(record)).encode().translate(_DIGITS_AS_ZERO) == shape
        except (KeyError, TypeError, UnicodeEncodeError):  # missing, not a text, a surrogate
            return False

    return every


def canonical_utc(text: str) -> str:
    """Any ISO 8601 timestamp in the one spelling (fast when it already is)."""
    if _CANONICAL.match(text):
        return text
    return format_utc(parse_utc(text))


def has_zone(text: str) -> bool:
    """Whether a date-time text names its zone (``Z`` or an offset); one without is read as UTC."""
    text = text.strip()
    return text.endswith(("Z", "z")) or ("T" in text and bool(_OFFSET.search(text)))


def plus_hours(text: str, hours: float) -> str:
    return format_utc(parse_utc(text) + timedelta(hours=hours))


def plus_one_millisecond(text: str) -> str:
    return format_utc(parse_utc(text) + timedelta(milliseconds=1))


def minus_one_millisecond(text: str) -> str:
    return format_utc(parse_utc(text) - timedelta(milliseconds=1))


def timespan_seconds(text: object) -> float | None:
    """Seconds of a TimeSpan text such as ``01:02:03``, ``1.02:03:04.5000000``; None if absent
    or not a TimeSpan. (This runs four times per attendee session: the common ``hh:mm:ss[.f]``
    is read by position, every other text by the general rule, with the same result.)"""
    if type(text) is not str:
        return None if not isinstance(text, str) else _timespan_seconds(text)
    if (
        len(text) >= 8
        and text[2] == ":"
        and text[5] == ":"
        and text[:2].isdigit()
        and text[3:5].isdigit()
        and text[6:8].isdigit()
    ):
        try:
            minutes, seconds = int(text[3:5]), float(text[6:])
            total = int(text[:2]) * 3600 + minutes * 60 + seconds
        except ValueError:
            return None
        if minutes >= 60 or not 0 <= seconds < 60:
            return None
        return total
    return _timespan_seconds(text)


def _timespan_seconds(text: str) -> float | None:
    """The general rule of timespan_seconds: an optional sign and days, ``hh:mm:ss[.f]``."""
    sign = -1.0 if text.startswith("-") else 1.0
    parts = text.lstrip("-").split(":")
    if len(parts) != 3 or len(parts[1]) != 2 or not parts[2][:2].isdigit():
        return None
    days, _, hours = parts[0].rpartition(".")
    try:
        minutes, seconds = int(parts[1]), float(parts[2])
        total = int(days or 0) * 86400 + int(hours) * 3600 + minutes * 60 + seconds
    except ValueError:
        return None
    if minutes >= 60 or not 0 <= seconds < 60:
        return None
    return sign * total
