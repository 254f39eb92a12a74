"""The window walk of the sample-sessions endpoints, as an SDK paginator.

The sample endpoints answer at most ``limit`` sessions for any range of at most 3 hours, so a
sync walks ``[start, end)`` in windows of at most ``window_minutes``. A window whose answer is
full is split in halves (whole minutes) and each half is asked again, down to one minute.
Windows complete in time order, so "everything before this instant was fetched" is always a
single instant: the bookmark.

The windows after an answer can be worked out before it is read (:meth:`WindowPaginator.
pages_ahead`): the next one exactly, the ones after it as they will be if the answers keep
their fill within the band (:data:`LOW_FILL`, :data:`HIGH_FILL`), which the walk's sizing keeps
them in while the traffic is steady. The stream asks for those ahead; the walk still takes its
pages one by one, in order, each decided by the answer before it.

:class:`Window`, :class:`WindowWalk` and :class:`SeenSessions` are pure logic (no HTTP);
:class:`WindowPaginator` drives the walk from the SDK's request loop, one :class:`WindowPage`
(window and limit) a request.
"""

from __future__ import annotations

import enum
import logging
import typing as t
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http import HTTPStatus

from singer_sdk.pagination import BaseAPIPaginator

from tap_conviva_sessions.client import json_body
from tap_conviva_sessions.errors import ResponseTooLargeError
from tap_conviva_sessions.values import utc_iso

if t.TYPE_CHECKING:
    import requests

MINUTE = timedelta(minutes=1)
#: The share of the limit a resized window aims at, given the density of the last answer.
FILL = 0.85
#: The band of fill (an answer's sessions over the most one answer holds, as a window of the
#: current span would have held them) within which the next windows keep their span: windows
#: then follow each other at one size, known ahead of their answers. Out of the band, the span
#: jumps to the power-of-two number of minutes under the one aiming at FILL (the answers then
#: fill 42 to 85 % while the traffic stays as dense; a span already a power of two stays until
#: they fill less than FILL / 2). The upper edge is near full on purpose: a busy hour walked in
#: two-minute windows filled to 92 % would otherwise be asked for in twice as many one-minute
#: windows. Measured on the emulator's traffic (bench/tap_conviva_sessions.py, one request at a
#: time): 397 requests for three quiet days where the earlier sizing (80 % of the limit from
#: every answer, windows that changed at every answer) asked 356, and 238 for the busy day where
#: it asked 325. The band [0.3, 0.8] with a target of 0.8 asked 626 for the three days.
LOW_FILL = 0.5
HIGH_FILL = 0.95
#: The most sessions one answer holds where the documents disagree: the guide says a limit of
#: 1..500 for the sample endpoints (the content endpoint's own page says up to 1500), and the
#: viewer endpoints return at most 500. An answer of this many sessions may have been cut to it,
#: so it counts as full whatever the limit asked (``full_at``).
DOCUMENTED_MAX = 500


def full_at(limit: int) -> int:
    """How many sessions make an answer full: the limit, or the documented most if lower."""
    return min(limit, DOCUMENTED_MAX)


@dataclass(frozen=True)
class Window:
    """``[start, end)``: start inclusive, end exclusive, as the API reads a time range.

    ``part_of`` is the owed window (asked again for an earlier sync) this one is, or is a piece
    of: it does not take part in comparisons."""

    start: datetime
    end: datetime
    part_of: Window | None = field(default=None, compare=False)

    @property
    def minutes(self) -> float:
        return (self.end - self.start) / MINUTE

    @property
    def splittable(self) -> bool:
        return self.end - self.start > MINUTE

    def halves(self) -> tuple[Window, Window]:
        """Two windows split on a whole minute from the start (the first one is never empty)."""
        half = max(1, round(self.minutes / 2))
        middle = self.start + half * MINUTE
        return Window(self.start, middle, self.part_of), Window(middle, self.end, self.part_of)

    def __str__(self) -> str:
        return f"[{utc_iso(self.start)}, {utc_iso(self.end)})"


