"""The walk over time windows: pure logic, no HTTP.

The sample endpoints answer at most ``limit`` sessions for any range of at most 3 hours, so a
sync walks ``[start, end)`` in windows of at most ``window_minutes``. A window whose answer is
full is split in halves (whole minutes) and each half is asked again, down to one minute.
Windows complete in time order, so "everything before this instant was fetched" is always a
single instant: the bookmark.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

MINUTE = timedelta(minutes=1)
#: The share of the limit a new window aims at, given the density of the last answer.
FILL = 0.8


def utc_iso(moment: datetime) -> str:
    """The one timestamp format of records and bookmarks: ``YYYY-MM-DDTHH:MM:SS.mmmZ``.

    Bookmarks are compared as strings, so every value must have the same shape."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def epoch_ms_iso(epoch_ms: int | None) -> str | None:
    if epoch_ms is None:
        return None
    return utc_iso(datetime.fromtimestamp(epoch_ms / 1000, UTC))


def floor_minute(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


@dataclass(frozen=True)
class Window:
    """``[start, end)``: start inclusive, end exclusive, as the API reads a time range."""

    start: datetime
    end: datetime

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
        return Window(self.start, middle), Window(middle, self.end)

    def __str__(self) -> str:
        return f"[{utc_iso(self.start)}, {utc_iso(self.end)})"


class WindowWalk:
    """Windows of at most ``max_span`` from ``start`` to ``end``, in time order.

    :meth:`split` replaces the window just handed out by its two halves. After each answer,
    :meth:`completed` sizes the next new windows from the density just seen (aiming at
    ``FILL`` of the limit), so that a busy day is not asked for in 3-hour windows that come
    back full, only to be split, again and again.
    """

    def __init__(self, start: datetime, end: datetime, max_span: timedelta) -> None:
        self._next_start = start
        self._end = end
        self._max_span = max(MINUTE, max_span)
        self._span = self._max_span
        self._pending: list[Window] = []  # halves still to fetch, the earliest last

    def __iter__(self) -> Iterator[Window]:
        while True:
            if self._pending:
                yield self._pending.pop()
            elif self._next_start < self._end:
                window = Window(self._next_start, min(self._next_start + self._span, self._end))
                self._next_start = window.end
                yield window
            else:
                return

    def split(self, window: Window) -> bool:
        """Queue the halves of ``window`` (to be handed out next); False if it is one minute."""
        if not window.splittable:
            return False
        first, second = window.halves()
        self._pending.extend((second, first))
        self._span = min(self._span, first.end - first.start)
        return True

    def completed(self, window: Window, sessions: int, limit: int) -> None:
        """A window answered ``sessions`` (below the limit): size the next ones to match."""
        if sessions == 0:
            self._span = self._max_span
            return
        target = window.minutes * FILL * limit / sessions
        self._span = max(MINUTE, min(self._max_span, int(target) * MINUTE))


class SeenSessions:
    """The sessions this sync already emitted that a later window can still return.

    Windows only return sessions that end at or after their start, so once the walk is past an
    instant, the sessions that ended before it can be forgotten: memory holds the sessions that
    cross the current window boundary, not the whole sync."""

    def __init__(self) -> None:
        self._ends: dict[str, int] = {}

    def first_time(self, session_id: str, end_epoch_ms: int) -> bool:
        if session_id in self._ends:
            return False
        self._ends[session_id] = end_epoch_ms
        return True

    def forget_ended_before(self, epoch_ms: int) -> None:
        self._ends = {k: v for k, v in self._ends.items() if v >= epoch_ms}

    def __len__(self) -> int:
        return len(self._ends)
