"""Several requests in flight (issue 10): windows asked for ahead of the walk give the records,
order and every STATE of one request at a time; the bookmark never passes a window still
unanswered; a window that fails for good is owed in order; a 429 holds the whole run; the
default pace stays under Conviva's limit.

The emulator is made to hold an answer until other requests have arrived (``HoldAnswer``), so
that "in flight together" is seen as an event, not guessed from timings."""

from __future__ import annotations

import itertools
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from conviva_sessions.helpers import (
    CONTENT_SESSIONS,
    ONE_AT_A_TIME,
    base_config,
    conviva_emulator,
    emulator_now,
    epoch_ms,
    iso_ms,
    minute_floor,
    owed_of,
    session_ids,
)
from flask import jsonify, request
from testkit import TapOutput, run_tap

from emulators import EmulatorServer
from tap_conviva_sessions import settings
from tap_conviva_sessions.tap import TapConvivaSessions

CONTENT = "/sessions/content"
#: Every answer comes this long after its request, so that requests asked for ahead overlap.
LATENCY = 0.05
#: A pace quicker than the default (9 a second), for tests about order rather than pace.
QUICK_PACE = {"max_requests_per_second": 100}
#: How long a held answer waits for the requests it waits for before giving up (the test then
#: fails on the count, not on this time).
HOLD_AT_MOST = 60.0


class HoldAnswer:
    """Holds the emulator's answer to the first sample request for ``window`` until ``others``
    answers to windows after it were given, or ``until`` is set (or HOLD_AT_MOST passed).
    Registered on the Flask app before the server starts; ``window`` may be set later (nothing
    is held before)."""

    def __init__(
        self,
        server: EmulatorServer,
        window: tuple[str, str] | None,
        others: int = 0,
        until: threading.Event | None = None,
    ) -> None:
        self.window = window
        self.others = others
        self.until = until
        self.released = False
        self.answered_while_held = 0
        self.held = False
        self.released_by_others = False
        self.lock = threading.Lock()
        self.enough = threading.Event()
        server.app.before_request(self.before)
        server.app.after_request(self.after)

    def asked(self) -> tuple[str, str] | None:
        if not request.path.endswith(CONTENT):
            return None
        return (request.args.get("start_date", ""), request.args.get("end_date", ""))

    def before(self) -> None:
        if self.window is None or self.asked() != self.window:
            return
        with self.lock:
            if self.held:
                return  # a retry or a second ask: answered at once
            self.held = True
        if self.until is not None:
            self.released = self.until.wait(HOLD_AT_MOST)
        else:
            self.released_by_others = self.enough.wait(HOLD_AT_MOST)

    def after(self, response: Any) -> Any:
        asked = self.asked()
        if self.window is not None and asked is not None and asked[0] >= self.window[1]:
            with self.lock:
                if self.held and not self.enough.is_set():
                    self.answered_while_held += 1
                    if self.answered_while_held >= self.others:
                        self.enough.set()
        return response


@pytest.fixture
def busy() -> Iterator[tuple[EmulatorServer, dict[str, Any]]]:
    """An emulator whose traffic has a busy hour (full windows split), and four hours of it."""
    with conviva_emulator(size=20_000, latency=LATENCY) as server:
        yield server, busy_config(server)


