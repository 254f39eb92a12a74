"""Rev's durations and timestamps, as the tap writes them."""

from __future__ import annotations

import pytest

from tap_vbrick_webcast.values import canonical_utc, plus_one_millisecond, timespan_seconds


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("00:05:16", 316.0),
        ("00:03:18.1080000", 198.108),
        ("1.02:03:04", 93784.0),
        ("12:00:00.5", 43200.5),
        ("-00:00:01", -1.0),
    ],
)
def test_timespans_become_seconds(text: str, seconds: float) -> None:
    assert timespan_seconds(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", [None, "", "five minutes", "00:61", 42])
def test_what_is_not_a_timespan_is_none(text: object) -> None:
    assert timespan_seconds(text) is None


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("2020-08-11T12:47:45.950Z", "2020-08-11T12:47:45.950Z"),
        ("2020-08-11T12:47:45Z", "2020-08-11T12:47:45.000Z"),
        ("2020-08-11T14:47:45.9501234+02:00", "2020-08-11T12:47:45.950Z"),
        ("2020-08-11T12:47:45", "2020-08-11T12:47:45.000Z"),
        ("2020-08-11", "2020-08-11T00:00:00.000Z"),
    ],
)
def test_timestamps_are_written_one_way(text: str, canonical: str) -> None:
    assert canonical_utc(text) == canonical


def test_the_next_search_starts_just_after_the_bookmark() -> None:
    assert plus_one_millisecond("2020-12-31T23:59:59.999Z") == "2021-01-01T00:00:00.000Z"
