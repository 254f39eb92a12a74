"""The window walk and the per-sync memory of emitted sessions, without HTTP."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from tap_conviva_sessions.client import OpenEndpoints
from tap_conviva_sessions.pagination import SeenSessions, Window, WindowWalk, full_at
from tap_conviva_sessions.values import utc_iso

T0 = datetime(2026, 11, 1, tzinfo=UTC)


def minutes(n: float) -> timedelta:
    return timedelta(minutes=n)


def test_walk_covers_the_range_in_windows_of_at_most_the_span() -> None:
    windows = list(WindowWalk(T0, T0 + minutes(400), minutes(180)))
    assert [(w.start, w.end) for w in windows] == [
        (T0, T0 + minutes(180)),
        (T0 + minutes(180), T0 + minutes(360)),
        (T0 + minutes(360), T0 + minutes(400)),
    ]


def test_split_hands_out_both_halves_next_then_continues_without_gap_or_overlap() -> None:
    walk = WindowWalk(T0, T0 + minutes(360), minutes(180))
    seen = []
    for window in walk:
        seen.append(window)
        if window == Window(T0, T0 + minutes(180)) or window == Window(T0, T0 + minutes(90)):
            assert walk.split(window)
    leaves = [
        w for w in seen if w not in (Window(T0, T0 + minutes(180)), Window(T0, T0 + minutes(90)))
    ]
    assert leaves[0] == Window(T0, T0 + minutes(45))
    for before, after in itertools.pairwise(leaves):
        assert before.end == after.start  # contiguous, in time order
    assert leaves[-1].end == T0 + minutes(360)


def test_after_a_split_next_windows_are_smaller_and_grow_back_when_sparse() -> None:
    walk = WindowWalk(T0, T0 + minutes(2000), minutes(180))
    it = iter(walk)
    first = next(it)
    walk.split(first)
    half = next(it)
    assert half.minutes == 90
    walk.completed(half, sessions=499, limit=500)
    second_half = next(it)
    walk.completed(second_half, sessions=10, limit=500)
    widened = next(it)
    assert widened.minutes == 180  # 90 doubled, capped at the maximum span


def test_one_minute_windows_are_not_split_and_odd_lengths_split_on_whole_minutes() -> None:
    walk = WindowWalk(T0, T0 + minutes(1), minutes(180))
    (only,) = list(walk)
    assert not walk.split(only)
    first, second = Window(T0, T0 + minutes(3)).halves()
    assert first.minutes == 2
    assert second.minutes == 1
    first, second = Window(T0, T0 + timedelta(seconds=90)).halves()
    assert first.minutes == 1
    assert second.end == T0 + timedelta(seconds=90)


def test_seen_sessions_emits_once_and_forgets_what_cannot_come_back() -> None:
    seen = SeenSessions()
    assert seen.first_time("a", 1_000)
    assert seen.first_time("b", 5_000)
    assert not seen.first_time("a", 1_000)
    seen.forget_ended_before(2_000)
    assert len(seen) == 1  # "a" ended before the walk's position: no later window returns it
    assert not seen.first_time("b", 5_000)


def test_timestamps_have_one_shape_so_bookmarks_compare_as_strings() -> None:
    assert utc_iso(T0) == "2026-11-01T00:00:00.000Z"
    eastern = datetime(2026, 11, 1, 1, 30, tzinfo=UTC).astimezone(
        datetime.now().astimezone().tzinfo
    )
    assert utc_iso(eastern) == "2026-11-01T01:30:00.000Z"


def test_owed_windows_come_first_and_the_walk_knows_what_is_still_ahead() -> None:
    owed = [Window(T0 - minutes(600), T0 - minutes(570))]
    walk = WindowWalk(T0, T0 + minutes(60), minutes(30), owed=owed)
    it = iter(walk)
    first = next(it)
    assert first == owed[0]
    assert first.part_of == owed[0]
    assert walk.earliest_ahead() == T0  # the main walk
    assert walk.split(first)
    piece = next(it)
    assert piece.part_of == owed[0]  # a piece of the owed window
    assert walk.earliest_ahead() == piece.end  # its other half
    assert next(it).end == owed[0].end
    main = next(it)
    assert (main.start, main.part_of) == (T0, None)
    rest = [main, *it]
    assert all(a.end == b.start for a, b in itertools.pairwise(rest))
    assert rest[-1].end == T0 + minutes(60)
    assert walk.earliest_ahead() == T0 + minutes(60)


def test_an_answer_of_the_documented_most_is_full_whatever_the_limit() -> None:
    assert full_at(1500) == 500  # the guide's most: a silent cap there looks full
    assert full_at(500) == 500
    assert full_at(2) == 2


def test_a_discovery_answer_that_does_not_name_the_content_endpoint_is_not_read() -> None:
    endpoints = OpenEndpoints()
    assert endpoints.listed({"sessions": [{"path": "/insights/3.0/sessions/content"}]})
    assert endpoints.is_open("/sessions/content")
    assert not endpoints.is_open("/sessions/ad")
    for unreadable in ({"sessions": [{"name": "content"}, {"name": "ad"}]}, {}, ["content"]):
        assert not endpoints.listed(unreadable)
        assert endpoints.is_open("/sessions/ad")  # assumed open