def busy_config(server: EmulatorServer, **overrides: Any) -> dict[str, Any]:
    traffic = server.state.traffic["content"]
    counts = traffic.counts
    hour = max(range(len(counts) // 60 - 4), key=lambda h: sum(counts[h * 60 : h * 60 + 60]))
    start = datetime.fromtimestamp((traffic.first_minute + hour * 60) * 60, UTC)
    return base_config(
        server,
        start_date=(start - timedelta(hours=1)).isoformat(),
        end_date=(start + timedelta(hours=3)).isoformat(),
        **overrides,
    )


def windows(server: EmulatorServer) -> list[tuple[str, str]]:
    return [
        (r.arg("start_date") or "", r.arg("end_date") or "")
        for r in server.requests.matching(CONTENT)
        if r.path.endswith(CONTENT)
    ]


def without_clocks(states: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The STATE values without what tells the time of the run (the SDK's signpost, when an
    item was first owed): the rest is what a sync resumes from."""

    def clean(value: Any) -> Any:
        if isinstance(value, dict):
            return {
                k: clean(v)
                for k, v in value.items()
                if k not in ("replication_key_signpost", "since")
            }
        if isinstance(value, list):
            return [clean(v) for v in value]
        return value

    return [clean(s) for s in states]


def records_and_states(run: TapOutput) -> list[tuple[str, Any]]:
    """The run's RECORD (by session id) and STATE messages, in the order written."""
    out: list[tuple[str, Any]] = []
    for message in run.messages:
        if message["type"] == "RECORD":
            out.append(("RECORD", message["record"]["conviva_session_id"]))
        elif message["type"] == "STATE":
            out.append(("STATE", without_clocks([message["value"]])[0]))
    return out


def run_both(
    server: EmulatorServer, config: dict[str, Any], prepare: Callable[[], None] = lambda: None
) -> tuple[TapOutput, list[tuple[str, str]], TapOutput, list[tuple[str, str]]]:
    """The sync one request at a time, then with the default requests in flight (each on a
    clean request log; ``prepare`` arms the emulator before each)."""
    server.reset()
    prepare()
    one = run_tap(TapConvivaSessions, {**config, **ONE_AT_A_TIME}, streams=CONTENT_SESSIONS)
    one_windows = windows(server)
    server.reset()
    prepare()
    many = run_tap(TapConvivaSessions, config, streams=CONTENT_SESSIONS)
    return one, one_windows, many, windows(server)


def test_windows_asked_ahead_give_the_records_order_and_every_state_of_one_at_a_time(
    busy: tuple[EmulatorServer, dict[str, Any]],
) -> None:
    server, config = busy
    config = {**config, **QUICK_PACE}
    assert settings.CONFIG_SCHEMA["properties"]["max_concurrent_requests"]["default"] > 1
    hold = HoldAnswer(server, None, others=2)  # holds nothing in the first run

    one = run_tap(TapConvivaSessions, {**config, **ONE_AT_A_TIME}, streams=CONTENT_SESSIONS)
    one_windows = windows(server)
    server.reset()
    # In the run with the default requests in flight, the walk's second window (the first half
    # of the full first window) is held until two windows after it were answered: they were
    # asked for ahead, and their answers wait, unread, behind it.
    hold.window = one_windows[1]
    many = run_tap(TapConvivaSessions, config, streams=CONTENT_SESSIONS)
    many_windows = windows(server)

    assert hold.released_by_others
    assert one_windows[0] == busy_first_window(config)
    assert len(full_windows_split(one_windows)) > 3  # the busy hour's windows came back full
    # The same records in the same order, and the same STATE messages between them: the same
    # resumable points, whatever answered first.
    assert records_and_states(many) == records_and_states(one)
    assert without_clocks(many.states) == without_clocks(one.states)
    ids = session_ids(many)
    assert len(ids) == len(set(ids))
    # Every window the walk asked for was asked for once; a window asked for ahead that the walk
    # did not want is the only other kind of request.
    asked = Counter(many_windows)
    assert all(asked[w] == 1 for w in one_windows), [w for w in one_windows if asked[w] != 1]
    assert server.stats()["throttled"] == 0


def busy_first_window(config: dict[str, Any]) -> tuple[str, str]:
    start = datetime.fromisoformat(config["start_date"])
    return iso_ms(start), iso_ms(start + timedelta(hours=3))


def full_windows_split(asked: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The windows asked for whose halves were asked for next (each a full answer)."""
    split = []
    for window, following in itertools.pairwise(asked):
        if following[0] == window[0] and following[1] < window[1]:
            split.append(window)
    return split


def test_both_halves_of_a_full_window_are_in_flight_together(
    busy: tuple[EmulatorServer, dict[str, Any]],
) -> None:
    server, config = busy
    start = datetime.fromisoformat(config["start_date"])
    # The first window (3 hours) is full: its halves are known at once. The first half's answer
    # is held until the second half was answered.
    first_half = (iso_ms(start), iso_ms(start + timedelta(minutes=90)))
    hold = HoldAnswer(server, first_half, others=1)

    run = run_tap(TapConvivaSessions, {**config, **QUICK_PACE}, streams=CONTENT_SESSIONS)

    asked = windows(server)
    assert asked[:2] == [busy_first_window(config), first_half]
    assert hold.released_by_others
    assert (first_half[1], iso_ms(start + timedelta(hours=3))) in asked[1:3]
    assert session_ids(run)


def test_the_bookmark_never_passes_a_window_still_unanswered(
    busy: tuple[EmulatorServer, dict[str, Any]],
) -> None:
    server, _ = busy
    end = minute_floor(emulator_now(server)) - timedelta(minutes=10)
    start = end - timedelta(hours=2)
    config = base_config(
        server,
        start_date=start.isoformat(),
        end_date=end.isoformat(),
        window_minutes=10,
        lookback_minutes=0,
        **QUICK_PACE,
    )
    slow = (iso_ms(start + timedelta(minutes=30)), iso_ms(start + timedelta(minutes=40)))
    hold = HoldAnswer(server, None, others=2)
    one = run_tap(TapConvivaSessions, {**config, **ONE_AT_A_TIME}, streams=CONTENT_SESSIONS)
    server.reset()
    # The fourth window is held until two windows after it were answered (the default asks
    # for three ahead of the one being read: the held one and two after it).
    hold.window = slow

    many = run_tap(TapConvivaSessions, config, streams=CONTENT_SESSIONS)

    assert hold.released_by_others
    assert records_and_states(many) == records_and_states(one)
    bookmarks = [
        b
        for s in many.states
        if (b := s["bookmarks"]["content_sessions"].get("replication_key_value"))
    ]
    assert bookmarks == sorted(bookmarks)
    # The first bookmark past the held window's start is its end: the windows after it,
    # answered before it, moved the bookmark only once it was read.
    assert next(b for b in bookmarks if b > slow[0]) == slow[1]
    assert many.bookmark("content_sessions") == iso_ms(end)


def test_a_window_failing_for_good_while_later_ones_answer_is_owed_in_order(
    busy: tuple[EmulatorServer, dict[str, Any]],
) -> None:
    server, _ = busy
    end = minute_floor(emulator_now(server)) - timedelta(minutes=10)
    start = end - timedelta(hours=1)
    config = base_config(
        server,
        start_date=start.isoformat(),
        end_date=end.isoformat(),
        window_minutes=10,
        lookback_minutes=0,
        retry_budget_seconds=1,
        retry_initial_wait_seconds=0.1,
        **QUICK_PACE,
    )
    broken = (iso_ms(start + timedelta(minutes=20)), iso_ms(start + timedelta(minutes=30)))

    def break_it() -> None:
        server.state.broken_windows = {epoch_ms(start + timedelta(minutes=25)): "503"}

    try:
        one, _, many, asked = run_both(server, config, break_it)
    finally:
        server.state.broken_windows = {}

    assert [o["item"] for o in owed_of(many, "content_sessions")] == [
        {"start": broken[0], "end": broken[1]}
    ]
    assert records_and_states(many) == records_and_states(one)
    assert many.bookmark("content_sessions") == iso_ms(end)
    # Windows after the broken one were asked for while it was still being tried.
    tries = [i for i, w in enumerate(asked) if w == broken]
    assert any(w[0] >= broken[1] for w in asked[tries[0] : tries[-1]])


class SlowAnswer:
    """Answers the first sample request for ``window`` ``seconds`` late (the shared ``slow``
    fault picks requests by path only)."""

    def __init__(self, server: EmulatorServer, window: tuple[str, str], seconds: float) -> None:
        self.window = window
        self.seconds = seconds
        self.done = False
        server.app.before_request(self.before)

    def before(self) -> None:
        asked = (request.args.get("start_date", ""), request.args.get("end_date", ""))
        if request.path.endswith(CONTENT) and asked == self.window and not self.done:
            self.done = True
            time.sleep(self.seconds)


class ThrottleOnce:
    """Answers the first sample request for ``window`` with HTTP 429 and ``Retry-After``, as
    Conviva's limiter would (registered on the Flask app before the server starts); ``given`` is
    set once that answer is given."""

    def __init__(self, server: EmulatorServer, window: tuple[str, str], wait: float) -> None:
        self.window = window
        self.wait = wait
        self.given = threading.Event()
        server.app.before_request(self.before)

    def before(self) -> Any:
        asked = (request.args.get("start_date", ""), request.args.get("end_date", ""))
        if not request.path.endswith(CONTENT) or asked != self.window or self.given.is_set():
            return None
        answer = jsonify(message="Too Many Requests")
        answer.status_code = 429
        answer.headers["Retry-After"] = f"{self.wait:g}"
        self.given.set()
        return answer


def test_a_429_holds_every_request_of_the_run_for_its_wait() -> None:
    # With 8 requests in flight the walk asks for 7 windows ahead. The 4th window's answer is
    # held until the 10th was refused with a 429 asking to wait 3 s: the walk then reads the
    # 4th to the 9th and asks for more windows ahead, which without the run-wide hold would go
    # out while the API asked to wait (checked: this test fails when the 429 does not call
    # RequestGate.throttled).
    with conviva_emulator(size=20_000, latency=LATENCY) as server:
        end = minute_floor(emulator_now(server)) - timedelta(minutes=10)
        start = end - timedelta(hours=2)
        config = base_config(
            server,
            start_date=start.isoformat(),
            end_date=end.isoformat(),
            window_minutes=4,
            lookback_minutes=0,
            max_concurrent_requests=8,
            **QUICK_PACE,
        )

        def window(n: int) -> tuple[str, str]:
            return iso_ms(start + timedelta(minutes=4 * n)), iso_ms(
                start + timedelta(minutes=4 * n + 4)
            )

        refuse = ThrottleOnce(server, window(9), wait=3)
        hold = HoldAnswer(server, window(3), until=refuse.given)
        # The 7th window answers 1.5 s late: the walk reads the 4th to the 6th at once, and the
        # 7th to the 9th (asking for the 14th to the 16th) well inside the wait.
        SlowAnswer(server, window(6), seconds=1.5)

        run = run_tap(TapConvivaSessions, config, streams=CONTENT_SESSIONS)

        assert hold.released
        asked = [r for r in server.requests.matching(CONTENT) if r.path.endswith(CONTENT)]
        throttled, again = [
            r for r in asked if (r.arg("start_date"), r.arg("end_date")) == window(9)
        ]
        assert again.at - throttled.at >= 3.0
        # No request of the run started while the API's wait ran (those in flight at the 429
        # had arrived before it), instead of each window retrying on its own.
        held = [r for r in asked if throttled.at + 0.5 < r.at < throttled.at + 2.9]
        assert held == []
        later = [r for r in asked if r.at > throttled.at + 2.9 and r is not again]
        assert len(later) > 10  # windows that would have been asked for during the wait
        assert len(run.log_lines("HTTP 429")) == 1
        assert server.stats()["throttled"] == 1
        ids = session_ids(run)
        assert len(ids) == len(set(ids))
        assert run.bookmark("content_sessions") == iso_ms(end)


def test_the_default_pace_stays_under_conviva_s_limit() -> None:
    # Conviva's 3000 requests per 5 minutes per IP, as 30 per 3 seconds (the same 10 a second,
    # over a window short enough for a test): the default settings are never refused.
    defaults = settings.CONFIG_SCHEMA["properties"]
    assert defaults["max_requests_per_second"]["default"] == 9  # 10 % under the 10 a second
    with conviva_emulator(size=20_000, rate_limit=(30, 3.0)) as server:
        end = minute_floor(emulator_now(server)) - timedelta(minutes=10)
        config = base_config(
            server,
            start_date=(end - timedelta(hours=2, minutes=30)).isoformat(),
            end_date=end.isoformat(),
            window_minutes=2,
        )

        run = run_tap(TapConvivaSessions, config, streams=CONTENT_SESSIONS)

        stats = server.stats()
        assert stats["requests"] > 60  # more than twice the limit's window
        assert stats["throttled"] == 0
        assert session_ids(run)