class WindowWalk:
    """Windows of at most ``max_span`` from ``start`` to ``end``, in time order, after the
    ``owed`` windows (windows earlier syncs could not fetch: asked for first, as they were).

    :meth:`split` replaces the window just handed out by its two halves. After each answer,
    :meth:`completed` sizes the next new windows from the density just seen, so that a busy day
    is not asked for in 3-hour windows that come back full, only to be split, again and again;
    the size holds while the answers' fill stays within the band (LOW_FILL to HIGH_FILL), so
    that the windows ahead are known before the answers (:meth:`copy` walks them ahead).
    """

    def __init__(
        self,
        start: datetime,
        end: datetime,
        max_span: timedelta,
        owed: Sequence[Window] = (),
    ) -> None:
        self.next_start = start
        self.end = end
        self.max_span = max(MINUTE, max_span)
        self.span = self.max_span
        self.pending: list[Window] = []  # halves still to fetch, the earliest last
        #: Owed windows still to fetch, the first one last; each marked as its own part_of.
        self.owed = [
            Window(w.start, w.end, w.part_of or Window(w.start, w.end)) for w in reversed(owed)
        ]

    def __iter__(self) -> Iterator[Window]:
        while (window := self.next_window()) is not None:
            yield window

    def next_window(self) -> Window | None:
        """Hand out the next window (None: the walk is over)."""
        if self.pending:
            return self.pending.pop()
        if self.owed:
            return self.owed.pop()
        if self.next_start < self.end:
            window = Window(self.next_start, min(self.next_start + self.span, self.end))
            self.next_start = window.end
            return window
        return None

    def copy(self) -> WindowWalk:
        """The walk as it stands, to be walked ahead without changing this one."""
        twin = WindowWalk.__new__(WindowWalk)
        twin.next_start, twin.end = self.next_start, self.end
        twin.max_span, twin.span = self.max_span, self.span
        twin.pending, twin.owed = list(self.pending), list(self.owed)
        return twin

    def split(self, window: Window) -> bool:
        """Queue the halves of ``window`` (to be handed out next); False if it is one minute."""
        if not window.splittable:
            return False
        first, second = window.halves()
        self.pending.extend((second, first))
        self.span = min(self.span, first.end - first.start)
        return True

    def earliest_ahead(self) -> datetime:
        """The earliest start of the windows not handed out yet (the end when none is left):
        no later answer can return a session that ended before it."""
        starts = [w.start for w in (*self.pending, *self.owed)]
        if self.next_start < self.end:
            starts.append(self.next_start)
        return min(starts, default=self.end)

    def completed(self, window: Window, sessions: int, limit: int) -> None:
        """A window answered ``sessions`` (below the limit): the next ones keep their span while
        a window of that span would have been filled within the band by this density; else the
        span jumps to the power-of-two minutes under the one aiming at FILL (or the longest)."""
        fill = sessions / limit * (self.span / (window.end - window.start))
        if LOW_FILL <= fill <= HIGH_FILL:
            return
        if sessions == 0:
            self.span = self.max_span
            return
        target = window.minutes * FILL * limit / sessions
        if target >= self.max_span / MINUTE:
            self.span = self.max_span
            return
        minutes = 1
        while minutes * 2 <= target:
            minutes *= 2
        self.span = minutes * MINUTE


class SeenSessions:
    """The sessions this sync already emitted that a later window can still return.

    Windows only return sessions that end at or after their start, so once the walk is past an
    instant, the sessions that ended before it can be forgotten: memory holds the sessions that
    cross the current window boundary, not the whole sync."""

    def __init__(self) -> None:
        self.ends: dict[str, int] = {}

    def first_time(self, session_id: str, end_epoch_ms: int) -> bool:
        if session_id in self.ends:
            return False
        self.ends[session_id] = end_epoch_ms
        return True

    def forget_ended_before(self, epoch_ms: int) -> None:
        self.ends = {k: v for k, v in self.ends.items() if v >= epoch_ms}

    def __len__(self) -> int:
        return len(self.ends)


