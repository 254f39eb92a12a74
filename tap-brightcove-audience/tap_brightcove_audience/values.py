"""The API's values: timestamps as UTC ``YYYY-MM-DDTHH:MM:SS.mmmZ`` (the API's own form, made
certain, so that records and bookmarks compare correctly as strings), date settings, and the
epoch milliseconds the API's ``from`` and ``to`` take."""

from __future__ import annotations

from datetime import UTC, datetime

CANONICAL_LENGTH = len("2016-04-25T18:30:21.651Z")


def is_canonical(value: str) -> bool:
    """Already ``YYYY-MM-DDTHH:MM:SS.mmmZ`` (the docs' form): the cheap check of every value."""
    return len(value) == CANONICAL_LENGTH and value[-1] == "Z" and value[10] == "T"


def parse_timestamp(value: str) -> datetime:
    """An ISO 8601 timestamp of the API (naive when it carries no zone); ValueError when it is
    not one."""
    return datetime.fromisoformat(value.replace("Z", "+00:00").replace(" ", "T"))


def to_utc_ms(value: str) -> str:
    """The same instant in canonical UTC form (already canonical: returned as is); a timestamp
    without a zone is read as UTC (the zone the API's dates are given in)."""
    if is_canonical(value):
        return value
    moment = parse_timestamp(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return utc_text(moment)


def utc_text(moment: datetime) -> str:
    """An aware instant in the canonical form records and bookmarks use."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def parse_setting_datetime(value: str) -> datetime:
    """A date or date-time setting (``2026-01-01``, ``2026-01-01T00:00:00Z``) as aware UTC;
    ValueError when it is neither."""
    moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def epoch_ms(moment: datetime) -> int:
    """An instant as the API's epoch milliseconds: exact, and free of time-zone doubt."""
    return int(moment.timestamp() * 1000)
