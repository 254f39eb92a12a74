"""Rev's durations and timestamps, as the tap writes them."""

from __future__ import annotations

import contextlib
import copy
import hashlib
import random
import typing as t

import pytest
import requests

from tap_vbrick_webcast import client
from tap_vbrick_webcast.streams import text_of
from tap_vbrick_webcast.tap import TapVbrickWebcast
from tap_vbrick_webcast.values import (
    all_canonical,
    canonical_utc,
    is_canonical,
    plus_one_millisecond,
    timespan_seconds,
)


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


def general_session(stream: t.Any, record: dict, event_id: str, run: int) -> dict:
    """A session as the general rules write it, value by value (what the per-record fast paths
    of AttendeeSessionsStream.parse_response must give)."""
    record = {k: v for k, v in record.items() if k in stream.declared_fields}
    for name in stream.datetime_fields:
        value = record.get(name)
        if isinstance(value, str) and value and not is_canonical(value):
            with contextlib.suppress(ValueError):
                record[name] = canonical_utc(value)
    for name in stream.DURATIONS:
        record[f"{name}Seconds"] = timespan_seconds(record.get(name))
    for poll in record.get("polls") or ():
        if isinstance(poll, dict) and isinstance(poll.get("when"), str):
            poll["when"] = canonical_utc(poll["when"])
    record["eventId"] = event_id
    record["runNumber"] = run
    parts = [event_id, str(run), *(text_of(record.get(name)) for name in stream.IDENTITY)]
    record["sessionKey"] = hashlib.sha1("\x1f".join(parts).encode()).hexdigest()  # noqa: S324
    return record


def test_the_fast_paths_of_a_session_give_the_general_rules_record() -> None:
    """Odd values take the general rule: the records are those of the rules value by value."""
    tap = TapVbrickWebcast(
        config={
            "api_url": "http://127.0.0.1:9",
            "api_key": "k",
            "secret": "s",
            "start_date": "2020-01-01T00:00:00Z",
        }
    )
    stream = tap.streams["webcast_attendee_sessions"]
    draw = random.Random(3)
    times = [
        "2026-03-01T14:00:00.000Z",
        "2026-03-01T14:00:00Z",
        "2026-03-01T14:00:00.123456+02:00",
        "2026-03-01T14:00:00.000",
        "2026-03-01T14:00:00.000Z\n",
        "",
        None,
        "not a date",
        42,
    ]
    durations = [
        "01:02:03",
        "00:00:59.9999999",
        "01:02:60",
        "01:60:03",
        "1.02:03:04.5",
        "-00:00:01",
        "01:02: 3",
        "01:02:03:04",
        "99:59:59.1",
        "N/A",
        "",
        None,
        5,
    ]
    texts = ["ada", "é", "", None, 7, 1.5, "a\x1fb"]
    sessions = []
    for k in range(3000):
        session: dict[str, t.Any] = {
            "username": draw.choice(texts),
            "email": draw.choice(texts),
            "ipAddress": draw.choice(texts),
            "enteredDate": draw.choice(times),
            "exitedDate": draw.choice(times),
            "viewingStartTime": draw.choice(times),
            "browser": draw.choice(texts),
            "deviceType": draw.choice(texts),
            "polls": draw.choice([[], None, [{"when": draw.choice(times[:4])}], "x"]),
        }
        for name in stream.DURATIONS:
            session[name] = draw.choice(durations)
        if k % 7 == 0:
            session["undeclaredField"] = 1
        for name in draw.sample(sorted(session), draw.randint(0, 2)):
            del session[name]  # fields left out
        sessions.append(session)
    expected = [general_session(stream, copy.deepcopy(s), "e1", 0) for s in sessions]
    response = requests.Response()
    response.status_code = 200
    response._content = b"{}"
    response.__dict__["_rev_payload"] = {"sessions": copy.deepcopy(sessions)}
    request = requests.PreparedRequest()
    request.prepare(method="GET", url="http://127.0.0.1:9/x?runNumber=0&scrollId=s")
    request.__dict__[client.CONTEXT] = {"eventId": "e1", "runNumber": 0}
    response.request = request
    got = list(stream.parse_response(response))
    assert got == expected
    assert [list(r) for r in got] == [list(r) for r in expected]  # the same order of fields


CANON = "2026-03-01T14:00:00.000Z"


@pytest.mark.parametrize(
    ("values", "fast"),
    [
        ((CANON, CANON, CANON), True),
        ((CANON, "2026-03-01T14:00:00Z", CANON), False),
        ((CANON, CANON + "\n", CANON), False),  # is_canonical takes it: the general rule does
        ((CANON, "२०२६-03-01T14:00:00.000Z", CANON), False),  # digits, not ASCII ones
        ((CANON + "|" + CANON, CANON, ""), False),
        ((CANON, "\ud800" * 24, CANON), False),
        ((CANON, None, CANON), False),
        ((CANON, 5, CANON), False),
    ],
)
def test_all_canonical_takes_only_texts_in_the_one_spelling(values: tuple, fast: bool) -> None:
    names = ("a", "b", "c")
    assert all_canonical(names)(dict(zip(names, values, strict=True))) is fast
    assert all_canonical(names)({"a": CANON, "b": CANON}) is False  # a field missing
    if fast:
        assert all(is_canonical(v) for v in values)
    assert all_canonical(("a",))({"a": values[1]}) is (values[1] == CANON)
