"""The window walk of the sample-sessions endpoints, as an SDK paginator.

The sample endpoints answer at most ``limit`` sessions for any range of at most 3 hours, so a
sync walks ``[start, end)`` in windows of at most ``window_minutes``. A window whose answer is
full is split in halves (whole minutes) and each half is asked again, down to one minute.
Windows complete in time order, so "everything before this instant was fetched" is always a
single instant: the bookmark.

:class:`Window`, :class:`WindowWalk` and :class:`SeenSessions` are pure logic (no HTTP);
:class:`WindowPaginator` drives the walk from the SDK's request loop, one :class:`WindowPage`
(window and limit) a request.
"""

from __future__ import annotations

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
#: The share of the limit a new window aims at, given the density of the last answer.
FILL = 0.8
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
    :meth:`completed` sizes the next new windows from the density just seen (aiming at
    ``FILL`` of the limit), so that a busy day is not asked for in 3-hour windows that come
    back full, only to be split, again and again.
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
        while True:
            if self.pending:
                yield self.pending.pop()
            elif self.owed:
                yield self.owed.pop()
            elif self.next_start < self.end:
                window = Window(self.next_start, min(self.next_start + self.span, self.end))
                self.next_start = window.end
                yield window
            else:
                return

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
        """A window answered ``sessions`` (below the limit): size the next ones to match."""
        if sessions == 0:
            self.span = self.max_span
            return
        target = window.minutes * FILL * limit / sessions
        self.span = max(MINUTE, min(self.max_span, int(target) * MINUTE))


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
      bookmark. The SDK calls :meth:`advance` after the answer's last record was written, so
      the bookmark never passes a session not yet written.
    - A window whose request failed for good (the stream owes it): :meth:`skip` goes on with
      the next window.

    An empty answer is a normal window, not the end of the walk (:meth:`continue_if_empty`).
    """

    #: The following windows are computed from the range and the answers seen (a split only
    #: refines the window at hand), so pages can be worked out ahead of the answers.
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
        self.windows = iter(walk)
        self.page_size = limit
        self.stream_name = stream_name
        self.logger = logger
        self.window_done = window_done
        first = next(self.windows, None)
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

    def after(self, page: WindowPage, response: requests.Response) -> WindowPage | None:
        """The page that follows ``page`` given its answer (None: the walk is over)."""
        window, limit = page.window, page.limit
        if response.status_code == HTTPStatus.REQUEST_ENTITY_TOO_LARGE:
            if self.walk.split(window):
                self.logger.info(
                    "%s: answer too large for %s, splitting it", self.stream_name, window
                )
                return self.next_page()
            if limit == 1:
                msg = f"Conviva answered HTTP 413 for one session of {self.stream_name} in {window}"
                raise ResponseTooLargeError(msg)
            limit = max(1, limit // 2)
            self.logger.warning(
                "%s: answer too large for the one-minute window %s; asking for %d sessions",
                self.stream_name,
                window,
                limit,
            )
            return WindowPage(window, limit)
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
        if sessions >= full_at(limit):
            if self.walk.split(window):
                self.logger.debug(
                    "%s: %s is full (%d sessions), splitting it", self.stream_name, window, sessions
                )
                return self.next_page()
            self.logger.warning(
                "%s: the one-minute window %s is still full (%d sessions, the limit): Conviva "
                "holds more sessions there than one request returns, the rest are not in the "
                "sample",
                self.stream_name,
                window,
                sessions,
            )
        self.walk.completed(window, sessions, full_at(self.page_size))
        self.window_done(window)
        return self.next_page()

    def next_page(self) -> WindowPage | None:
        window = next(self.windows, None)
        return None if window is None else WindowPage(window, self.page_size)


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
