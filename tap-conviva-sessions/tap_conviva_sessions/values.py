"""The API's dates and times, and the one timestamp format of records and bookmarks."""

from __future__ import annotations

from datetime import UTC, datetime


def utc_iso(moment: datetime) -> str:
    """The one timestamp format of records and bookmarks: ``YYYY-MM-DDTHH:MM:SS.mmmZ``.

    Bookmarks are compared as strings, so every value must have the same shape."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def epoch_ms_iso(epoch_ms: int | None) -> str | None:
    """An API ``epoch_ms`` as :func:`utc_iso` (None stays None: a session still running)."""
    if epoch_ms is None:
        return None
    return utc_iso(datetime.fromtimestamp(epoch_ms / 1000, UTC))


def floor_minute(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


def instant(value: str) -> datetime:
    """An ISO 8601 date-time setting (start_date, end_date); without a zone, UTC."""
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
