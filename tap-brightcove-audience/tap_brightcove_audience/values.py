"""The API's values: timestamps as UTC ``YYYY-MM-DDTHH:MM:SS.mmmZ`` (the API's own form, made
certain, so that records and bookmarks compare correctly as strings), date settings, and the
epoch milliseconds the API's ``from`` and ``to`` take."""

from __future__ import annotations

from datetime import UTC, datetime

_CANONICAL_LENGTH = len("2016-04-25T18:30:21.651Z")


def to_utc_ms(value: str) -> str:
    """The same instant in canonical UTC form (already canonical: returned as is)."""
    if len(value) == _CANONICAL_LENGTH and value[-1] == "Z" and value[10] == "T":
        return value
    moment = datetime.fromisoformat(value.replace("Z", "+00:00").replace(" ", "T"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def parse_setting_datetime(value: str) -> datetime:
    """A date or date-time setting (``2026-01-01``, ``2026-01-01T00:00:00Z``) as aware UTC;
    ValueError when it is neither."""
    moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def epoch_ms(moment: datetime) -> int:
    """An instant as the API's epoch milliseconds: exact, and free of time-zone doubt."""
    return int(moment.timestamp() * 1000)