# -- the paginator -----------------------------------------------------------------------------


class Verdict(enum.Enum):
    """What an answer means for the walk (:meth:`WindowPaginator.judge`)."""

    #: Fewer sessions than a full answer: the window is finished.
    DONE = "done"
    #: A full answer: the window is split, its answer set aside.
    FULL_SPLIT = "full, split"
    #: A full answer for one minute: kept, the window is finished (a sample of that minute).
    FULL_AT_ONE_MINUTE = "full at one minute"
    #: HTTP 413: the window is split.
    TOO_LARGE_SPLIT = "too large, split"
    #: HTTP 413 for one minute: the same window asked for fewer sessions.
    TOO_LARGE_FEWER = "too large, fewer sessions"
    #: HTTP 413 for one session: the sync ends.
    TOO_LARGE_AT_ONE = "too large for one session"


@dataclass(frozen=True)
class WindowPage:
    """One request of the walk: a window and the most sessions asked for (``limit``)."""

    window: Window
    limit: int


def sessions_in(response: requests.Response) -> int:
    """How many sessions an answer holds (its JSON was decoded, and its shape checked, when it
    was validated)."""
    body = json_body(response)
    sessions = body.get("sessions") if isinstance(body, dict) else None
    return len(sessions) if isinstance(sessions, list) else 0


class WindowPaginator(BaseAPIPaginator[WindowPage]):
    """A :class:`WindowWalk` as pages: each answer decides the next page.

    - HTTP 413 (the answer would be too large; validate_response lets it through): the window
      is split, or, at one minute, the same window is asked for half as many sessions; a 413
      for one session ends the sync.
    - A full answer (``full_at(limit)`` sessions: the limit, or the documented 500 if lower):
      the window is split and its answer set aside (:meth:`keeps` is False, parse_response
      emits nothing); a one-minute window still full is logged with its bounds, and its
      sessions are kept.
    - Otherwise the window is finished: ``window_done(window)`` is called, which moves the
      bookmark. The stream's page loop calls :meth:`advance` after the answer's last record
      was written, so the bookmark never passes a session not yet written.
    - A window whose request failed for good (the stream owes it): :meth:`skip` goes on with
      the next window.

    An empty answer is a normal window, not the end of the walk (:meth:`continue_if_empty`).
    :meth:`pages_ahead` tells the pages that follow an answer before it is read, without moving
    the walk: the stream asks for them ahead, and takes each only when the walk, in order, wants
    exactly that page.
    """

    #: The following windows are computed from the range and the answers seen (a split only
    #: refines the window at hand), so pages can be worked out ahead of the answers
    #: (pages_ahead).
    tokens_known_ahead: t.ClassVar[bool] = True

    def __init__(
        self,
        walk: WindowWalk,
        limit: int,
        *,
        stream_name: str,
        logger: logging.Logger,
        window_done: Callable[[Window], None],
    ) -> None:
        self.walk = walk
        self.page_size = limit
        self.stream_name = stream_name
        self.logger = logger
        self.window_done = window_done
        first = walk.next_window()
        if first is None:
            msg = "the window walk is empty: a sync with nothing to fetch sends no request"
            raise ValueError(msg)
        self.following: WindowPage | None = None
        super().__init__(WindowPage(first, limit))

    def continue_if_empty(self, response: requests.Response) -> bool:
        return True

    def keeps(self, response: requests.Response) -> bool:
        """Whether the sessions of this answer (to the current page) are to be emitted: not
        for a 413, nor for a full answer whose window will be split."""
        if response.status_code == HTTPStatus.REQUEST_ENTITY_TOO_LARGE:
            return False
        page = self.current_value
        return sessions_in(response) < full_at(page.limit) or not page.window.splittable

    def advance(self, response: requests.Response) -> None:
        self.following = self.after(self.current_value, response)
        super().advance(response)

    def skip(self) -> bool:
        """The current window's request failed for good (the stream owed the window): go on
        with the next window. False when the walk is over."""
        self.following = self.next_page()
        # The SDK's advance reads the answer only through has_more/get_next, which here do not.
        super().advance(t.cast("requests.Response", None))
        return not self.finished

    def has_more(self, response: requests.Response) -> bool:
        return self.following is not None

    def get_next(self, response: requests.Response) -> WindowPage | None:
        return self.following

    def judge(self, walk: WindowWalk, page: WindowPage, response: requests.Response) -> Verdict:
        """What the answer to ``page`` means, ``walk`` changed to match (split, or sized by
        :meth:`WindowWalk.completed`). Only this decides the walk: :meth:`after` applies it to
        the walk itself, :meth:`pages_ahead` to a copy."""
        window, limit = page.window, page.limit
        if response.status_code == HTTPStatus.REQUEST_ENTITY_TOO_LARGE:
            if walk.split(window):
                return Verdict.TOO_LARGE_SPLIT
            return Verdict.TOO_LARGE_FEWER if limit > 1 else Verdict.TOO_LARGE_AT_ONE
        sessions = sessions_in(response)
        if sessions >= full_at(limit):
            if walk.split(window):
                return Verdict.FULL_SPLIT
            verdict = Verdict.FULL_AT_ONE_MINUTE
        else:
            verdict = Verdict.DONE
        walk.completed(window, sessions, full_at(self.page_size))
        return verdict

    def after(self, page: WindowPage, response: requests.Response) -> WindowPage | None:
        """The page that follows ``page`` given its answer (None: the walk is over)."""
        window, limit = page.window, page.limit
        verdict = self.judge(self.walk, page, response)
        if verdict is Verdict.TOO_LARGE_SPLIT:
            self.logger.info("%s: answer too large for %s, splitting it", self.stream_name, window)
            return self.next_page()
        if verdict is Verdict.TOO_LARGE_AT_ONE:
            msg = f"Conviva answered HTTP 413 for one session of {self.stream_name} in {window}"
            raise ResponseTooLargeError(msg)
        if verdict is Verdict.TOO_LARGE_FEWER:
            self.logger.warning(
                "%s: answer too large for the one-minute window %s; asking for %d sessions",
                self.stream_name,
                window,
                fewer(limit),
            )
            return WindowPage(window, fewer(limit))
        sessions = sessions_in(response)
        if sessions > limit:
            self.logger.warning(
                "%s: Conviva answered %d sessions for %s where %d were asked for: the limit "
                "is not read as documented",
                self.stream_name,
                sessions,
                window,
                limit,
            )
        if verdict is Verdict.FULL_SPLIT:
            self.logger.debug(
                "%s: %s is full (%d sessions), splitting it", self.stream_name, window, sessions
            )
            return self.next_page()
        if verdict is Verdict.FULL_AT_ONE_MINUTE:
            self.logger.warning(
                "%s: the one-minute window %s is still full (%d sessions, the limit): Conviva "
                "holds more sessions there than one request returns, the rest are not in the "
                "sample",
                self.stream_name,
                window,
                sessions,
            )
        # Before the next window is handed out: the window's end, and the walk's earliest
        # window ahead, are what the stream's bookmark and memory of sessions move to.
        self.window_done(window)
        return self.next_page()

    def pages_ahead(self, response: requests.Response, most: int) -> list[WindowPage]:
        """Up to ``most`` pages the walk will ask for after the current one, from its answer
        (``response``), the walk left as it is: the next page exactly as :meth:`advance` will
        decide it, then the following ones as they will be if no later answer splits its window
        or leaves the band of fill (the span unchanged). Both halves of a full window are known
        at once."""
        page = self.current_value
        walk = self.walk.copy()
        verdict = self.judge(walk, page, response)
        if verdict is Verdict.TOO_LARGE_AT_ONE:
            return []
        pages = []
        if verdict is Verdict.TOO_LARGE_FEWER:
            pages.append(WindowPage(page.window, fewer(page.limit)))
        while len(pages) < most and (window := walk.next_window()) is not None:
            pages.append(WindowPage(window, self.page_size))
        return pages[:most]

    def next_page(self) -> WindowPage | None:
        window = self.walk.next_window()
        return None if window is None else WindowPage(window, self.page_size)


def fewer(limit: int) -> int:
    """The limit asked for again after a 413 for a one-minute window."""
    return max(1, limit // 2)


# -- a viewer's sessions -----------------------------------------------------------------------


@dataclass(frozen=True)
class ViewerPage:
    """One request for a viewer's sessions: the last ``viewer_days`` days as ``days`` (no
    window), or, once that answer came back full, one window of that range."""

    window: Window | None = None


class ViewerPaginator(BaseAPIPaginator[ViewerPage]):
    """A viewer's sessions: first the whole range (``days``); when that answer is full (the
    viewer endpoints return at most 500 sessions), the guide's advice: the range is asked again
    in shorter time ranges, a :class:`WindowWalk` over it (a full window is split in halves down
    to one minute, as the sample walk does). A full answer is set aside (:meth:`keeps`)."""

    #: Whether windows follow depends on the first answer: no page is known ahead of it.
    tokens_known_ahead: t.ClassVar[bool] = False

    def __init__(
        self,
        limit: int,
        *,
        days_range: Callable[[], Window],
        viewer: str,
        stream_name: str,
        logger: logging.Logger,
    ) -> None:
        super().__init__(ViewerPage())
        self.limit = limit
        self.days_range = days_range
        self.viewer = viewer
        self.stream_name = stream_name
        self.logger = logger
        self.walk: WindowWalk | None = None
        self.windows: Iterator[Window] = iter(())
        self.following: ViewerPage | None = None

    def continue_if_empty(self, response: requests.Response) -> bool:
        return True  # a full answer set aside yields no record, and windows follow it

    def keeps(self, response: requests.Response) -> bool:
        """Whether this answer's sessions are to be emitted: not when it is full and its range
        is asked for again in shorter ranges."""
        window = self.current_value.window
        full = sessions_in(response) >= full_at(self.limit)
        return not full or (window is not None and not window.splittable)

    def advance(self, response: requests.Response) -> None:
        self.following = self.after(self.current_value, response)
        super().advance(response)

    def has_more(self, response: requests.Response) -> bool:
        return self.following is not None

    def get_next(self, response: requests.Response) -> ViewerPage | None:
        return self.following

    def after(self, page: ViewerPage, response: requests.Response) -> ViewerPage | None:
        """The page that follows ``page`` given its answer (None: the viewer is done)."""
        sessions = sessions_in(response)
        most = full_at(self.limit)
        if sessions < most:
            if self.walk is not None and page.window is not None:
                self.walk.completed(page.window, sessions, most)
            return self.next_page()
        if page.window is None:
            whole = self.days_range()
            self.walk = WindowWalk(whole.start, whole.end, whole.end - whole.start)
            self.windows = iter(self.walk)
            self.walk.split(next(self.windows))
            self.logger.info(
                "%s: %d sessions for %s, the most one answer holds: asking again for %s in "
                "shorter time ranges",
                self.stream_name,
                sessions,
                self.viewer,
                whole,
            )
            return self.next_page()
        if not self.walk or not self.walk.split(page.window):
            self.logger.warning(
                "%s: the one-minute range %s still holds %d sessions for %s, the most one "
                "answer holds: Conviva has more there than one request returns",
                self.stream_name,
                page.window,
                sessions,
                self.viewer,
            )
        return self.next_page()

    def next_page(self) -> ViewerPage | None:
        window = next(self.windows, None)
        return None if window is None else ViewerPage(window)
